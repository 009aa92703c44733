// Package sampleapp is the smoke canary's sample application: the seed
// demo's Flask app (ddiiwoong/canary-demo-spinnaker, app.py) in Go. Its
// success rate and latency are set by Options, so that a "faulty" canary can
// be started next to a healthy baseline and told apart by a canary analysis.
//
// An App serves
//
//   - / — "Hello World!\n" (200) or "Internal Server Error\n" (500), after
//     the configured latency; a request fails with probability
//     1 − SuccessRate/100;
//   - /metrics — Prometheus text format (client_golang): the counter
//     requests_total{code}, the histogram request_duration_seconds and the
//     seed's gauge rate_requests (the percentage of requests that failed);
//   - /healthz — 200 "ok", for probes.
//
// Run starts an App on a loopback port for in-process use, Drive sends it
// load at a steady rate, and Main/Serve/AddFlags/OptionsFromEnv let a command
// (`ctl canary sample-app`, cmd/sampleapp) run it with flags and the seed's
// SUCCESS_RATE environment variable. With Options.LoadRPS set, Run and Serve
// also drive load to the app's own / over loopback (self-load), for places
// with no load driver, such as a pod in a cluster.
package sampleapp

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"
)

// Metric names. The seed's Python client exported requests_total{http_code}
// and rate_requests; here the code label is "code", as client_golang's HTTP
// instrumentation names it.
const (
	MetricRequests = "requests_total"
	MetricDuration = "request_duration_seconds"
	MetricRate     = "rate_requests"
)

// LatencyBuckets are the upper bounds (seconds) of request_duration_seconds:
// steps of at most 25 % between 5 ms and 500 ms, so histogram_quantile's
// linear interpolation puts a p99 in that range within a few percent.
var LatencyBuckets = []float64{
	0.001, 0.0025,
	0.005, 0.006, 0.007, 0.008, 0.009, 0.010, 0.012, 0.014, 0.016, 0.018,
	0.020, 0.023, 0.026, 0.030, 0.035, 0.040, 0.045, 0.050, 0.060, 0.070,
	0.080, 0.090, 0.100, 0.120, 0.140, 0.160, 0.180, 0.200, 0.230, 0.260,
	0.300, 0.350, 0.400, 0.450, 0.500,
	0.600, 0.750, 1, 2.5, 5, 10,
}

// Options configure an App. The zero value is an app that fails every
// request (SuccessRate 0) at once; DefaultOptions is a healthy one.
type Options struct {
	// SuccessRate is the percentage of requests answered 200, 0–100 (the
	// seed's SUCCESS_RATE). Fractions are allowed.
	SuccessRate float64
	// Latency is the mean time a request to / takes.
	Latency time.Duration
	// Jitter spreads the latency uniformly over [Latency−Jitter,
	// Latency+Jitter] (clamped at 0).
	Jitter time.Duration
	// Listen is the address Run and Serve listen on (Run: default
	// 127.0.0.1:0; Serve: required).
	Listen string
	// Seed makes the outcomes and latencies reproducible: the n-th request
	// gets the n-th draw of a generator seeded with it. 0 seeds randomly.
	Seed uint64
	// Labels are constant labels added to every metric (e.g. version=canary
	// where the scraper does not add the deployment's labels). Leave empty
	// when the scraper adds them as target labels: a label both exposed and
	// set by the target becomes exported_<name> in Prometheus.
	Labels map[string]string
	// LoadRPS, when above 0, makes Run and Serve send that many requests per
	// second to the app's own / over loopback (with Drive) for as long as
	// they serve. Those requests go through the HTTP server and are counted
	// in the metrics like any other. 0, the default, sends none; at most
	// MaxLoadRPS.
	LoadRPS int
}

// MaxLoadRPS is the highest Options.LoadRPS: well above what a smoke canary
// needs, and within what Drive can keep in flight (MaxInFlight) at the
// sample app's usual latencies.
const MaxLoadRPS = 10000

// DefaultOptions is a healthy app: every request succeeds, after 20 ms ± 5 ms.
func DefaultOptions() Options {
	return Options{SuccessRate: 100, Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond}
}

// Validate reports the first invalid field.
func (o Options) Validate() error {
	switch {
	case math.IsNaN(o.SuccessRate) || o.SuccessRate < 0 || o.SuccessRate > 100:
		return fmt.Errorf("success rate must be a percentage from 0 to 100, got %v", o.SuccessRate)
	case o.Latency < 0:
		return fmt.Errorf("latency must not be negative, got %s", o.Latency)
	case o.Jitter < 0:
		return fmt.Errorf("latency jitter must not be negative, got %s", o.Jitter)
	case o.LoadRPS < 0 || o.LoadRPS > MaxLoadRPS:
		return fmt.Errorf("self-load rate (--load-rps, %s) must be a whole number of requests per second from 0 (off) to %d, got %d",
			EnvLoadRPS, MaxLoadRPS, o.LoadRPS)
	}
	for k := range o.Labels {
		if !model.LabelName(k).IsValidLegacy() || strings.HasPrefix(k, "__") {
			return fmt.Errorf("invalid metric label name %q", k)
		}
		if k == "code" || k == "le" {
			return fmt.Errorf("metric label %q is reserved by the sample app's metrics", k)
		}
	}
	return nil
}

// String describes the behaviour, e.g. "success rate 70%, latency 20ms ± 5ms"
// (followed by ", self-load 100 rps" when LoadRPS is set).
func (o Options) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "success rate %v%%, latency %s", o.SuccessRate, o.Latency)
	if o.Jitter > 0 {
		fmt.Fprintf(&b, " ± %s", o.Jitter)
	}
	if len(o.Labels) > 0 {
		keys := make([]string, 0, len(o.Labels))
		for k := range o.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(", labels ")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=%s", k, o.Labels[k])
		}
	}
	if o.LoadRPS > 0 {
		fmt.Fprintf(&b, ", self-load %d rps", o.LoadRPS)
	}
	return b.String()
}

// App is the sample application, an http.Handler. It is safe for concurrent
// use. Each App has its own metrics registry, so several can run in one
// process.
type App struct {
	opts     Options
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration prometheus.Histogram
	rate     prometheus.Gauge
	mux      *http.ServeMux

	mu         sync.Mutex
	rng        *rand.Rand
	ok, failed int64
}

// New returns an App for o.
func New(o Options) (*App, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o.Labels = maps.Clone(o.Labels)
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	a := &App{
		opts: o,
		reg:  prometheus.NewRegistry(),
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	labels := prometheus.Labels(o.Labels)
	a.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        MetricRequests,
		Help:        "Requests served, by HTTP status code.",
		ConstLabels: labels,
	}, []string{"code"})
	a.duration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        MetricDuration,
		Help:        "Time taken to answer a request to /, in seconds.",
		Buckets:     LatencyBuckets,
		ConstLabels: labels,
	})
	a.rate = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: MetricRate,
		// The seed's help text said "Rate of success requests", but its value
		// has always been the error percentage.
		Help:        "Percentage of requests answered 500 since start (the seed's rate_requests).",
		ConstLabels: labels,
	})
	a.reg.MustRegister(a.requests, a.duration, a.rate)
	// Both codes exist from the first scrape, so rate() sees every increase.
	a.requests.WithLabelValues("200")
	a.requests.WithLabelValues("500")

	a.mux = http.NewServeMux()
	a.mux.HandleFunc("/{$}", a.serveRoot)
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return a, nil
}

// Options returns the options the App runs with.
func (a *App) Options() Options {
	o := a.opts
	o.Labels = maps.Clone(o.Labels)
	return o
}

// Registry is the App's metrics registry (what /metrics serves).
func (a *App) Registry() *prometheus.Registry { return a.reg }

// Counts returns how many requests were answered 200 and 500 so far.
func (a *App) Counts() (ok, failed int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ok, a.failed
}

// ServeHTTP serves /, /metrics and /healthz.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// draw decides the next request's outcome and latency.
func (a *App) draw() (fail bool, delay time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// A uniform draw in [0, 100) fails when it is at or above the success
	// rate: P(fail) = 1 − SuccessRate/100 exactly. (The seed's
	// randrange(1, 100) > SUCCESS_RATE failed 29/99 of requests at 70.)
	fail = a.rng.Float64()*100 >= a.opts.SuccessRate
	delay = a.opts.Latency
	if j := a.opts.Jitter; j > 0 {
		delay += time.Duration(a.rng.Int64N(int64(2*j)+1)) - j
		delay = max(delay, 0)
	}
	return fail, delay
}

func (a *App) serveRoot(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	fail, delay := a.draw()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client left: nothing is answered, nothing is counted.
			t.Stop()
			return
		}
	}
	code, body := http.StatusOK, "Hello World!\n"
	if fail {
		code, body = http.StatusInternalServerError, "Internal Server Error\n"
	}
	a.record(code, time.Since(start))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

func (a *App) record(code int, took time.Duration) {
	a.mu.Lock()
	if code == http.StatusOK {
		a.ok++
	} else {
		a.failed++
	}
	a.rate.Set(float64(a.failed) / float64(a.ok+a.failed) * 100)
	a.mu.Unlock()
	a.requests.WithLabelValues(fmt.Sprint(code)).Inc()
	a.duration.Observe(took.Seconds())
}
