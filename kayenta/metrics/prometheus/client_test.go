package prometheus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctlproject/ctl/internal/testinfra"
	"github.com/ctlproject/ctl/kayenta/metrics"
)

// Tests against small fake servers: retry policy, error reporting, timeouts,
// conversion corner cases. prometheus_test.go runs against a real Prometheus.

var fakeStart = time.Unix(1700000000, 0).UTC()

func fakeQuery(metric string) metrics.Query {
	return metrics.Query{
		MetricName:  metric,
		QueryConfig: json.RawMessage(`{"type":"prometheus","metricName":"up","customInlineTemplate":"job=\"${scope}\""}`),
		Scope:       metrics.Scope{Scope: "api", Start: fakeStart, End: fakeStart.Add(2 * time.Minute), Step: 60},
	}
}

const fakeQueryPromQL = `avg(up{job="api"})`

// matrixBody is a query_range answer with one series {job="api"} holding
// the given [seconds, "value"] samples.
func matrixBody(samples ...string) string {
	return `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"api"},"values":[` +
		strings.Join(samples, ",") + `]}]}}`
}

// fakeServer answers with the handlers in turn (the last one repeats) and
// counts requests.
type fakeServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	times    []time.Time
}

func newFake(t *testing.T, handlers ...http.HandlerFunc) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		n := len(f.requests)
		f.requests = append(f.requests, r)
		f.times = append(f.times, time.Now())
		f.mu.Unlock()
		handlers[min(n, len(handlers)-1)](w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func reply(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	if o.Name == "" {
		o.Name = "test-account"
	}
	if o.BackoffBase == 0 {
		o.BackoffBase = time.Millisecond
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func asQueryError(t *testing.T, err error) *QueryError {
	t.Helper()
	var qe *QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("error %v (%T) is not a *QueryError", err, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, `"test-account"`) {
		t.Errorf("error %q does not name the account", msg)
	}
	if qe.Query != "" && !strings.Contains(msg, "`"+qe.Query+"`") {
		t.Errorf("error %q does not name the query", msg)
	}
	return qe
}

func TestFetchRequest(t *testing.T) {
	f := newFake(t, reply(200, "application/json", matrixBody(`[1700000000,"1"]`, `[1700000060,"+Inf"]`, `[1700000120,"NaN"]`)))
	c := newClient(t, Options{BaseURL: f.URL + "/prefix/"})
	sets, err := c.Fetch(context.Background(), fakeQuery("m"))
	if err != nil {
		t.Fatal(err)
	}
	r := f.requests[0]
	if r.URL.Path != "/prefix/api/v1/query_range" {
		t.Errorf("path = %s", r.URL.Path)
	}
	if got := r.Form.Get("query"); got != fakeQueryPromQL {
		t.Errorf("query = %q", got)
	}
	if r.Form.Get("start") != "1700000000" || r.Form.Get("end") != "1700000120" || r.Form.Get("step") != "60" {
		t.Errorf("start/end/step = %s/%s/%s", r.Form.Get("start"), r.Form.Get("end"), r.Form.Get("step"))
	}
	if r.Header.Get("Authorization") != "" {
		t.Errorf("unexpected Authorization %q", r.Header.Get("Authorization"))
	}
	if len(sets) != 1 {
		t.Fatalf("got %d sets", len(sets))
	}
	s := sets[0]
	if s.Name != "m" || len(s.Tags) != 1 || s.Tags["job"] != "api" || s.Attributes["query"] != fakeQueryPromQL ||
		s.StartTimeMillis != 1700000000000 || s.StepMillis != 60000 || s.EndTimeMillis != 1700000180000 ||
		s.StartTimeIso != "2023-11-14T22:13:20Z" || s.EndTimeIso != "2023-11-14T22:16:20Z" {
		t.Errorf("set = %+v", s)
	}
	if len(s.Values) != 3 || s.Values[0] != 1 || !math.IsInf(s.Values[1], 1) || !math.IsNaN(s.Values[2]) {
		t.Errorf("values = %v", s.Values)
	}
}

func TestFetchSubMillisecondScope(t *testing.T) {
	// The scope's start is sent truncated to the millisecond, the grid we fill.
	f := newFake(t, reply(200, "application/json", matrixBody(`[1700000000.123,"1"]`, `[1700000060.123,"2"]`)))
	c := newClient(t, Options{BaseURL: f.URL})
	q := fakeQuery("m")
	q.Scope.Start = fakeStart.Add(123456789 * time.Nanosecond)
	q.Scope.End = q.Scope.Start.Add(time.Minute)
	sets, err := c.Fetch(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.requests[0].Form.Get("start"); got != "1700000000.123" {
		t.Errorf("start = %s", got)
	}
	if s := sets[0]; s.StartTimeMillis != 1700000000123 || len(s.Values) != 2 || s.Values[1] != 2 {
		t.Errorf("set = %+v", s)
	}
}

func TestRetryPolicy(t *testing.T) {
	ok := reply(200, "application/json", matrixBody(`[1700000000,"1"]`))
	for _, tc := range []struct {
		status int
		retry  bool
	}{
		{500, true}, {502, true}, {503, true}, {504, true}, {408, true}, {429, true},
		{400, false}, {401, false}, {403, false}, {404, false}, {422, false},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			handlers := []http.HandlerFunc{reply(tc.status, "text/plain", "nope")}
			if tc.retry {
				handlers = append(handlers, ok)
			}
			f := newFake(t, handlers...)
			c := newClient(t, Options{BaseURL: f.URL, Retries: 3})
			_, err := c.Fetch(context.Background(), fakeQuery("m"))
			if tc.retry {
				if err != nil || f.count() != 2 {
					t.Fatalf("err %v after %d requests; want success on the 2nd", err, f.count())
				}
				return
			}
			qe := asQueryError(t, err)
			// 403 makes client_golang repeat the POST as a GET; that is not a retry.
			wantReq := 1
			if tc.status == 403 {
				wantReq = 2
			}
			if f.count() != wantReq || qe.Attempts != 1 || qe.Retryable || qe.Status != tc.status {
				t.Errorf("requests %d, %+v", f.count(), qe)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d", tc.status)) || !strings.Contains(err.Error(), `"nope"`) {
				t.Errorf("error %q lacks the status or body", err)
			}
		})
	}
}

func TestRetriesExhaustedWithBackoff(t *testing.T) {
	f := newFake(t, reply(503, "text/plain", "overloaded"))
	c := newClient(t, Options{BaseURL: f.URL, Retries: 4, BackoffBase: 20 * time.Millisecond})
	_, err := c.Fetch(context.Background(), fakeQuery("m"))
	qe := asQueryError(t, err)
	if f.count() != 4 || qe.Attempts != 4 || !qe.Retryable || qe.Status != 503 {
		t.Fatalf("requests %d, %+v", f.count(), qe)
	}
	if !strings.Contains(err.Error(), "after 4 attempts") || !strings.Contains(err.Error(), "HTTP 503 Service Unavailable") {
		t.Errorf("error = %v", err)
	}
	// Backoff 2^(n-1)·base: 20, 40, 80 ms.
	for i, want := range []time.Duration{20, 40, 80} {
		if gap := f.times[i+1].Sub(f.times[i]); gap < want*time.Millisecond {
			t.Errorf("gap before attempt %d = %v, want ≥ %v", i+2, gap, want*time.Millisecond)
		}
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	f := newFake(t, reply(503, "text/plain", "overloaded"))
	c := newClient(t, Options{BaseURL: f.URL, BackoffBase: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Fetch(ctx, fakeQuery("m"))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
	asQueryError(t, err)
}

func TestTimeout(t *testing.T) {
	// A listener that accepts connections and never answers.
	addr := testinfra.SilentServer(t)

	c := newClient(t, Options{BaseURL: "http://" + addr, Timeout: 150 * time.Millisecond, Retries: 2})
	start := time.Now()
	_, err := c.Fetch(context.Background(), fakeQuery("m"))
	elapsed := time.Since(start)
	qe := asQueryError(t, err)
	if qe.Attempts != 2 || !qe.Retryable || qe.Status != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%+v", qe)
	}
	if !strings.Contains(err.Error(), "timeout: no complete response within 150ms") {
		t.Errorf("error = %v", err)
	}
	if elapsed < 300*time.Millisecond || elapsed > 5*time.Second {
		t.Errorf("took %v, want about 2×150ms", elapsed)
	}

	// A body that never ends counts as a timeout too.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"success","data":{`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(slow.Close)
	c = newClient(t, Options{BaseURL: slow.URL, Timeout: 100 * time.Millisecond, Retries: 1})
	_, err = c.Fetch(context.Background(), fakeQuery("m"))
	if qe := asQueryError(t, err); qe.Attempts != 1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow body: %v", err)
	}
}

func TestBadResponses(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body string
		want                    []string
	}{
		{"html", "text/html; charset=utf-8", "<html><body>Login required</body></html>",
			[]string{"HTTP 200 OK", "not Prometheus API JSON", `Content-Type "text/html; charset=utf-8"`, "<html><body>Login required"}},
		{"garbage", "application/json", "this is not json",
			[]string{"HTTP 200 OK", "not Prometheus API JSON", `"this is not json"`}},
		{"truncated", "application/json", `{"status":"success","data":{"resultType":"matrix","result":[`,
			[]string{"not Prometheus API JSON"}},
		{"vector", "application/json", `{"status":"success","data":{"resultType":"vector","result":[]}}`,
			[]string{`unexpected resultType "vector" for a range query, want "matrix"`}},
		{"scalar", "application/json", `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"1"]}}`,
			[]string{`unexpected resultType "scalar"`}},
		{"unknown resultType", "application/json", `{"status":"success","data":{"resultType":"table","result":[]}}`,
			[]string{"not Prometheus API JSON", `unknown value type "table"`}},
		{"no data", "application/json", `{"status":"success"}`,
			[]string{"the response has no data"}},
		{"error status with 200", "application/json", `{"status":"error","errorType":"execution","error":"boom"}`,
			[]string{"HTTP 200 OK: execution: boom"}},
		{"bad sample", "application/json", matrixBody(`[1700000000,"abc"]`),
			[]string{"not Prometheus API JSON"}},
		{"off-grid sample", "application/json", matrixBody(`[1700000000,"1"]`, `[1700000030,"2"]`),
			[]string{`has a sample at 2023-11-14T22:13:50Z, off the 60s grid starting at 2023-11-14T22:13:20Z`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, reply(200, tc.contentType, tc.body))
			c := newClient(t, Options{BaseURL: f.URL})
			sets, err := c.Fetch(context.Background(), fakeQuery("m"))
			if err == nil {
				t.Fatalf("Fetch = %+v, want an error", sets)
			}
			t.Log(err)
			qe := asQueryError(t, err)
			if qe.Retryable || f.count() != 1 || qe.Query != fakeQueryPromQL {
				t.Errorf("requests %d, %+v", f.count(), qe)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %s\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestFetchArgumentErrors(t *testing.T) {
	f := newFake(t, reply(200, "application/json", matrixBody()))
	c := newClient(t, Options{BaseURL: f.URL})
	for _, tc := range []struct {
		name string
		edit func(*metrics.Query)
		want string
	}{
		{"no start", func(q *metrics.Query) { q.Scope.Start = time.Time{} }, "Start time is required."},
		{"no end", func(q *metrics.Query) { q.Scope.End = time.Time{} }, "End time is required."},
		{"no step", func(q *metrics.Query) { q.Scope.Step = 0 }, "Step must be a positive number of seconds, got 0."},
		{"end before start", func(q *metrics.Query) { q.Scope.End = q.Scope.Start.Add(-time.Second) },
			"End time 2023-11-14T22:13:19Z is before start time 2023-11-14T22:13:20Z."},
		{"template", func(q *metrics.Query) {
			q.QueryConfig = json.RawMessage(`{"metricName":"m","customInlineTemplate":"${x}"}`)
		},
			"Problem evaluating custom filter template: ${x}"},
		{"wrong type", func(q *metrics.Query) { q.QueryConfig = json.RawMessage(`{"type":"datadog"}`) },
			"Query config of type 'datadog' cannot be run by a Prometheus account."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := fakeQuery("m")
			tc.edit(&q)
			_, err := c.Fetch(context.Background(), q)
			if err == nil || err.Error() != tc.want || !metrics.IsArgumentError(err) {
				t.Errorf("err = %v, want ArgumentError %q", err, tc.want)
			}
		})
	}
	if f.count() != 0 {
		t.Errorf("%d requests sent for invalid queries", f.count())
	}
}

func TestDryRun(t *testing.T) {
	c := newClient(t, Options{BaseURL: "http://127.0.0.1:1", ScopeLabel: "pod"})
	q := metrics.Query{
		QueryConfig: json.RawMessage(`{"type":"prometheus","metricName":"cpu","resourceType":"gce_instance"}`),
		Scope:       metrics.Scope{Scope: "app", Location: "us-east1"},
	}
	got, err := c.DryRun(q)
	if want := `avg(cpu{pod=~"app-.{4}",zone=~".+/zones/us-east1-.{1}"})`; err != nil || got != want {
		t.Errorf("DryRun = %q, %v; want %q", got, err, want)
	}
}

func TestNewOptions(t *testing.T) {
	dir := t.TempDir()
	noColon := filepath.Join(dir, "bad")
	if err := os.WriteFile(noColon, []byte("justauser\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no url", Options{Name: "a"}, `prometheus account "a": baseUrl "" is not an http(s) URL`},
		{"bad scheme", Options{Name: "a", BaseURL: "ftp://x"}, "is not an http(s) URL"},
		{"user without password", Options{BaseURL: "http://x", Username: "u"}, "basic auth needs both username and password"},
		{"missing file", Options{BaseURL: "http://x", UsernamePasswordFile: filepath.Join(dir, "nope")}, "usernamePasswordFile"},
		{"file without colon", Options{BaseURL: "http://x", UsernamePasswordFile: noColon}, "must hold user:password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want %q", err, tc.want)
			}
		})
	}
	c, err := New(Options{BaseURL: "http://x"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "prometheus" || c.timeout != DefaultTimeout || c.attempts != DefaultAttempts ||
		c.backoffBase != DefaultBackoffBase || c.cacheTTL != DefaultMetadataCacheTTL || c.scopeLabel != "instance" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestAuthNotSentToOtherHosts(t *testing.T) {
	var got []string
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, "other:"+r.Header.Get("Authorization"))
		mu.Unlock()
		reply(200, "application/json", matrixBody(`[1700000000,"1"]`))(w, r)
	}))
	t.Cleanup(other.Close)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, "self:"+r.Header.Get("Authorization"))
		mu.Unlock()
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	c := newClient(t, Options{BaseURL: f.URL, BearerToken: "tok"})
	if _, err := c.Fetch(context.Background(), fakeQuery("m")); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "self:Bearer tok" || got[1] != "other:" {
		t.Errorf("Authorization headers = %q", got)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {9, 256 * time.Second}, {40, maxBackoff}, {1000, maxBackoff}} {
		if got := backoff(time.Second, tc.n); got != tc.want {
			t.Errorf("backoff(1s, %d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}
