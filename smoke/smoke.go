// Package smoke runs smoke canaries: proof that a deployed analysis service
// works end to end. For each scenario it starts a baseline and a canary of
// the sample app (smoke/sampleapp) somewhere an Env decides (local processes
// scraped by an embedded Prometheus or by a configured one, or Deployments
// in the service's Kubernetes namespace), drives load to both, waits until
// the service's metrics account shows their series, then runs a standalone
// canary analysis (POST /standalone_canary_analysis) through the deployed
// service with a built-in canary config, and compares the verdict with the
// one expected: the healthy canary (same settings as its baseline) must
// pass, the faulty one (70 % success) must fail.
//
// The analysis is real time, as Kayenta runs it: posted when its window
// starts, with a lifetime of a few seconds to minutes (ctl's service takes
// lifetimeDuration as an ISO-8601 duration; Kayenta only takes whole
// minutes), judged once the window has passed.
package smoke

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ctlproject/ctl/installer"
	"github.com/ctlproject/ctl/smoke/sampleapp"
	"github.com/ctlproject/ctl/smoke/svcclient"
)

// MetricsAccount is the prometheus account of the embedded store that a
// local deployment's kayenta.yml declares.
const MetricsAccount = installer.SmokeMetricsAccount

// Application is the application name of the smoke analyses.
const Application = "ctl-smoke"

// Verdicts.
const (
	Pass     = "pass"
	Marginal = "marginal"
	Fail     = "fail"
	// Error is the verdict of a scenario whose analysis did not produce a
	// score.
	Error = "error"
)

// Score thresholds of the built-in analysis.
const (
	PassThreshold     = 95.0
	MarginalThreshold = 75.0
)

// Defaults.
const (
	DefaultDuration       = 30 * time.Second
	DefaultRPS            = 100
	DefaultScrapeInterval = time.Second
	// minRateWindow is the smallest range of rate() in the built-in
	// queries; it is at least four scrape intervals.
	minRateWindow = 5 * time.Second
	// minPoints is the fewest points per series the analysed window must
	// hold for the Mann-Whitney test to tell the faulty canary apart.
	minPoints = 8
	// defaultPoints is how many points the default duration gives at slow
	// scrape intervals.
	defaultPoints = 16
	// DefaultSeriesTimeout bounds the wait for the apps' series.
	DefaultSeriesTimeout = 2 * time.Minute
	// analysisSlack bounds the wait for an analysis beyond its window.
	analysisSlack = 2 * time.Minute
)

// MetricLabels are the constant labels every series of a smoke app carries:
// the run, the scenario and the side (version=baseline|canary). The apps
// export them themselves, so the queries do not depend on how a scraper
// relabels targets.
func MetricLabels(run, scenario, version string) map[string]string {
	return map[string]string{"smoke_run": run, "scenario": scenario, "version": version}
}

// Timing is the query timing of a run, derived from the scrape interval.
type Timing struct {
	// Scrape is the scrape interval of the apps, and the step of the
	// analysis (whole seconds).
	Scrape time.Duration
	// RateWindow is the range of rate(): four scrapes, at least 5 s.
	RateWindow time.Duration
}

// NewTiming returns the timing for a scrape interval (rounded up to whole
// seconds; 0 means DefaultScrapeInterval).
func NewTiming(scrape time.Duration) Timing {
	if scrape <= 0 {
		scrape = DefaultScrapeInterval
	}
	if r := scrape % time.Second; r != 0 {
		scrape += time.Second - r
	}
	return Timing{Scrape: scrape, RateWindow: max(minRateWindow, 4*scrape)}
}

// warmup is the load before the analysed window starts: every point's
// rate() then covers load only.
func (t Timing) warmup() time.Duration { return t.RateWindow + t.Scrape }

// MinDuration is the shortest --duration: the warm-up and minPoints steps.
func (t Timing) MinDuration() time.Duration { return t.warmup() + minPoints*t.Scrape }

// DefaultDuration is 30 s, or longer at slow scrape intervals.
func (t Timing) DefaultDuration() time.Duration {
	return max(DefaultDuration, t.warmup()+defaultPoints*t.Scrape)
}

// Scenario is one smoke canary: a baseline and a canary of the sample app,
// and the verdict expected.
type Scenario struct {
	Name     string
	Expected string
	Baseline sampleapp.Options
	Canary   sampleapp.Options
}

// Side returns the options of one side, "baseline" or "canary".
func (s Scenario) Side(version string) sampleapp.Options {
	if version == "canary" {
		return s.Canary
	}
	return s.Baseline
}

// Versions are the two sides of a scenario, as the version label names them.
var Versions = []string{"baseline", "canary"}

// healthyApp is the baseline of every scenario: 95 % success, 20 ms ± 5 ms.
//
// The error rate sets how noisy the error ratio is: at 100 rps and 1 %
// errors, the 13 s of load behind a 15 s smoke hold about 13 failed
// requests a side, and a healthy canary's error ratio came out 3 times
// its baseline's (High, critical: a failed smoke) about once in a hundred
// runs. At 5 % they hold about 65, and 3 times happens by chance about
// once in 10^8 runs (Poisson), while the faulty canary's ratio is 6.
func healthyApp() sampleapp.Options {
	return sampleapp.Options{SuccessRate: 95, Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond}
}

// Scenarios are the built-in scenarios, in order.
func Scenarios() []Scenario {
	faulty := healthyApp()
	faulty.SuccessRate = 70 // the seed's faulty canary
	return []Scenario{
		{Name: "healthy", Expected: Pass, Baseline: healthyApp(), Canary: healthyApp()},
		{Name: "faulty", Expected: Fail, Baseline: healthyApp(), Canary: faulty},
	}
}

// SelectScenarios returns the scenarios named by sel: a scenario name or
// "all".
func SelectScenarios(sel string) ([]Scenario, error) {
	all := Scenarios()
	if sel == "" || sel == "all" {
		return all, nil
	}
	var names []string
	for _, s := range all {
		if s.Name == sel {
			return []Scenario{s}, nil
		}
		names = append(names, s.Name)
	}
	return nil, fmt.Errorf("unknown scenario %q (want %s or all)", sel, strings.Join(names, ", "))
}

// CanaryConfig returns the built-in canary config of a scenario of a run
// (Kayenta's CanaryConfig JSON): the error ratio (direction increase,
// critical) and the p99 latency (direction increase) of the scenario's apps,
// with ${scope} standing for version=baseline|canary, over rate() windows of
// rateWindow.
func CanaryConfig(run, scenario string, rateWindow time.Duration) json.RawMessage {
	sel := fmt.Sprintf(`smoke_run="%s",scenario="%s",version="${scope}"`, run, scenario)
	w := fmt.Sprintf("%ds", int(rateWindow.Seconds()))
	metric := func(name, query string, canary map[string]any) map[string]any {
		return map[string]any{
			"name":                   name,
			"query":                  map[string]any{"type": "prometheus", "customInlineTemplate": "PromQL:" + query},
			"groups":                 []string{name},
			"scopeName":              "default",
			"analysisConfigurations": map[string]any{"canary": canary},
		}
	}
	cfg := map[string]any{
		"name":          "ctl-smoke-" + scenario,
		"description":   "ctl canary smoke: error ratio and p99 latency of the sample app",
		"judge":         map[string]any{"name": "NetflixACAJudge-v1.0", "judgeConfigurations": map[string]any{}},
		"applications":  []string{Application},
		"configVersion": "1",
		"metrics": []any{
			metric("error-ratio",
				fmt.Sprintf(`sum(rate(%s{%s,code="500"}[%s])) / sum(rate(%s{%s}[%s]))`, sampleapp.MetricRequests, sel, w, sampleapp.MetricRequests, sel, w),
				// A healthy canary's error ratio is noise around its
				// baseline's (see healthyApp); the faulty canary's is 6
				// times it.
				map[string]any{"direction": "increase", "critical": true,
					"effectSize": map[string]any{"allowedIncrease": 3, "criticalIncrease": 3}}),
			metric("p99-latency",
				fmt.Sprintf(`histogram_quantile(0.99, sum(rate(%s_bucket{%s}[%s])) by (le))`, sampleapp.MetricDuration, sel, w),
				map[string]any{"direction": "increase",
					"effectSize": map[string]any{"allowedIncrease": 1.2}}),
		},
		"classifier": map[string]any{
			"groupWeights":    map[string]any{"error-ratio": 50, "p99-latency": 50},
			"scoreThresholds": map[string]any{"pass": PassThreshold, "marginal": MarginalThreshold},
		},
	}
	b, _ := json.Marshal(cfg)
	return b
}

// Env is where the sample apps run and how their metrics reach the
// service's metrics account.
type Env interface {
	// Start starts a baseline and a canary of each scenario, each exporting
	// MetricLabels(run, scenario, version) on every series and loaded with
	// rps requests per second until Stop, and has them scraped. It returns
	// once the apps run (or, where it cannot tell, once they were created).
	Start(ctx context.Context, run string, scenarios []Scenario, rps int) error
	// Requests returns the load counts of a scenario when the Env drives
	// the load itself.
	Requests(scenario string) (Requests, bool)
	// Diagnose explains why the metrics account may show no series of the
	// apps; it is added to the error when none appear.
	Diagnose(ctx context.Context) string
	// Stop stops and removes everything Start created. It is called once,
	// also when Start failed or the run was interrupted.
	Stop(ctx context.Context) error
}

// Options configure Run.
type Options struct {
	// ServiceURL is the deployed analysis service, http://host:port (or a
	// proxy path to it).
	ServiceURL string
	// HTTPClient reaches the service (default: a plain client).
	HTTPClient *http.Client
	// MetricsAccount is the service's account that sees the apps' series
	// (default MetricsAccount).
	MetricsAccount string
	// Env runs the apps.
	Env Env
	// Where describes the Env in progress lines, e.g. "local processes".
	Where string
	// Duration is how long load is driven once the series are seen (default
	// Timing.DefaultDuration, at least Timing.MinDuration).
	Duration time.Duration
	// RPS is the request rate to each app (default 100).
	RPS int
	// ScrapeInterval is the apps' scrape interval (default 1s).
	ScrapeInterval time.Duration
	// SeriesTimeout bounds the wait for the apps' series (default 2m).
	SeriesTimeout time.Duration
	// PollInterval is how often the service is polled (default 250ms).
	PollInterval time.Duration
	// Progress receives progress lines (default: discarded).
	Progress io.Writer
}

// MetricResult is one metric's outcome.
type MetricResult struct {
	Name           string   `json:"name"`
	Classification string   `json:"classification"`
	Reason         string   `json:"reason,omitempty"`
	Critical       bool     `json:"critical"`
	ControlMean    *float64 `json:"controlMean,omitempty"`
	ExperimentMean *float64 `json:"experimentMean,omitempty"`
	Ratio          *float64 `json:"ratio,omitempty"`
}

// Result is one scenario's outcome.
type Result struct {
	Scenario string  `json:"scenario"`
	Expected string  `json:"expected"`
	Verdict  string  `json:"verdict"`
	Score    float64 `json:"score"`
	// AnalysisID is the standalone canary analysis; ExecutionID its last
	// canary execution (the judgement the verdict comes from).
	AnalysisID  string         `json:"analysisId,omitempty"`
	ExecutionID string         `json:"executionId,omitempty"`
	Message     string         `json:"message,omitempty"`
	Metrics     []MetricResult `json:"metrics"`
	// Requests counts the requests sent to the baseline and the canary
	// and how many failed, when this process drove the load.
	Requests *Requests `json:"requests,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Requests are load counts.
type Requests struct {
	Baseline       int64 `json:"baseline"`
	BaselineFailed int64 `json:"baselineFailed"`
	Canary         int64 `json:"canary"`
	CanaryFailed   int64 `json:"canaryFailed"`
}

// OK reports whether the scenario got its expected verdict.
func (r Result) OK() bool { return r.Verdict == r.Expected }

// Report is the outcome of Run.
type Report struct {
	// Run is the id every series of this run carries as smoke_run.
	Run       string   `json:"run"`
	Scenarios []Result `json:"scenarios"`
	// Seconds is the wall time of the run.
	Seconds float64 `json:"seconds"`
}

// OK reports whether every scenario got its expected verdict.
func (r *Report) OK() bool {
	for _, s := range r.Scenarios {
		if !s.OK() {
			return false
		}
	}
	return len(r.Scenarios) > 0
}

// VerdictOf derives the verdict from a score as the judge does with the
// built-in thresholds: at or above pass passes, at or below marginal fails.
func VerdictOf(score float64) string {
	switch {
	case score >= PassThreshold:
		return Pass
	case score <= MarginalThreshold:
		return Fail
	}
	return Marginal
}

// NoSeriesError says the metrics account showed no series of the apps.
type NoSeriesError struct {
	Account string
	Run     string
	Missing []string // scenario/version
	Waited  time.Duration
	Hint    string
}

func (e *NoSeriesError) Error() string {
	msg := fmt.Sprintf("the metrics account %s shows no series of the sample apps (%s{smoke_run=%q}: none for %s) %s after they started",
		e.Account, sampleapp.MetricRequests, e.Run, strings.Join(e.Missing, ", "), e.Waited.Round(time.Second))
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

type runner struct {
	o   Options
	t   Timing
	run string
	svc *svcclient.Client
	pmu sync.Mutex
}

func (r *runner) progressf(format string, args ...any) {
	if r.o.Progress == nil {
		return
	}
	r.pmu.Lock()
	defer r.pmu.Unlock()
	fmt.Fprintf(r.o.Progress, format+"\n", args...)
}

// NewRunID returns a random run id: 8 hex digits.
func NewRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Run starts the apps of the scenarios in o.Env, waits for their series,
// runs one standalone analysis per scenario at the same time, and returns
// the results. Everything the Env started is stopped before Run returns,
// also when ctx ends. An error means the run itself could not happen (the
// apps could not start, their series never appeared); a scenario that
// failed is a Result with the verdict Error.
func Run(ctx context.Context, o Options, scenarios []Scenario) (rep *Report, err error) {
	t0 := time.Now()
	if o.ServiceURL == "" {
		return nil, errors.New("smoke: no analysis service URL")
	}
	if o.Env == nil {
		return nil, errors.New("smoke: no environment for the sample apps")
	}
	if o.MetricsAccount == "" {
		o.MetricsAccount = MetricsAccount
	}
	t := NewTiming(o.ScrapeInterval)
	if o.Duration == 0 {
		o.Duration = t.DefaultDuration()
	}
	if o.Duration < t.MinDuration() {
		return nil, fmt.Errorf("smoke: duration %s is too short: at least %s at a scrape interval of %s (the analysis skips the first %s of load, then needs %d points)",
			o.Duration, t.MinDuration(), t.Scrape, t.warmup(), minPoints)
	}
	if o.RPS <= 0 {
		o.RPS = DefaultRPS
	}
	if o.SeriesTimeout <= 0 {
		o.SeriesTimeout = DefaultSeriesTimeout
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	r := &runner{o: o, t: t, run: NewRunID(), svc: svcclient.New(o.ServiceURL, o.HTTPClient)}
	rep = &Report{Run: r.run}
	defer func() { rep.Seconds = time.Since(t0).Seconds() }()

	where := o.Where
	if where == "" {
		where = "the sample apps"
	}
	r.progressf("Run %s: starting a baseline and a canary per scenario (%s), %d rps each", r.run, where, o.RPS)
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if serr := o.Env.Stop(sctx); serr != nil {
			if err == nil {
				err = fmt.Errorf("cleaning up: %w", serr)
			} else {
				r.progressf("Warning: cleaning up: %v", serr)
			}
		}
	}()
	if err := o.Env.Start(ctx, r.run, scenarios, o.RPS); err != nil {
		return rep, err
	}
	loadStart := time.Now()
	seen, err := r.waitSeries(ctx, scenarios, loadStart)
	if err != nil {
		if ctx.Err() != nil {
			return rep, fmt.Errorf("smoke canary interrupted: %w", context.Cause(ctx))
		}
		return rep, err
	}
	r.progressf("Series of every app seen after %s", seen.Sub(loadStart).Round(100*time.Millisecond))

	// The analysed window starts one warm-up after load was first seen (so
	// every rate() covers load only) and ends Duration after it.
	start := seen.Add(t.warmup()).Truncate(time.Second).Add(time.Second)
	end := seen.Add(o.Duration).Truncate(time.Second)
	results := make([]Result, len(scenarios))
	var wg sync.WaitGroup
	for i, sc := range scenarios {
		wg.Go(func() { results[i] = r.scenario(ctx, sc, start, end) })
	}
	wg.Wait()
	for i := range results {
		if rq, ok := o.Env.Requests(results[i].Scenario); ok {
			results[i].Requests = &rq
		}
	}
	rep.Scenarios = results
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("smoke canary interrupted: %w", context.Cause(ctx))
	}
	return rep, nil
}

// waitSeries polls the service's metrics account (POST
// /fetch/prometheus/query, as Kayenta fetches) until every app's request
// counter has a series, and returns when that was.
func (r *runner) waitSeries(ctx context.Context, scenarios []Scenario, since time.Time) (time.Time, error) {
	want := map[string]bool{}
	for _, sc := range scenarios {
		for _, v := range Versions {
			want[sc.Name+"/"+v] = true
		}
	}
	ctx2, cancel := context.WithTimeout(ctx, r.o.SeriesTimeout)
	defer cancel()
	poll := max(r.o.PollInterval, r.t.Scrape/2)
	reported := time.Now()
	for {
		got, err := r.seriesPresent(ctx2)
		if err != nil && ctx2.Err() == nil {
			return time.Time{}, fmt.Errorf("asking the service's metrics account %s for the sample apps' series: %w", r.o.MetricsAccount, err)
		}
		var missing []string
		for k := range want {
			if !got[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 {
			return time.Now(), nil
		}
		slices.Sort(missing)
		if time.Since(reported) >= 10*time.Second {
			r.progressf("Waiting for series of %s (%s so far)", strings.Join(missing, ", "), time.Since(since).Round(time.Second))
			reported = time.Now()
		}
		if err := sleep(ctx2, poll); err != nil {
			if ctx.Err() != nil {
				return time.Time{}, ctx.Err()
			}
			dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer dcancel()
			return time.Time{}, &NoSeriesError{Account: r.o.MetricsAccount, Run: r.run, Missing: missing,
				Waited: time.Since(since), Hint: r.o.Env.Diagnose(dctx)}
		}
	}
}

// seriesPresent returns the scenario/version pairs whose request counter
// the metrics account shows over the last few scrapes.
func (r *runner) seriesPresent(ctx context.Context) (map[string]bool, error) {
	now := time.Now().UTC().Truncate(time.Second)
	step := int(r.t.Scrape.Seconds())
	q := url.Values{
		"metricsAccountName": {r.o.MetricsAccount},
		"metricSetName":      {"ctl-smoke-series"},
		"metricName":         {sampleapp.MetricRequests},
		"step":               {fmt.Sprint(step)},
		"start":              {now.Add(-2 * r.t.Scrape).Format(time.RFC3339)},
		"end":                {now.Format(time.RFC3339)},
		"customFilter":       {fmt.Sprintf(`PromQL:count by (scenario, version) (%s{smoke_run="%s"})`, sampleapp.MetricRequests, r.run)},
	}
	var fetched struct {
		ID string `json:"metricSetListId"`
	}
	if err := r.svc.Call(ctx, http.MethodPost, "/fetch/prometheus/query?"+q.Encode(), nil, &fetched); err != nil {
		return nil, err
	}
	var sets []struct {
		Tags   map[string]string `json:"tags"`
		Values []json.RawMessage `json:"values"`
	}
	if err := r.svc.Call(ctx, http.MethodGet, "/metricSetList/"+url.PathEscape(fetched.ID), nil, &sets); err != nil {
		return nil, err
	}
	got := map[string]bool{}
	for _, s := range sets {
		for _, v := range s.Values {
			var f float64
			if json.Unmarshal(v, &f) == nil && f > 0 {
				got[s.Tags["scenario"]+"/"+s.Tags["version"]] = true
				break
			}
		}
	}
	return got, nil
}

// scenario runs one scenario's analysis; failures become Result.Error.
func (r *runner) scenario(ctx context.Context, sc Scenario, start, end time.Time) Result {
	res := Result{Scenario: sc.Name, Expected: sc.Expected, Verdict: Error, Metrics: []MetricResult{}}
	if err := r.scenarioErr(ctx, sc, start, end, &res); err != nil {
		res.Verdict = Error
		res.Error = err.Error()
		r.progressf("%s: error: %v", sc.Name, err)
	}
	return res
}

func (r *runner) scenarioErr(ctx context.Context, sc Scenario, start, end time.Time, res *Result) error {
	// Kayenta's real-time analysis waits one interval from when it is
	// posted, and judges [start, start+interval]: post it when the window
	// starts.
	if err := sleep(ctx, time.Until(start)); err != nil {
		return err
	}
	lifetime := end.Sub(start)
	body := map[string]any{
		"canaryConfig": CanaryConfig(r.run, sc.Name, r.t.RateWindow),
		"executionRequest": map[string]any{
			"scopes": []any{map[string]any{
				"scopeName": "default", "controlScope": "baseline", "experimentScope": "canary",
				"startTimeIso": start.UTC().Format(time.RFC3339), "step": int(r.t.Scrape.Seconds()),
			}},
			"thresholds":       map[string]any{"pass": PassThreshold, "marginal": MarginalThreshold},
			"lifetimeDuration": isoDuration(lifetime),
		},
	}
	q := url.Values{"application": {Application}, "user": {"ctl-smoke"}, "metricsAccountName": {r.o.MetricsAccount}}
	var started struct {
		ID string `json:"canaryAnalysisExecutionId"`
	}
	if err := r.svc.Call(ctx, http.MethodPost, "/standalone_canary_analysis?"+q.Encode(), body, &started); err != nil {
		return fmt.Errorf("starting the canary analysis: %w", err)
	}
	res.AnalysisID = started.ID
	r.progressf("%s: canary analysis %s over %s–%s (%s)", sc.Name, started.ID, start.Format("15:04:05"), end.Format("15:04:05"), lifetime)

	a, err := r.waitAnalysis(ctx, started.ID, time.Until(end)+analysisSlack)
	if err != nil {
		if ctx.Err() != nil {
			r.cancel(started.ID)
		}
		return err
	}
	return r.fillFromAnalysis(ctx, res, a)
}

// isoDuration writes d (whole seconds) as an ISO-8601 duration, PT24S.
func isoDuration(d time.Duration) string {
	return fmt.Sprintf("PT%dS", int64(d.Round(time.Second).Seconds()))
}

// analysis is the part of GET /standalone_canary_analysis/{id} read here.
type analysis struct {
	Complete        bool   `json:"complete"`
	Status          string `json:"status"`
	ExecutionStatus string `json:"executionStatus"`
	Exception       *struct {
		Message string `json:"message"`
		Details *struct {
			Errors []string `json:"errors"`
		} `json:"details"`
	} `json:"exception"`
	Result *struct {
		DidPassThresholds  bool      `json:"didPassThresholds"`
		CanaryScoreMessage string    `json:"canaryScoreMessage"`
		CanaryScores       []float64 `json:"canaryScores"`
		Executions         []struct {
			ExecutionID string `json:"executionId"`
		} `json:"canaryExecutionResults"`
	} `json:"canaryAnalysisExecutionResult"`
}

// waitAnalysis polls a standalone analysis until it is complete.
func (r *runner) waitAnalysis(ctx context.Context, id string, timeout time.Duration) (*analysis, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		var a analysis
		if err := r.svc.Call(ctx, http.MethodGet, "/standalone_canary_analysis/"+url.PathEscape(id), nil, &a); err != nil {
			return nil, fmt.Errorf("reading canary analysis %s: %w", id, err)
		}
		if a.Complete {
			return &a, nil
		}
		if err := sleep(ctx, r.o.PollInterval); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("canary analysis %s did not complete within %s (status %s)", id, timeout.Round(time.Second), a.Status)
			}
			return nil, err
		}
	}
}

// fillFromAnalysis sets the verdict from a completed analysis, and the
// metrics from its last judgement.
func (r *runner) fillFromAnalysis(ctx context.Context, res *Result, a *analysis) error {
	if a.Result == nil || len(a.Result.CanaryScores) == 0 || len(a.Result.Executions) == 0 {
		msg := "no judgement"
		if a.Exception != nil && a.Exception.Message != "" {
			msg = a.Exception.Message
		}
		if a.Exception != nil && a.Exception.Details != nil && len(a.Exception.Details.Errors) > 0 {
			msg = strings.Join(a.Exception.Details.Errors, "; ")
		}
		return fmt.Errorf("canary analysis %s: %s", strings.ToLower(a.ExecutionStatus), msg)
	}
	res.Message = a.Result.CanaryScoreMessage
	res.ExecutionID = a.Result.Executions[len(a.Result.Executions)-1].ExecutionID
	var ex execution
	if err := r.svc.Call(ctx, http.MethodGet, "/canary/"+url.PathEscape(res.ExecutionID), nil, &ex); err != nil {
		return fmt.Errorf("reading canary execution %s: %w", res.ExecutionID, err)
	}
	if err := fillResult(res, &ex); err != nil {
		return err
	}
	// The analysis decides: didPassThresholds, and a final score at or
	// below marginal fails (Kayenta's standalone rule).
	res.Score = a.Result.CanaryScores[len(a.Result.CanaryScores)-1]
	switch {
	case a.Result.DidPassThresholds:
		res.Verdict = Pass
	case res.Score <= MarginalThreshold:
		res.Verdict = Fail
	default:
		res.Verdict = Marginal
	}
	return nil
}

// execution is the part of GET /canary/{id} read here.
type execution struct {
	Complete  bool   `json:"complete"`
	Status    string `json:"status"`
	Exception *struct {
		Message string `json:"message"`
	} `json:"exception"`
	Result *struct {
		JudgeResult *struct {
			Results []struct {
				Name                 string `json:"name"`
				Classification       string `json:"classification"`
				ClassificationReason string `json:"classificationReason"`
				Critical             bool   `json:"critical"`
				ControlMetadata      struct {
					Stats struct {
						Mean *float64 `json:"mean"`
					} `json:"stats"`
				} `json:"controlMetadata"`
				ExperimentMetadata struct {
					Stats struct {
						Mean *float64 `json:"mean"`
					} `json:"stats"`
				} `json:"experimentMetadata"`
				ResultMetadata struct {
					Ratio *float64 `json:"ratio"`
				} `json:"resultMetadata"`
			} `json:"results"`
			Score struct {
				Score *float64 `json:"score"`
			} `json:"score"`
		} `json:"judgeResult"`
	} `json:"result"`
}

func fillResult(res *Result, ex *execution) error {
	if ex.Status != "succeeded" || ex.Result == nil || ex.Result.JudgeResult == nil || ex.Result.JudgeResult.Score.Score == nil {
		msg := "no result"
		if ex.Exception != nil && ex.Exception.Message != "" {
			msg = ex.Exception.Message
		}
		return fmt.Errorf("canary execution %s: %s", ex.Status, msg)
	}
	jr := ex.Result.JudgeResult
	res.Score = *jr.Score.Score
	res.Verdict = VerdictOf(res.Score)
	for _, m := range jr.Results {
		res.Metrics = append(res.Metrics, MetricResult{
			Name: m.Name, Classification: m.Classification, Reason: m.ClassificationReason, Critical: m.Critical,
			ControlMean: finite(m.ControlMetadata.Stats.Mean), ExperimentMean: finite(m.ExperimentMetadata.Stats.Mean),
			Ratio: finite(m.ResultMetadata.Ratio),
		})
	}
	slices.SortFunc(res.Metrics, func(a, b MetricResult) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

func finite(p *float64) *float64 {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return nil
	}
	return p
}

// cancel asks the service to cancel an analysis (best effort, after ctx
// ended).
func (r *runner) cancel(id string) {
	ctx, done := context.WithTimeout(context.Background(), 3*time.Second)
	defer done()
	_ = r.svc.Cancel(ctx, id)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
