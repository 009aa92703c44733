// Package api serves Kayenta's REST API over a canary.Service, so existing
// Kayenta clients (Spinnaker's canary stage, Argo Rollouts, Referee,
// kayentactl) work unchanged. Paths, query parameters, JSON field names,
// status strings and {"message"} errors follow Kayenta (see
// shared/reference/kayenta.md §1).
package api

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/metrics"
	"github.com/ctlproject/ctl/kayenta/storage"
)

// Options configure the API.
type Options struct {
	Service *canary.Service
	// Config is the service configuration (accounts for /credentials).
	Config *config.Config
	// MaxRequestBytes bounds request bodies (413 beyond).
	MaxRequestBytes int64
	// AuthToken, when set, is required as "Authorization: Bearer TOKEN" on
	// every path but /health and /metrics.
	AuthToken string
	// Registry receives the API's metrics; /metrics serves it.
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// StandaloneEnabled turns on /standalone_canary_analysis, as
	// kayenta.standaloneCanaryAnalysis.enabled.
	StandaloneEnabled bool
	// MetricNameValidation checks canary config metric names (unless
	// kayenta.disable.metricname.validation).
	MetricNameValidation bool
}

// API is the HTTP API.
type API struct {
	o        Options
	mux      *http.ServeMux
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns the API's handler.
func New(o Options) *API {
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = 10 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	a := &API{o: o, mux: http.NewServeMux()}
	a.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kayenta_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	a.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kayenta_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"route"})
	o.Registry.MustRegister(a.requests, a.latency)
	a.routes()
	return a
}

// apiError is an error with its HTTP status.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &apiError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

// handler returns a value to write as JSON (status 200, or code when it is a
// *response), an htmlPage, or an error.
type handler func(r *http.Request) (any, error)

type response struct {
	code int
	body any
}

// htmlPage is a handler's answer written as a self-contained HTML document
// (status 200) under reportContentSecurityPolicy.
type htmlPage []byte

func (a *API) handle(pattern string, h handler) {
	route := pattern
	a.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, code: 200}
		defer func() {
			a.requests.WithLabelValues(route, strconv.Itoa(rw.code)).Inc()
			a.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}()
		if a.o.AuthToken != "" && route != "GET /health" && !a.authorized(r) {
			writeError(rw, r, http.StatusUnauthorized, "Missing or wrong bearer token.")
			return
		}
		r.Body = http.MaxBytesReader(rw, r.Body, a.o.MaxRequestBytes)
		v, err := h(r)
		if err != nil {
			code, msg := classify(err)
			if code >= 500 {
				a.o.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(rw, r, code, msg)
			return
		}
		if page, ok := v.(htmlPage); ok {
			h := rw.Header()
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", reportContentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Cache-Control", "no-store")
			rw.WriteHeader(http.StatusOK)
			_, _ = rw.Write(page)
			return
		}
		code := http.StatusOK
		if resp, ok := v.(*response); ok {
			code, v = resp.code, resp.body
		}
		if v == nil {
			rw.WriteHeader(code)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(code)
		enc := json.NewEncoder(rw)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
	}))
}

func (a *API) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(a.o.AuthToken)) == 1
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// classify maps an error to its status and message, as Kayenta's
// ControllerExceptionHandler: IllegalArgumentException → 400, not found → 404.
func classify(err error) (int, string) {
	var ae *apiError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.msg
	case errors.As(err, &maxErr):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body is larger than %d bytes.", maxErr.Limit)
	case metrics.IsArgumentError(err):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, canary.ErrNotFound), errors.Is(err, storage.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, storage.ErrInvalidID):
		return http.StatusBadRequest, err.Error()
	}
	return http.StatusInternalServerError, err.Error()
}

func writeError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"message": msg, "error": http.StatusText(code), "status": code,
		"timestamp": time.Now().UnixMilli(), "path": r.URL.Path,
	})
}

// ServeHTTP serves the API.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// decode reads a JSON body into v; a syntax or type error is a 400 naming
// the offset or field.
func decode(r *http.Request, v any) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return badRequest("Request body is empty: a JSON document is required.")
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return badRequest("Malformed JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return badRequest("Field %q: want %s, got %s.", te.Field, te.Type, te.Value)
		}
		return badRequest("Cannot read the request body: %v", err)
	}
	return nil
}

func (a *API) routes() {
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(a.o.Registry, promhttp.HandlerOpts{}))
	a.handle("GET /health", a.health)

	a.handle("GET /canaryConfig", a.listConfigs)
	a.handle("GET /canaryConfig/{id}", a.getConfig)
	a.handle("POST /canaryConfig", a.createConfig)
	a.handle("PUT /canaryConfig/{id}", a.updateConfig)
	a.handle("DELETE /canaryConfig/{id}", a.deleteConfig)

	a.handle("POST /canary/{configId}", a.startCanary)
	a.handle("POST /canary", a.startAdHoc)
	a.handle("GET /canary/executions", a.listExecutions)
	a.handle("GET /canary/{id}", a.getExecution)
	a.handle("PUT /pipelines/{id}/cancel", a.cancel)

	a.handle("GET /judges", a.judges)
	a.handle("POST /judges/judge", a.judge)

	a.handle("GET /credentials", a.credentials)
	a.handle("GET /metricsServices", a.metricsServices)
	a.handle("GET /metadata/metricsService", a.metadata)
	a.handle("POST /fetch/prometheus/query", a.fetchPrometheus)

	for _, t := range []struct {
		path string
		typ  storage.ObjectType
		key  string
	}{{"/metricSetList", storage.MetricSetList, "metricSetListId"}, {"/metricSetPairList", storage.MetricSetPairList, "metricSetPairListId"}} {
		a.handle("GET "+t.path, a.listObjects(t.typ))
		a.handle("GET "+t.path+"/{id}", a.getObject(t.typ))
		a.handle("POST "+t.path, a.storeObject(t.typ, t.key))
		a.handle("DELETE "+t.path+"/{id}", a.deleteObject(t.typ))
	}
	a.handle("GET /metricSetPairList/{id}/{pairId}", a.getPair)

	if a.o.StandaloneEnabled {
		a.handle("POST /standalone_canary_analysis/{configId}", a.startAnalysis)
		a.handle("POST /standalone_canary_analysis", a.startAnalysisAdHoc)
		a.handle("GET /standalone_canary_analysis/{id}", a.getAnalysis)
	}
	a.handle("GET /report/{executionId}", a.report)
	a.handle("/", func(r *http.Request) (any, error) {
		return nil, notFound("No handler for %s %s.", r.Method, r.URL.Path)
	})
}

func (a *API) health(r *http.Request) (any, error) {
	return map[string]any{"status": "UP", "components": map[string]any{
		"canaryConfigIndexingAgent": map[string]string{"status": "UP"},
	}}, nil
}

func (a *API) judges(r *http.Request) (any, error) {
	return []map[string]any{{"name": "NetflixACAJudge-v1.0", "visible": true}}, nil
}

func (a *API) credentials(r *http.Request) (any, error) {
	return a.o.Config.Accounts(), nil
}

func (a *API) metricsServices(r *http.Request) (any, error) {
	out := []map[string]any{}
	for _, m := range a.o.Service.Accounts().Metrics {
		out = append(out, map[string]any{"name": m.Name, "type": m.Type, "locations": []string{}, "recommendedLocations": []string{}})
	}
	return out, nil
}

func queryInt(r *http.Request, key string, def int) (int, error) {
	s := r.URL.Query().Get(key)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, badRequest("Query parameter %s must be a whole number, got %q.", key, s)
	}
	return v, nil
}

func queryFloat(r *http.Request, key string) (float64, error) {
	s := r.URL.Query().Get(key)
	if s == "" {
		return 0, badRequest("Required request parameter '%s' is not present.", key)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, badRequest("Query parameter %s must be a number, got %q.", key, s)
	}
	return v, nil
}

func required(r *http.Request, key string) (string, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return "", badRequest("Required request parameter '%s' is not present.", key)
	}
	return v, nil
}
