package promstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctlproject/ctl/internal/testinfra"
)

// TestConformsToPrometheus scrapes one exposition with a real Prometheus
// (Debian's, started by internal/testinfra) and with a Store, then sends
// both the same API calls and compares the answers: status codes, JSON
// envelopes, result types, label sets and values.
func TestConformsToPrometheus(t *testing.T) {
	t.Parallel()
	e := newExposition(t, `# HELP conf_requests_total Requests.
# TYPE conf_requests_total counter
conf_requests_total{code="200"} 10
conf_requests_total{code="500"} 2
# HELP conf_latency_seconds Latency.
# TYPE conf_latency_seconds histogram
conf_latency_seconds_bucket{le="0.1"} 5
conf_latency_seconds_bucket{le="0.5"} 8
conf_latency_seconds_bucket{le="+Inf"} 10
conf_latency_seconds_sum 2.5
conf_latency_seconds_count 10
# TYPE conf_gauge gauge
conf_gauge{kind="a",version="exposed"} 1.5
conf_gauge{kind="b"} -3e-05
`)
	addr := e.srv.Listener.Addr().String()
	prom := testinfra.StartPrometheus(t, testinfra.WithConfig(fmt.Sprintf(`global:
  scrape_interval: 500ms
  scrape_timeout: 500ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: conf
    static_configs:
      - targets: [%q]
        labels: {version: canary}
`, addr)))
	store := startStore(t, Options{ScrapeInterval: 500 * time.Millisecond, Targets: []Target{
		{Job: "conf", URL: e.srv.URL, Labels: map[string]string{"version": "canary"}},
	}})

	// Both must have scraped at least 3 times.
	ready := url.Values{"query": {`count_over_time(up{job="conf"}[1m]) >= 3`}}
	waitStart := time.Now()
	deadline := waitStart.Add(15 * time.Second)
	for _, base := range []string{prom.URL, store.URL()} {
		for {
			_, _, body := call(t, "GET", base+"/api/v1/query", ready)
			if strings.Contains(body, `"value"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: target not scraped 3 times in 15s: %s", base, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Prometheus's discovery hands targets to its scrape manager every 5 s.
	t.Logf("both scraped 3 times after %s", time.Since(waitStart))
	now := time.Now().Truncate(time.Millisecond)
	at := strconv.FormatFloat(float64(now.UnixMilli())/1000, 'f', -1, 64)
	from := strconv.FormatFloat(float64(now.Add(-time.Second).UnixMilli())/1000, 'f', -1, 64)

	type req struct {
		method, path string
		params       url.Values
	}
	q := func(query string) req {
		return req{"GET", "/api/v1/query", url.Values{"query": {query}, "time": {at}}}
	}
	qr := func(query string) req {
		return req{"POST", "/api/v1/query_range", url.Values{"query": {query}, "start": {from}, "end": {at}, "step": {"0.5"}}}
	}
	same := []req{
		q(`conf_requests_total`),
		q(`sum by (code) (conf_requests_total)`),
		q(`conf_gauge`),
		q(`histogram_quantile(0.5, conf_latency_seconds_bucket)`),
		q(`histogram_quantile(0.99, sum(rate(conf_latency_seconds_bucket[10s])) by (le))`),
		q(`sum(rate(conf_requests_total{code="500"}[10s])) / sum(rate(conf_requests_total[10s]))`),
		q(`rate(conf_requests_total[10s])`),
		q(`up{job="conf"}`),
		q(`1+1`),
		q(`"text"`),
		q(`no_such_metric`),
		qr(`conf_gauge`),
		qr(`sum(conf_requests_total) by (code, version)`),
		qr(`no_such_metric`),
		{"GET", "/api/v1/query_range", url.Values{"query": {"1"}, "start": {"10"}, "end": {"1"}, "step": {"1"}}},
		{"GET", "/api/v1/query_range", url.Values{"query": {"1"}, "start": {"1"}, "end": {"10"}, "step": {"0"}}},
		{"GET", "/api/v1/query_range", url.Values{"query": {"1"}, "start": {"0"}, "end": {"20000"}, "step": {"1"}}},
		{"GET", "/api/v1/query_range", url.Values{"query": {"1"}, "start": {"x"}, "end": {"1"}, "step": {"1"}}},
		{"GET", "/api/v1/query", url.Values{"query": {"1"}, "time": {"yesterday"}}},
		{"GET", "/api/v1/series", url.Values{"match[]": {"conf_gauge"}}},
		{"GET", "/api/v1/series", nil},
		{"GET", "/api/v1/label/kind/values", nil},
		{"GET", "/api/v1/label/nope/values", nil},
		{"GET", "/api/v1/labels", url.Values{"match[]": {"conf_gauge"}}},
	}
	for _, r := range same {
		ps, pct, pbody := call(t, r.method, prom.URL+r.path, r.params)
		ss, sct, sbody := call(t, r.method, store.URL()+r.path, r.params)
		if ps != ss || pct != sct {
			t.Errorf("%s %s %v: Prometheus HTTP %d %s, Store HTTP %d %s", r.method, r.path, r.params, ps, pct, ss, sct)
		}
		pj, sj := normalize(t, pbody), normalize(t, sbody)
		// Prometheus 3 starts its error messages in lower case
		// ("Invalid time value" in 2.x).
		for _, j := range []any{pj, sj} {
			if m, ok := j.(map[string]any); ok {
				if msg, ok := m["error"].(string); ok {
					m["error"] = strings.ToLower(msg)
				}
			}
		}
		if !reflect.DeepEqual(pj, sj) {
			t.Errorf("%s %s %v:\nPrometheus %s\nStore      %s", r.method, r.path, r.params, pbody, sbody)
		}
	}

	// Parse errors: the same type and status; the wording comes from each
	// version's parser.
	for _, query := range []string{"sum(", "", "rate(x[5m]"} {
		ps, _, pbody := call(t, "GET", prom.URL+"/api/v1/query", url.Values{"query": {query}})
		ss, _, sbody := call(t, "GET", store.URL()+"/api/v1/query", url.Values{"query": {query}})
		pj, sj := normalize(t, pbody).(map[string]any), normalize(t, sbody).(map[string]any)
		if ps != 400 || ss != 400 || pj["errorType"] != "bad_data" || sj["errorType"] != "bad_data" ||
			!slices.Equal(slices.Sorted(maps.Keys(pj)), slices.Sorted(maps.Keys(sj))) ||
			!strings.HasPrefix(sj["error"].(string), `invalid parameter "query": `) {
			t.Errorf("query %q:\nPrometheus HTTP %d %s\nStore      HTTP %d %s", query, ps, pbody, ss, sbody)
		}
	}

	// Metric names: Prometheus also writes scrape_series_added and
	// scrape_samples_post_metric_relabeling for each target.
	_, _, pbody := call(t, "GET", prom.URL+"/api/v1/label/__name__/values", url.Values{"match[]": {`{job="conf"}`}})
	_, _, sbody := call(t, "GET", store.URL()+"/api/v1/label/__name__/values", url.Values{"match[]": {`{job="conf"}`}})
	var pn, sn struct{ Data []string }
	if err := json.Unmarshal([]byte(pbody), &pn); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(sbody), &sn); err != nil {
		t.Fatal(err)
	}
	extra := slices.DeleteFunc(slices.Clone(pn.Data), func(n string) bool { return slices.Contains(sn.Data, n) })
	if len(sn.Data) < 8 || !slices.IsSorted(sn.Data) || len(extra)+len(sn.Data) != len(pn.Data) ||
		!slices.Equal(extra, []string{"scrape_samples_post_metric_relabeling", "scrape_series_added"}) {
		t.Errorf("metric names:\nPrometheus %v\nStore      %v", pn.Data, sn.Data)
	}

	// Build info and targets: the same fields, and the same labels for the
	// target.
	for _, path := range []string{"/api/v1/status/buildinfo", "/api/v1/targets"} {
		_, _, pbody := call(t, "GET", prom.URL+path, nil)
		_, _, sbody := call(t, "GET", store.URL()+path, nil)
		pj, sj := normalize(t, pbody), normalize(t, sbody)
		// Prometheus 2.50 added droppedTargetCounts.
		delete(sj.(map[string]any)["data"].(map[string]any), "droppedTargetCounts")
		if path == "/api/v1/targets" {
			pt := pj.(map[string]any)["data"].(map[string]any)["activeTargets"].([]any)[0].(map[string]any)
			st := sj.(map[string]any)["data"].(map[string]any)["activeTargets"].([]any)[0].(map[string]any)
			for _, k := range []string{"discoveredLabels", "labels", "scrapeUrl", "scrapePool", "health", "scrapeInterval", "scrapeTimeout"} {
				if !reflect.DeepEqual(pt[k], st[k]) {
					t.Errorf("target %s: Prometheus %v, Store %v", k, pt[k], st[k])
				}
			}
		}
		if pk, sk := shape(pj), shape(sj); !reflect.DeepEqual(pk, sk) {
			t.Errorf("%s:\nPrometheus %s\nStore      %s", path, pbody, sbody)
		}
	}
}

// normalize decodes a JSON answer and sorts result lists, whose order
// Prometheus does not define.
func normalize(t *testing.T, body string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, body)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, c := range x {
				walk(c)
			}
			if r, ok := x["result"].([]any); ok {
				sortByJSON(r)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	if m, ok := v.(map[string]any); ok {
		if d, ok := m["data"].([]any); ok {
			sortByJSON(d)
		}
	}
	return v
}

func sortByJSON(l []any) {
	sort.Slice(l, func(i, j int) bool {
		a, _ := json.Marshal(l[i])
		b, _ := json.Marshal(l[j])
		return string(a) < string(b)
	})
}

// shape keeps the keys of objects (recursively) and the type of everything
// else.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, c := range x {
			out[k] = shape(c)
		}
		return out
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shape(x[0])}
	default:
		return fmt.Sprintf("%T", v)
	}
}
