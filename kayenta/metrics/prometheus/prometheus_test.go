package prometheus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctlproject/ctl/internal/testinfra"
	"github.com/ctlproject/ctl/kayenta/metrics"
)

// These tests run against a real Prometheus (internal/testinfra; run
// hack/testinfra/ensure.sh first) holding a fixed, backfilled history, so
// every range query over the window below has a known answer.

// t0 is the start of the analysis window, long in the past:
// 2023-11-14T22:13:20Z. Scopes cover [t0, t0+10m] at 60s: 11 points.
const (
	t0     = 1700000000
	window = 600
	step   = 60
	// Samples every 15s from t0-10m to t0+15m.
	sampleEvery = 15
	firstSample = t0 - 600
	lastSample  = t0 + 900
	// Counters start from 0 at counterBase, so that at the grid point
	// t0+60k they hold inc·(80+4k) (inc per 15s).
	counterBase = t0 - 1200
)

// Per-15s increments of requests_total{version, code}: rates 10/s and 0.2/s
// for the baseline, 12/s and 0.6/s for the canary.
var requestIncs = map[string]map[string]int{
	"baseline": {"200": 150, "500": 3},
	"canary":   {"200": 180, "500": 9},
}

// Per-15s increments of the cumulative buckets of latency_seconds. The
// baseline's p99 is 0.5 (99 of 100 are ≤ 0.5), the canary's falls in the
// +Inf bucket, so histogram_quantile gives the highest finite bound, 1.
var (
	latencyLe   = []string{"0.1", "0.25", "0.5", "1.0", "+Inf"}
	latencyIncs = map[string][]int{
		"baseline": {50, 90, 99, 100, 100},
		"canary":   {30, 60, 80, 95, 100},
	}
)

// gappy_total{version="baseline"} grows 30 per 15s (2/s) but has no samples
// from t0+180 to t0+285: rate(...[1m]) has no value at t0+240 and t0+300,
// grid indexes 4 and 5.
func gappyMissing(ts int) bool { return ts >= t0+180 && ts <= t0+285 }

func history() string {
	var b strings.Builder
	b.WriteString("# HELP requests Requests served.\n# TYPE requests counter\n")
	for _, v := range []string{"baseline", "canary"} {
		for _, code := range []string{"200", "500"} {
			for ts := firstSample; ts <= lastSample; ts += sampleEvery {
				fmt.Fprintf(&b, "requests_total{version=%q,code=%q} %d %d\n", v, code, requestIncs[v][code]*(ts-counterBase)/sampleEvery, ts)
			}
		}
	}
	b.WriteString("# HELP latency_seconds Request latency.\n# TYPE latency_seconds histogram\n")
	for _, v := range []string{"baseline", "canary"} {
		for ts := firstSample; ts <= lastSample; ts += sampleEvery {
			i := (ts - counterBase) / sampleEvery
			for k, le := range latencyLe {
				fmt.Fprintf(&b, "latency_seconds_bucket{version=%q,le=%q} %d %d\n", v, le, latencyIncs[v][k]*i, ts)
			}
			fmt.Fprintf(&b, "latency_seconds_count{version=%q} %d %d\n", v, 100*i, ts)
			fmt.Fprintf(&b, "latency_seconds_sum{version=%q} %d %d\n", v, 20*i, ts)
		}
	}
	b.WriteString("# HELP gappy A counter with missing scrapes.\n# TYPE gappy counter\n")
	for ts := firstSample; ts <= lastSample; ts += sampleEvery {
		if !gappyMissing(ts) {
			fmt.Fprintf(&b, "gappy_total{version=\"baseline\"} %d %d\n", 30*(ts-counterBase)/sampleEvery, ts)
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// scope is the analysis window for a version.
func scope(version string) metrics.Scope {
	start := time.Unix(t0, 0).UTC()
	return metrics.Scope{Scope: version, Location: "local", Start: start, End: start.Add(window * time.Second), Step: step}
}

func query(metric, config string, version string) metrics.Query {
	return metrics.Query{MetricName: metric, QueryConfig: json.RawMessage(config), Scope: scope(version)}
}

// at is the counter value sample index at grid point k.
func at(k int) float64 { return float64(80 + 4*k) }

const gridPoints = window/step + 1

func wantSeries(f func(k int) float64) []float64 {
	v := make([]float64, gridPoints)
	for k := range v {
		v[k] = f(k)
	}
	return v
}

func closeTo(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

func checkSet(t *testing.T, got metrics.MetricSet, name string, tags map[string]string, promql string, want []float64) {
	t.Helper()
	if got.Name != name {
		t.Errorf("name = %q, want %q", got.Name, name)
	}
	if len(got.Tags) != len(tags) {
		t.Errorf("tags = %v, want %v", got.Tags, tags)
	}
	for k, v := range tags {
		if got.Tags[k] != v {
			t.Errorf("tags = %v, want %v", got.Tags, tags)
		}
	}
	if got.Attributes["query"] != promql {
		t.Errorf("attributes.query = %q, want %q", got.Attributes["query"], promql)
	}
	if got.StartTimeMillis != t0*1000 || got.StartTimeIso != "2023-11-14T22:13:20Z" || got.StepMillis != step*1000 ||
		got.EndTimeMillis != (t0+window+step)*1000 || got.EndTimeIso != "2023-11-14T22:24:20Z" {
		t.Errorf("times = %d %s .. %d %s step %d", got.StartTimeMillis, got.StartTimeIso, got.EndTimeMillis, got.EndTimeIso, got.StepMillis)
	}
	if len(got.Values) != len(want) || got.ExpectedDataPoints() != len(want) {
		t.Fatalf("values = %v (expected points %d), want %v", got.Values, got.ExpectedDataPoints(), want)
	}
	for k := range want {
		if !closeTo(got.Values[k], want[k]) {
			t.Errorf("values = %v\nwant     %v", got.Values, want)
			return
		}
	}
}

func TestRealPrometheus(t *testing.T) {
	start := time.Now()
	prom := testinfra.StartPrometheus(t, testinfra.WithOpenMetrics(history()))
	t.Logf("Prometheus with backfilled history ready in %v", time.Since(start))
	c := newClient(t, Options{BaseURL: prom.URL})
	ctx := context.Background()

	t.Run("avg", func(t *testing.T) {
		q := query("requests", `{"type":"prometheus","metricName":"requests_total","customInlineTemplate":"version=\"${scope}\""}`, "baseline")
		sets, err := c.Fetch(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(sets) != 1 {
			t.Fatalf("%d sets", len(sets))
		}
		checkSet(t, sets[0], "requests", nil, `avg(requests_total{version="baseline"})`,
			wantSeries(func(k int) float64 { return (150 + 3) / 2.0 * at(k) }))
	})

	t.Run("groupByFields", func(t *testing.T) {
		q := query("requests", `{"type":"prometheus","metricName":"requests_total","customInlineTemplate":"version=\"${scope}\"","groupByFields":["code"]}`, "canary")
		sets, err := c.Fetch(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(sets) != 2 {
			t.Fatalf("%d sets: %+v", len(sets), sets)
		}
		slices.SortFunc(sets, func(a, b metrics.MetricSet) int { return strings.Compare(a.Tags["code"], b.Tags["code"]) })
		promql := `avg(requests_total{version="canary"}) by (code)`
		checkSet(t, sets[0], "requests", map[string]string{"code": "200"}, promql, wantSeries(func(k int) float64 { return 180 * at(k) }))
		checkSet(t, sets[1], "requests", map[string]string{"code": "500"}, promql, wantSeries(func(k int) float64 { return 9 * at(k) }))
	})

	t.Run("labels minus __name__", func(t *testing.T) {
		q := query("raw", `{"customInlineTemplate":"PromQL:requests_total{version=\"${scope}\",code=\"500\"}"}`, "baseline")
		sets, err := c.Fetch(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		checkSet(t, sets[0], "raw", map[string]string{"version": "baseline", "code": "500"},
			`requests_total{version="baseline",code="500"}`, wantSeries(func(k int) float64 { return 3 * at(k) }))
	})

	t.Run("PromQL rate", func(t *testing.T) {
		cfg := `{"type":"prometheus","customInlineTemplate":"PromQL:sum(rate(requests_total{version=\"${scope}\",code=\"500\"}[1m]))"}`
		for version, rate := range map[string]float64{"baseline": 0.2, "canary": 0.6} {
			sets, err := c.Fetch(ctx, query("errors", cfg, version))
			if err != nil {
				t.Fatal(err)
			}
			checkSet(t, sets[0], "errors", nil, `sum(rate(requests_total{version="`+version+`",code="500"}[1m]))`,
				wantSeries(func(int) float64 { return rate }))
		}
	})

	t.Run("PromQL histogram_quantile", func(t *testing.T) {
		cfg := `{"type":"prometheus","customInlineTemplate":"PromQL:histogram_quantile(0.99, sum(rate(latency_seconds_bucket{version=\"${scope}\"}[1m])) by (le))"}`
		for version, p99 := range map[string]float64{"baseline": 0.5, "canary": 1} {
			sets, err := c.Fetch(ctx, query("p99", cfg, version))
			if err != nil {
				t.Fatal(err)
			}
			checkSet(t, sets[0], "p99", nil,
				`histogram_quantile(0.99, sum(rate(latency_seconds_bucket{version="`+version+`"}[1m])) by (le))`,
				wantSeries(func(int) float64 { return p99 }))
		}
	})

	t.Run("gap filled with NaN", func(t *testing.T) {
		cfg := `{"type":"prometheus","customInlineTemplate":"PromQL:rate(gappy_total{version=\"${scope}\"}[1m])"}`
		sets, err := c.Fetch(ctx, query("gappy", cfg, "baseline"))
		if err != nil {
			t.Fatal(err)
		}
		if len(sets) != 1 {
			t.Fatalf("%d sets", len(sets))
		}
		// Kayenta would return the 9 values back to back; here index k is
		// always t0+60k, and 4 and 5 are NaN.
		checkSet(t, sets[0], "gappy", map[string]string{"version": "baseline"}, `rate(gappy_total{version="baseline"}[1m])`,
			wantSeries(func(k int) float64 {
				if k == 4 || k == 5 {
					return math.NaN()
				}
				return 2
			}))
	})

	t.Run("empty result", func(t *testing.T) {
		q := query("none", `{"type":"prometheus","metricName":"no_such_metric","customInlineTemplate":"version=\"${scope}\""}`, "baseline")
		sets, err := c.Fetch(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(sets) != 1 {
			t.Fatalf("%d sets", len(sets))
		}
		b, _ := json.Marshal(sets[0])
		want := `{"name":"none","tags":{},"startTimeMillis":1700000000000,"startTimeIso":"2023-11-14T22:13:20Z",` +
			`"endTimeMillis":1700000600000,"endTimeIso":"2023-11-14T22:23:20Z","stepMillis":60000,"values":[],` +
			`"attributes":{"query":"avg(no_such_metric{version=\"baseline\"})"}}`
		if string(b) != want {
			t.Errorf("empty set =\n  %s\nwant\n  %s", b, want)
		}
	})

	t.Run("Prometheus rejects the query: 400, not retried", func(t *testing.T) {
		proxy, hits := countingProxy(t, prom.URL, nil)
		pc := newClient(t, Options{BaseURL: proxy})
		_, err := pc.Fetch(ctx, query("bad", `{"customInlineTemplate":"PromQL:sum(rate(requests_total[1m])"}`, "baseline"))
		qe := asQueryError(t, err)
		if hits.Load() != 1 || qe.Attempts != 1 || qe.Status != 400 || qe.Retryable {
			t.Errorf("%d requests, %+v", hits.Load(), qe)
		}
		if !strings.Contains(err.Error(), "HTTP 400 Bad Request: bad_data:") || !strings.Contains(err.Error(), "`sum(rate(requests_total[1m])`") {
			t.Errorf("error = %v", err)
		}
	})

	t.Run("503 twice then success", func(t *testing.T) {
		proxy, hits := countingProxy(t, prom.URL, func(n int64, w http.ResponseWriter) bool {
			if n <= 2 {
				http.Error(w, "try later", http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		pc := newClient(t, Options{BaseURL: proxy, BackoffBase: 5 * time.Millisecond})
		q := query("requests", `{"metricName":"requests_total","customInlineTemplate":"version=\"${scope}\",code=\"200\""}`, "baseline")
		sets, err := pc.Fetch(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if hits.Load() != 3 {
			t.Errorf("%d requests, want 3", hits.Load())
		}
		checkSet(t, sets[0], "requests", nil, `avg(requests_total{version="baseline",code="200"})`,
			wantSeries(func(k int) float64 { return 150 * at(k) }))
	})

	t.Run("bearer token", func(t *testing.T) {
		// A recording proxy in front of the real Prometheus.
		target, _ := url.Parse(prom.URL)
		rp := httputil.NewSingleHostReverseProxy(target)
		var mu sync.Mutex
		var auth []string
		rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			auth = append(auth, r.Header.Get("Authorization"))
			mu.Unlock()
			rp.ServeHTTP(w, r)
		}))
		t.Cleanup(rec.Close)
		bc := newClient(t, Options{BaseURL: rec.URL, BearerToken: "s3cr3t-token"})
		sets, err := bc.Fetch(ctx, query("errors", `{"customInlineTemplate":"PromQL:sum(rate(requests_total{version=\"${scope}\",code=\"500\"}[1m]))"}`, "canary"))
		if err != nil {
			t.Fatal(err)
		}
		checkSet(t, sets[0], "errors", nil, `sum(rate(requests_total{version="canary",code="500"}[1m]))`,
			wantSeries(func(int) float64 { return 0.6 }))
		if _, err := bc.MetricNames(ctx, ""); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(auth) != 2 || auth[0] != "Bearer s3cr3t-token" || auth[1] != "Bearer s3cr3t-token" {
			t.Errorf("Authorization headers = %q", auth)
		}
	})

	t.Run("concurrent use", func(t *testing.T) {
		cfg := `{"customInlineTemplate":"PromQL:sum(rate(requests_total{version=\"${scope}\",code=\"200\"}[1m]))"}`
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Go(func() {
				v, rate := "baseline", 10.0
				if i%2 == 1 {
					v, rate = "canary", 12.0
				}
				sets, err := c.Fetch(ctx, query("ok", cfg, v))
				if err == nil && !closeTo(sets[0].Values[gridPoints-1], rate) {
					err = fmt.Errorf("%s: %v", v, sets[0].Values)
				}
				if err == nil {
					_, err = c.MetricNames(ctx, "total")
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("metric names", func(t *testing.T) {
		names, err := c.MetricNames(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"gappy_total", "latency_seconds_bucket", "latency_seconds_count", "latency_seconds_sum", "requests_total"} {
			if !slices.Contains(names, want) {
				t.Errorf("names %v lack %s", names, want)
			}
		}
		if got, err := c.MetricNames(ctx, "SECONDS_C"); err != nil || !slices.Equal(got, []string{"latency_seconds_count"}) {
			t.Errorf("filter SECONDS_C = %v, %v", got, err)
		}
		if got, err := c.MetricNames(ctx, "nothing-like-this"); err != nil || len(got) != 0 {
			t.Errorf("filter with no match = %v, %v", got, err)
		}
	})

	t.Run("metric names cache", func(t *testing.T) {
		var fail atomic.Bool
		proxy, hits := countingProxy(t, prom.URL, func(_ int64, w http.ResponseWriter) bool {
			if fail.Load() {
				http.Error(w, "down", http.StatusBadGateway)
				return true
			}
			return false
		})
		var mu sync.Mutex
		now := time.Unix(t0, 0)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		mc := newClient(t, Options{BaseURL: proxy, MetadataCacheTTL: time.Minute, Now: clock, Retries: 2})

		for _, filter := range []string{"", "requests", "LATENCY"} {
			if _, err := mc.MetricNames(ctx, filter); err != nil {
				t.Fatal(err)
			}
		}
		if hits.Load() != 1 {
			t.Errorf("%d upstream calls within the TTL, want 1", hits.Load())
		}
		advance(61 * time.Second)
		if _, err := mc.MetricNames(ctx, ""); err != nil || hits.Load() != 2 {
			t.Errorf("after the TTL: %d upstream calls, %v", hits.Load(), err)
		}
		// A failed refresh serves the stale list.
		fail.Store(true)
		advance(61 * time.Second)
		got, err := mc.MetricNames(ctx, "requests")
		if err != nil || !slices.Equal(got, []string{"requests_total"}) || hits.Load() != 4 {
			t.Errorf("stale: %v, %v after %d upstream calls", got, err, hits.Load())
		}
		// Without a cache the error surfaces.
		fresh := newClient(t, Options{BaseURL: proxy, Retries: 1})
		_, err = fresh.MetricNames(ctx, "")
		if qe := asQueryError(t, err); qe.Status != 502 || qe.Endpoint != "label/__name__/values" {
			t.Errorf("uncached failure: %v", err)
		}
	})

	t.Run("fetch and mix", func(t *testing.T) {
		cfg := json.RawMessage(`{"type":"prometheus","metricName":"requests_total","customInlineTemplate":"version=\"${scope}\"","groupByFields":["code"]}`)
		var sides [2][]metrics.MetricSet
		for i, v := range []string{"baseline", "canary"} {
			sets, err := c.Fetch(ctx, metrics.Query{MetricName: "requests", QueryConfig: cfg, Scope: scope(v)})
			if err != nil {
				t.Fatal(err)
			}
			sides[i] = sets
		}
		pairs, err := metrics.Mix("requests", sides[0], sides[1])
		if err != nil {
			t.Fatal(err)
		}
		if len(pairs) != 2 {
			t.Fatalf("%d pairs", len(pairs))
		}
		for _, p := range pairs {
			code := p.Tags["code"]
			inc := map[string][2]float64{"200": {150, 180}, "500": {3, 9}}[code]
			for k := range gridPoints {
				if !closeTo(p.Values.Control[k], inc[0]*at(k)) || !closeTo(p.Values.Experiment[k], inc[1]*at(k)) {
					t.Fatalf("pair %s: %v / %v", code, p.Values.Control, p.Values.Experiment)
				}
			}
			if !strings.Contains(string(p.Attributes), `version=\"canary\"`) || !strings.Contains(string(p.Scopes), `"stepMillis":60000`) {
				t.Errorf("pair %s attributes %s scopes %s", code, p.Attributes, p.Scopes)
			}
		}
	})
}

// countingProxy forwards to target, counting requests; intercept (may be
// nil) answers the n-th request itself when it returns true.
func countingProxy(t *testing.T, target string, intercept func(n int64, w http.ResponseWriter) bool) (string, *atomic.Int64) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if intercept != nil && intercept(n, w) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s.URL, &hits
}

func TestRealPrometheusBasicAuth(t *testing.T) {
	const user, pass = "kayenta", "s3cr:et pass"
	prom := testinfra.StartPrometheus(t, testinfra.WithBasicAuth(user, pass), testinfra.WithOpenMetrics(history()))
	ctx := context.Background()
	q := query("requests", `{"metricName":"requests_total","customInlineTemplate":"version=\"${scope}\",code=\"500\""}`, "canary")
	promql := `avg(requests_total{version="canary",code="500"})`
	want := wantSeries(func(k int) float64 { return 9 * at(k) })

	t.Run("right credentials", func(t *testing.T) {
		c := newClient(t, Options{BaseURL: prom.URL, Username: user, Password: pass})
		sets, err := c.Fetch(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		checkSet(t, sets[0], "requests", nil, promql, want)
	})

	t.Run("usernamePasswordFile", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "creds")
		if err := os.WriteFile(f, []byte("  "+user+":"+pass+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := newClient(t, Options{BaseURL: prom.URL, UsernamePasswordFile: f})
		sets, err := c.Fetch(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		checkSet(t, sets[0], "requests", nil, promql, want)
		if names, err := c.MetricNames(ctx, "gappy"); err != nil || !slices.Equal(names, []string{"gappy_total"}) {
			t.Errorf("MetricNames = %v, %v", names, err)
		}
	})

	for name, o := range map[string]Options{
		"wrong password": {Username: user, Password: "nope"},
		"no credentials": {},
		"bearer instead": {BearerToken: "tok"},
	} {
		t.Run(name, func(t *testing.T) {
			o.BaseURL = prom.URL
			c := newClient(t, o)
			_, err := c.Fetch(ctx, q)
			qe := asQueryError(t, err)
			if qe.Status != 401 || qe.Attempts != 1 || qe.Retryable || !strings.Contains(err.Error(), "HTTP 401 Unauthorized") {
				t.Errorf("%v (%+v)", err, qe)
			}
		})
	}

	t.Run("Prometheus stopped: fails fast", func(t *testing.T) {
		c := newClient(t, Options{BaseURL: prom.URL, Username: user, Password: pass}) // default 10 attempts, 1ms backoff base
		prom.Stop()
		start := time.Now()
		_, err := c.Fetch(ctx, q)
		elapsed := time.Since(start)
		qe := asQueryError(t, err)
		if qe.Status != 0 || qe.Attempts != DefaultAttempts || !qe.Retryable || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%v (%+v)", err, qe)
		}
		if elapsed > 5*time.Second {
			t.Errorf("took %v", elapsed)
		}
		t.Logf("connection refused ×%d in %v: %v", qe.Attempts, elapsed, err)
		// And the caller's context bounds everything, backoff included.
		slow := newClient(t, Options{BaseURL: prom.URL, BackoffBase: time.Minute})
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start = time.Now()
		_, err = slow.Fetch(cctx, q)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Errorf("with a caller deadline: %v after %v", err, time.Since(start))
		}
	})
}
