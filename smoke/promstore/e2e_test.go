package promstore

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/ctlproject/ctl/kayenta/metrics"
	kprom "github.com/ctlproject/ctl/kayenta/metrics/prometheus"
	"github.com/ctlproject/ctl/smoke/sampleapp"
)

// The end-to-end test: a baseline (100 % success, 10 ms ± 2 ms) and a canary
// (70 % success, 40 ms ± 10 ms) sample app, both driven at 100 rps and
// scraped every second for about six seconds, then queried as ctl's
// analysis service queries Prometheus.

const (
	canaryErrorRatio = 0.30
	e2eRPS           = 100
	e2eScrapes       = 6
)

func startApp(t *testing.T, o sampleapp.Options) string {
	t.Helper()
	addr, stop, err := sampleapp.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return "http://" + addr
}

func startStore(t *testing.T, o Options) *Store {
	t.Helper()
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func promAPI(t *testing.T, s *Store) v1.API {
	t.Helper()
	c, err := api.NewClient(api.Config{Address: s.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return v1.NewAPI(c)
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	baseline := startApp(t, sampleapp.Options{SuccessRate: 100, Latency: 10 * time.Millisecond, Jitter: 2 * time.Millisecond, Seed: 1})
	canary := startApp(t, sampleapp.Options{SuccessRate: 100 * (1 - canaryErrorRatio), Latency: 40 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: 2})
	store := startStore(t, Options{
		ScrapeInterval: time.Second,
		Targets: []Target{
			{Job: "sampleapp", URL: baseline + "/metrics", Labels: map[string]string{"version": "baseline"}},
			{Job: "sampleapp", URL: canary, Labels: map[string]string{"version": "canary"}}, // path defaults to /metrics
		},
	})

	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	type driven struct{ sent, failed int64 }
	results := make([]driven, 2)
	for i, u := range []string{baseline, canary} {
		wg.Go(func() {
			s, f := sampleapp.Drive(ctx, u+"/", e2eRPS)
			results[i] = driven{s, f}
		})
	}
	// Wait for e2eScrapes scrapes of each target after the load started.
	deadline := time.Now().Add(20 * time.Second)
	for {
		done := true
		for _, ts := range store.Targets() {
			if ts.Scrapes < e2eScrapes+1 {
				done = false
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("targets not scraped %d times in 20s: %+v", e2eScrapes+1, store.Targets())
		}
		time.Sleep(50 * time.Millisecond)
	}
	end := time.Now()
	cancel()
	wg.Wait()
	t.Logf("load: baseline %+v, canary %+v over %s", results[0], results[1], end.Sub(start))

	for _, ts := range store.Targets() {
		if ts.Health != "up" || ts.LastError != "" || ts.Samples == 0 {
			t.Errorf("target %s: health %s, error %q, %d samples", ts.ScrapeURL, ts.Health, ts.LastError, ts.Samples)
		}
	}

	papi := promAPI(t, store)
	qctx, qcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer qcancel()

	t.Run("canary error ratio", func(t *testing.T) {
		q := `sum(rate(requests_total{version="canary",code="500"}[5s])) / sum(rate(requests_total{version="canary"}[5s]))`
		// From the second scrape under load; the last second is left out:
		// its window may hold a scrape after the load stopped.
		r := v1.Range{Start: start.Add(2 * time.Second), End: end.Add(-time.Second), Step: time.Second}
		val, warnings, infos, err := papi.QueryRange(qctx, q, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(warnings) > 0 || len(infos) > 0 {
			t.Errorf("warnings %v, infos %v", warnings, infos)
		}
		m, ok := val.(model.Matrix)
		if !ok || len(m) != 1 {
			t.Fatalf("result %v (%T), want one series", val, val)
		}
		if len(m[0].Metric) != 0 {
			t.Errorf("series labels %v, want none after sum", m[0].Metric)
		}
		if len(m[0].Values) < 3 {
			t.Fatalf("%d points, want one a second from %v to %v", len(m[0].Values), r.Start, r.End)
		}
		var sum float64
		for _, p := range m[0].Values {
			sum += float64(p.Value)
			if p.Value < 0.1 || p.Value > 0.5 {
				t.Errorf("error ratio %v at %v, want about %v", p.Value, p.Timestamp, canaryErrorRatio)
			}
		}
		mean := sum / float64(len(m[0].Values))
		if math.Abs(mean-canaryErrorRatio) > 0.06 {
			t.Errorf("mean error ratio %.3f over %d points, want %.2f ± 0.06", mean, len(m[0].Values), canaryErrorRatio)
		}
		t.Logf("canary error ratio: mean %.3f over %d points: %v", mean, len(m[0].Values), m[0].Values)

		// The baseline fails nothing: its 500 rate is 0, not absent.
		val, _, _, err = papi.Query(qctx, `sum(rate(requests_total{version="baseline",code="500"}[5s]))`, end)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := val.(model.Vector); !ok || len(v) != 1 || v[0].Value != 0 {
			t.Errorf("baseline 500 rate = %v, want 0", val)
		}
	})

	t.Run("p99 latency", func(t *testing.T) {
		for version, want := range map[string][2]float64{
			// 10 ms ± 2 ms: p99 about 12 ms plus overhead; 40 ms ± 10 ms:
			// about 50 ms.
			"baseline": {0.010, 0.035},
			"canary":   {0.040, 0.080},
		} {
			q := `histogram_quantile(0.99, sum(rate(request_duration_seconds_bucket{version="` + version + `"}[5s])) by (le))`
			val, _, _, err := papi.Query(qctx, q, end.Add(-time.Second))
			if err != nil {
				t.Fatal(err)
			}
			v, ok := val.(model.Vector)
			if !ok || len(v) != 1 {
				t.Fatalf("%s: result %v, want one sample", version, val)
			}
			p99 := float64(v[0].Value)
			if p99 < want[0] || p99 > want[1] {
				t.Errorf("%s p99 = %.4fs, want within %v", version, p99, want)
			}
			t.Logf("%s p99 = %.1f ms", version, p99*1000)
		}
	})

	t.Run("metric names", func(t *testing.T) {
		names, _, _, err := papi.LabelValues(qctx, "__name__", nil, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"requests_total", "request_duration_seconds_bucket", "request_duration_seconds_count",
			"request_duration_seconds_sum", "rate_requests", "up", "scrape_duration_seconds", "scrape_samples_scraped"} {
			if !slices.Contains(names, model.LabelValue(want)) {
				t.Errorf("__name__ values %v lack %s", names, want)
			}
		}
		versions, _, _, err := papi.LabelValues(qctx, "version", []string{"up"}, start, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(versions, model.LabelValues{"baseline", "canary"}) {
			t.Errorf("version values of up = %v", versions)
		}
	})

	t.Run("series and labels", func(t *testing.T) {
		sets, _, _, err := papi.Series(qctx, []string{`requests_total{version="canary"}`}, start, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(sets) != 2 {
			t.Fatalf("series %v, want codes 200 and 500", sets)
		}
		for _, ls := range sets {
			if ls["job"] != "sampleapp" || !strings.HasPrefix(string(ls["instance"]), "127.0.0.1:") || ls["version"] != "canary" {
				t.Errorf("series %v lacks the target labels", ls)
			}
		}
		names, _, _, err := papi.LabelNames(qctx, []string{"requests_total"}, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names, model.LabelNames{"__name__", "code", "instance", "job", "version"}) {
			t.Errorf("label names %v", names)
		}
	})

	t.Run("targets and buildinfo", func(t *testing.T) {
		tr, err := papi.Targets(qctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Active) != 2 {
			t.Fatalf("active targets %+v", tr.Active)
		}
		for _, a := range tr.Active {
			if a.Health != v1.HealthGood || a.ScrapePool != "sampleapp" || !strings.HasSuffix(a.ScrapeURL, "/metrics") || a.LastScrape.IsZero() {
				t.Errorf("target %+v", a)
			}
		}
		bi, err := papi.Buildinfo(qctx)
		if err != nil {
			t.Fatal(err)
		}
		if bi.Version != "3.16.0" || bi.GoVersion == "" {
			t.Errorf("buildinfo %+v", bi)
		}
	})

	t.Run("bad PromQL", func(t *testing.T) {
		_, _, _, err := papi.QueryRange(qctx, `sum(rate(requests_total[5s])`, v1.Range{Start: start, End: end, Step: time.Second})
		var apiErr *v1.Error
		if !errors.As(err, &apiErr) || apiErr.Type != v1.ErrBadData || !strings.Contains(apiErr.Msg, `invalid parameter "query"`) {
			t.Errorf("error %v (%#v), want bad_data", err, err)
		}
		// The raw answer: HTTP 400 and Prometheus's error envelope, nothing else.
		resp, err := http.PostForm(store.URL()+"/api/v1/query", url.Values{"query": {"sum(rate("}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/json" || len(body) != 3 ||
			body["status"] != "error" || body["errorType"] != "bad_data" || !strings.HasPrefix(body["error"].(string), `invalid parameter "query": 1:10: parse error`) {
			t.Errorf("HTTP %s %s: %v", resp.Status, resp.Header.Get("Content-Type"), body)
		}
	})

	t.Run("kayenta prometheus source", func(t *testing.T) {
		c, err := kprom.New(kprom.Options{Name: "embedded", BaseURL: store.URL(), Retries: 1, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		scope := func(v string) metrics.Scope {
			return metrics.Scope{Scope: v, Location: "local", Start: start.Add(2 * time.Second).Truncate(time.Second), End: end.Add(-time.Second).Truncate(time.Second), Step: 1}
		}
		cfg := `{"type":"prometheus","customInlineTemplate":"PromQL:sum(rate(requests_total{version=\"${scope}\",code=\"500\"}[5s])) / sum(rate(requests_total{version=\"${scope}\"}[5s]))"}`
		for version, want := range map[string]float64{"baseline": 0, "canary": canaryErrorRatio} {
			sets, err := c.Fetch(qctx, metrics.Query{MetricName: "error-ratio", QueryConfig: json.RawMessage(cfg), Scope: scope(version)})
			if err != nil {
				t.Fatal(err)
			}
			if len(sets) != 1 {
				t.Fatalf("%s: %d sets, want 1", version, len(sets))
			}
			vals := sets[0].Values
			var sum float64
			var n int
			for _, v := range vals {
				if !math.IsNaN(v) {
					sum += v
					n++
				}
			}
			if n < len(vals)-1 || n == 0 || math.Abs(sum/float64(n)-want) > 0.06 {
				t.Errorf("%s: values %v, want about %v", version, vals, want)
			}
		}
		// A scope-filtered metric as Kayenta builds it: avg(rate_requests{version="canary"}).
		sets, err := c.Fetch(qctx, metrics.Query{MetricName: "rate",
			QueryConfig: json.RawMessage(`{"type":"prometheus","metricName":"rate_requests","customInlineTemplate":"version=\"${scope}\""}`),
			Scope:       scope("canary")})
		if err != nil {
			t.Fatal(err)
		}
		if len(sets) != 1 || sets[0].Attributes["query"] != `avg(rate_requests{version="canary"})` {
			t.Fatalf("sets %+v", sets)
		}
		last := sets[0].Values[len(sets[0].Values)-1]
		if math.Abs(last-100*canaryErrorRatio) > 6 {
			t.Errorf("rate_requests of the canary = %v%%, want about %v%%", last, 100*canaryErrorRatio)
		}
		names, err := c.MetricNames(qctx, "request")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(names, "requests_total") || !slices.Contains(names, "rate_requests") {
			t.Errorf("metric names %v", names)
		}
	})
}

// get fetches url and returns the status, Content-Type and body.
func get(t *testing.T, u string) (int, string, string) {
	t.Helper()
	return call(t, http.MethodGet, u, nil)
}
