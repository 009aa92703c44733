package promstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/timestamp"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// Error types and their HTTP status codes, as Prometheus's web/api/v1.
const (
	errorBadData  = "bad_data"
	errorExec     = "execution"
	errorTimeout  = "timeout"
	errorCanceled = "canceled"
	errorInternal = "internal"
)

// statusClientClosedConnection is the status Prometheus answers when the
// client went away (nginx's 499).
const statusClientClosedConnection = 499

func errorStatus(typ string) int {
	switch typ {
	case errorBadData:
		return http.StatusBadRequest
	case errorExec:
		return http.StatusUnprocessableEntity
	case errorCanceled:
		return statusClientClosedConnection
	case errorTimeout:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// apiError is a failed API call: Prometheus's errorType and message.
type apiError struct {
	typ string
	err error
}

func badData(err error) *apiError { return &apiError{errorBadData, err} }

func invalidParam(err error, name string) *apiError {
	return badData(fmt.Errorf("invalid parameter %q: %w", name, err))
}

// response is Prometheus's JSON envelope.
type response struct {
	Status    string   `json:"status"`
	Data      any      `json:"data,omitempty"`
	ErrorType string   `json:"errorType,omitempty"`
	Error     string   `json:"error,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
	Infos     []string `json:"infos,omitempty"`
}

// queryData is the data of /api/v1/query and /api/v1/query_range.
type queryData struct {
	ResultType parser.ValueType `json:"resultType"`
	Result     parser.Value     `json:"result"`
}

// result is what an endpoint returns: data (with warnings for a query) or
// an error. finalize, when set, runs after the response is written.
type result struct {
	data     any
	err      *apiError
	warnings annotations.Annotations
	query    string
	finalize func()
}

type endpoint func(r *http.Request) result

func (s *Store) handler() http.Handler {
	mux := http.NewServeMux()
	api := func(methods []string, path string, fn endpoint) {
		for _, m := range methods {
			mux.HandleFunc(m+" "+path, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, fn) })
		}
	}
	getPost := []string{http.MethodGet, http.MethodPost}
	api(getPost, "/api/v1/query", s.query)
	api(getPost, "/api/v1/query_range", s.queryRange)
	api(getPost, "/api/v1/series", s.series)
	api(getPost, "/api/v1/labels", s.labelNames)
	api([]string{http.MethodGet}, "/api/v1/label/{name}/values", s.labelValues)
	api([]string{http.MethodGet}, "/api/v1/targets", s.targets)
	api([]string{http.MethodGet}, "/api/v1/status/buildinfo", s.buildInfo)
	text := func(msg string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(msg))
		}
	}
	// The Store is ready as soon as it listens: the TSDB is open.
	mux.HandleFunc("GET /-/healthy", text("Prometheus Server is Healthy.\n"))
	mux.HandleFunc("HEAD /-/healthy", text(""))
	mux.HandleFunc("GET /-/ready", text("Prometheus Server is Ready.\n"))
	mux.HandleFunc("HEAD /-/ready", text(""))
	return mux
}

func (s *Store) serve(w http.ResponseWriter, r *http.Request, fn endpoint) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, errorStatus(errorBadData), response{Status: "error", ErrorType: errorBadData,
			Error: fmt.Sprintf("error parsing form values: %v", err)})
		return
	}
	res := fn(r)
	if res.finalize != nil {
		defer res.finalize()
	}
	if res.err != nil {
		writeJSON(w, errorStatus(res.err.typ), response{Status: "error", ErrorType: res.err.typ, Error: res.err.err.Error()})
		return
	}
	warn, info := res.warnings.AsStrings(res.query, 10, 10)
	writeJSON(w, http.StatusOK, response{Status: "success", Data: res.data, Warnings: warn, Infos: info})
}

func writeJSON(w http.ResponseWriter, status int, resp response) {
	b, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Store) query(r *http.Request) result {
	ts, err := parseTimeParam(r, "time", time.Now())
	if err != nil {
		return result{err: invalidParam(err, "time")}
	}
	ctx, cancel, opts, aerr := s.queryContext(r)
	if aerr != nil {
		return result{err: aerr}
	}
	defer cancel()
	qs := r.FormValue("query")
	q, err := s.engine.NewInstantQuery(ctx, s.db, opts, qs, ts)
	if err != nil {
		return result{err: constructionError(err)}
	}
	return s.exec(ctx, q, qs)
}

func (s *Store) queryRange(r *http.Request) result {
	start, err := parseTime(r.FormValue("start"))
	if err != nil {
		return result{err: invalidParam(err, "start")}
	}
	end, err := parseTime(r.FormValue("end"))
	if err != nil {
		return result{err: invalidParam(err, "end")}
	}
	if end.Before(start) {
		return result{err: invalidParam(errors.New("end timestamp must not be before start time"), "end")}
	}
	step, err := parseDuration(r.FormValue("step"))
	if err != nil {
		return result{err: invalidParam(err, "step")}
	}
	if step <= 0 {
		return result{err: invalidParam(errors.New("zero or negative query resolution step widths are not accepted. Try a positive integer"), "step")}
	}
	// Prometheus's limit on the points of one series.
	if end.Sub(start)/step > 11000 {
		return result{err: badData(errors.New("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"))}
	}
	ctx, cancel, opts, aerr := s.queryContext(r)
	if aerr != nil {
		return result{err: aerr}
	}
	defer cancel()
	qs := r.FormValue("query")
	q, err := s.engine.NewRangeQuery(ctx, s.db, opts, qs, start, end, step)
	if err != nil {
		return result{err: constructionError(err)}
	}
	return s.exec(ctx, q, qs)
}

// queryContext applies the timeout and lookback_delta parameters.
func (s *Store) queryContext(r *http.Request) (context.Context, context.CancelFunc, promql.QueryOpts, *apiError) {
	ctx, cancel := r.Context(), context.CancelFunc(func() {})
	if v := r.FormValue("timeout"); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			return nil, nil, nil, invalidParam(err, "timeout")
		}
		ctx, cancel = context.WithTimeout(ctx, d)
	}
	var lookback time.Duration
	if v := r.FormValue("lookback_delta"); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			cancel()
			return nil, nil, nil, badData(fmt.Errorf("error parsing lookback delta duration: %w", err))
		}
		lookback = d
	}
	return ctx, cancel, promql.NewPrometheusQueryOpts(false, lookback, nil), nil
}

// exec runs q; the result is written before q's memory is recovered.
func (s *Store) exec(ctx context.Context, q promql.Query, qs string) result {
	res := q.Exec(ctx)
	if res.Err != nil {
		q.Close()
		return result{err: execError(res.Err), warnings: res.Warnings, query: qs}
	}
	v := res.Value
	// An empty result is [], never null.
	switch m := v.(type) {
	case promql.Matrix:
		if m == nil {
			v = promql.Matrix{}
		}
	case promql.Vector:
		if m == nil {
			v = promql.Vector{}
		}
	}
	return result{
		data:     queryData{ResultType: v.Type(), Result: v},
		warnings: res.Warnings,
		query:    qs,
		finalize: q.Close,
	}
}

// constructionError maps an error of building a query: a bad expression is
// bad_data, as in Prometheus.
func constructionError(err error) *apiError {
	var timeout promql.ErrQueryTimeout
	var canceled promql.ErrQueryCanceled
	if errors.As(err, &timeout) || errors.As(err, &canceled) {
		return execError(err)
	}
	return invalidParam(err, "query")
}

// execError maps an evaluation error as Prometheus's returnAPIError does.
func execError(err error) *apiError {
	var (
		canceled promql.ErrQueryCanceled
		timeout  promql.ErrQueryTimeout
		storErr  promql.ErrStorage
	)
	switch {
	case errors.As(err, &canceled):
		return &apiError{errorCanceled, err}
	case errors.As(err, &timeout):
		return &apiError{errorTimeout, err}
	case errors.As(err, &storErr):
		return &apiError{errorInternal, err}
	case errors.Is(err, context.Canceled):
		return &apiError{errorCanceled, err}
	}
	return &apiError{errorExec, err}
}

// matcherSets parses match[]; Prometheus refuses selectors that match
// every series (all matchers match the empty string).
func (s *Store) matcherSets(r *http.Request) ([][]*labels.Matcher, *apiError) {
	sets, err := s.parser.ParseMetricSelectors(r.Form["match[]"])
	if err != nil {
		return nil, badData(err)
	}
outer:
	for _, ms := range sets {
		for _, m := range ms {
			if m != nil && !m.Matches("") {
				continue outer
			}
		}
		return nil, badData(errors.New("match[] must contain at least one non-empty matcher"))
	}
	return sets, nil
}

// timeRange reads start and end (default: all time).
func timeRange(r *http.Request) (mint, maxt int64, aerr *apiError) {
	start, err := parseTimeParam(r, "start", minTime)
	if err != nil {
		return 0, 0, invalidParam(err, "start")
	}
	end, err := parseTimeParam(r, "end", maxTime)
	if err != nil {
		return 0, 0, invalidParam(err, "end")
	}
	return timestamp.FromTime(start), timestamp.FromTime(end), nil
}

func (s *Store) series(r *http.Request) result {
	if len(r.Form["match[]"]) == 0 {
		return result{err: badData(errors.New("no match[] parameter provided"))}
	}
	mint, maxt, aerr := timeRange(r)
	if aerr != nil {
		return result{err: aerr}
	}
	sets, aerr := s.matcherSets(r)
	if aerr != nil {
		return result{err: aerr}
	}
	q, err := s.db.Querier(mint, maxt)
	if err != nil {
		return result{err: execError(err)}
	}
	defer q.Close()
	hints := &storage.SelectHints{Start: mint, End: maxt, Func: "series"}
	var sss []storage.SeriesSet
	for _, ms := range sets {
		sss = append(sss, q.Select(r.Context(), len(sets) > 1, hints, ms...))
	}
	set := sss[0]
	if len(sss) > 1 {
		set = storage.NewMergeSeriesSet(sss, 0, storage.ChainedSeriesMerge)
	}
	out := []labels.Labels{}
	for set.Next() {
		out = append(out, set.At().Labels())
	}
	if err := set.Err(); err != nil {
		return result{err: execError(err)}
	}
	return result{data: out, warnings: set.Warnings()}
}

func (s *Store) labelNames(r *http.Request) result {
	return s.labelQuery(r, func(q storage.Querier, ms []*labels.Matcher) ([]string, annotations.Annotations, error) {
		return q.LabelNames(r.Context(), &storage.LabelHints{}, ms...)
	})
}

// labelQuery runs fn for each match[] set over the request's time range
// and merges the strings, as /api/v1/labels and /label/{name}/values do.
func (s *Store) labelQuery(r *http.Request, fn func(q storage.Querier, ms []*labels.Matcher) ([]string, annotations.Annotations, error)) result {
	mint, maxt, aerr := timeRange(r)
	if aerr != nil {
		return result{err: aerr}
	}
	sets, aerr := s.matcherSets(r)
	if aerr != nil {
		return result{err: aerr}
	}
	q, err := s.db.Querier(mint, maxt)
	if err != nil {
		return result{err: execError(err)}
	}
	defer q.Close()
	return collectStrings(sets, func(ms []*labels.Matcher) ([]string, annotations.Annotations, error) { return fn(q, ms) })
}

func (s *Store) labelValues(r *http.Request) result {
	name := r.PathValue("name")
	if strings.HasPrefix(name, "U__") {
		name = model.UnescapeName(name, model.ValueEncodingEscaping)
	}
	if !model.UTF8Validation.IsValidLabelName(name) {
		return result{err: badData(fmt.Errorf("invalid label name: %q", name))}
	}
	return s.labelQuery(r, func(q storage.Querier, ms []*labels.Matcher) ([]string, annotations.Annotations, error) {
		return q.LabelValues(r.Context(), name, &storage.LabelHints{}, ms...)
	})
}

// collectStrings runs list for each matcher set (or once with none) and
// returns the sorted union.
func collectStrings(sets [][]*labels.Matcher, list func([]*labels.Matcher) ([]string, annotations.Annotations, error)) result {
	if len(sets) == 0 {
		sets = [][]*labels.Matcher{nil}
	}
	seen := map[string]struct{}{}
	var warnings annotations.Annotations
	for _, ms := range sets {
		vals, w, err := list(ms)
		if err != nil {
			return result{err: &apiError{errorExec, err}}
		}
		warnings.Merge(w)
		for _, v := range vals {
			seen[v] = struct{}{}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return result{data: out, warnings: warnings}
}

// activeTarget is one entry of /api/v1/targets' activeTargets.
type activeTarget struct {
	DiscoveredLabels   map[string]string `json:"discoveredLabels"`
	Labels             map[string]string `json:"labels"`
	ScrapePool         string            `json:"scrapePool"`
	ScrapeURL          string            `json:"scrapeUrl"`
	GlobalURL          string            `json:"globalUrl"`
	LastError          string            `json:"lastError"`
	LastScrape         time.Time         `json:"lastScrape"`
	LastScrapeDuration float64           `json:"lastScrapeDuration"`
	Health             string            `json:"health"`
	ScrapeInterval     string            `json:"scrapeInterval"`
	ScrapeTimeout      string            `json:"scrapeTimeout"`
}

func (s *Store) targets(*http.Request) result {
	active := []activeTarget{}
	for _, t := range s.Targets() {
		u, _ := normalizeURL(t.ScrapeURL)
		// The labels before relabeling, as service discovery would give
		// them for a static_config.
		discovered := map[string]string{
			model.AddressLabel:        u.Host,
			model.MetricsPathLabel:    u.Path,
			model.SchemeLabel:         u.Scheme,
			model.ScrapeIntervalLabel: model.Duration(s.opts.ScrapeInterval).String(),
			model.ScrapeTimeoutLabel:  model.Duration(s.opts.ScrapeTimeout).String(),
			model.JobLabel:            t.Job,
		}
		maps.Copy(discovered, t.Target.Labels)
		active = append(active, activeTarget{
			DiscoveredLabels:   discovered,
			Labels:             t.Labels,
			ScrapePool:         t.Job,
			ScrapeURL:          t.ScrapeURL,
			GlobalURL:          t.ScrapeURL,
			LastError:          t.LastError,
			LastScrape:         t.LastScrape,
			LastScrapeDuration: t.LastScrapeDuration.Seconds(),
			Health:             t.Health,
			ScrapeInterval:     model.Duration(s.opts.ScrapeInterval).String(),
			ScrapeTimeout:      model.Duration(s.opts.ScrapeTimeout).String(),
		})
	}
	return result{data: map[string]any{
		"activeTargets":       active,
		"droppedTargets":      []any{},
		"droppedTargetCounts": map[string]int{},
	}}
}

// buildInfo is /api/v1/status/buildinfo's data.
type buildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	Branch    string `json:"branch"`
	BuildUser string `json:"buildUser"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
}

func (s *Store) buildInfo(*http.Request) result {
	return result{data: buildInfo{
		Version:   PrometheusVersion(),
		Branch:    "ctl-promstore",
		GoVersion: runtime.Version(),
	}}
}

// prometheusModule is the version of github.com/prometheus/prometheus in
// go.mod, for binaries without module information (test binaries); a test
// keeps it in step with go.mod.
const prometheusModule = "v0.316.0"

// PrometheusVersion is the Prometheus release whose packages the Store is
// built on, e.g. "3.16.0" for the Go module version v0.316.0.
func PrometheusVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/prometheus/prometheus" {
				if m.Replace != nil {
					m = m.Replace
				}
				return releaseOf(m.Version)
			}
		}
	}
	return releaseOf(prometheusModule)
}

// releaseOf turns Prometheus's Go module version v0.MMmm.p into its release
// M.mm.p (v0.316.0 → 3.16.0); other versions are returned without the v.
func releaseOf(modVersion string) string {
	v := strings.TrimPrefix(modVersion, "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) == 3 && parts[0] == "0" {
		if mm, err := strconv.Atoi(parts[1]); err == nil && mm >= 100 {
			return fmt.Sprintf("%d.%d.%s", mm/100, mm%100, parts[2])
		}
	}
	return v
}

// Times as Prometheus's API parses them.
var (
	minTime          = time.Unix(math.MinInt64/1000+62135596801, 0).UTC()
	maxTime          = time.Unix(math.MaxInt64/1000-62135596801, 999999999).UTC()
	minTimeFormatted = minTime.Format(time.RFC3339Nano)
	maxTimeFormatted = maxTime.Format(time.RFC3339Nano)
)

func parseTimeParam(r *http.Request, name string, def time.Time) (time.Time, error) {
	v := r.FormValue(name)
	if v == "" {
		return def, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid time value for '%s': %w", name, err)
	}
	return t, nil
}

// parseTime accepts Unix seconds (with up to millisecond fractions) or
// RFC 3339.
func parseTime(s string) (time.Time, error) {
	if t, err := strconv.ParseFloat(s, 64); err == nil {
		sec, ns := math.Modf(t)
		ns = math.Round(ns*1000) / 1000
		return time.Unix(int64(sec), int64(ns*float64(time.Second))).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	switch s {
	case minTimeFormatted:
		return minTime, nil
	case maxTimeFormatted:
		return maxTime, nil
	}
	return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
}

// parseDuration accepts seconds (a float) or a Prometheus duration (5m).
func parseDuration(s string) (time.Duration, error) {
	if d, err := strconv.ParseFloat(s, 64); err == nil {
		ts := d * float64(time.Second)
		if math.IsNaN(ts) || ts >= float64(math.MaxInt64) || ts < float64(math.MinInt64) {
			return 0, fmt.Errorf("cannot parse %q to a valid duration. It overflows int64", s)
		}
		return time.Duration(ts), nil
	}
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	return 0, fmt.Errorf("cannot parse %q to a valid duration", s)
}
