package promstore

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// exposition is a test target whose body, Content-Type and status can be
// changed while it is scraped.
type exposition struct {
	mu          sync.Mutex
	body        string
	contentType string
	status      int
	srv         *httptest.Server
}

func newExposition(t *testing.T, body string) *exposition {
	e := &exposition{body: body, contentType: "text/plain; version=0.0.4; charset=utf-8", status: 200}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		w.Header().Set("Content-Type", e.contentType)
		w.WriteHeader(e.status)
		fmt.Fprint(w, e.body)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *exposition) set(body, contentType string, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.body, e.contentType, e.status = body, contentType, status
}

// waitScrapes waits until the target has been scraped n more times than
// when called (so that the last scrape saw what was set before the call).
func waitScrapes(t *testing.T, s *Store, targetURL string, n int) TargetStatus {
	t.Helper()
	status := func() TargetStatus {
		for _, ts := range s.Targets() {
			if ts.URL == targetURL {
				return ts
			}
		}
		t.Fatalf("no target %s", targetURL)
		return TargetStatus{}
	}
	want := status().Scrapes + n
	deadline := time.Now().Add(10 * time.Second)
	for {
		ts := status()
		if ts.Scrapes >= want {
			return ts
		}
		if time.Now().After(deadline) {
			t.Fatalf("target %s: %d scrapes after 10s, want %d", targetURL, ts.Scrapes, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func instant(t *testing.T, papi v1.API, q string, at time.Time) model.Vector {
	t.Helper()
	val, _, _, err := papi.Query(context.Background(), q, at)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	v, ok := val.(model.Vector)
	if !ok {
		t.Fatalf("%s: %T, want a vector", q, val)
	}
	return v
}

func TestScrapeSemantics(t *testing.T) {
	t.Parallel()
	explicit := time.Now().Add(-30 * time.Second).Truncate(time.Millisecond)
	body := fmt.Sprintf(`# HELP a_total A counter.
# TYPE a_total counter
a_total{job="exposed",version="old"} 1
b 2
c 3 %d
`, explicit.UnixMilli())
	e := newExposition(t, body)
	s := startStore(t, Options{ScrapeInterval: 100 * time.Millisecond, Targets: []Target{
		{Job: "j", URL: e.srv.URL, Labels: map[string]string{"version": "canary"}},
	}})
	papi := promAPI(t, s)
	waitScrapes(t, s, e.srv.URL, 2)
	now := time.Now()

	t.Run("target labels win, exposed ones become exported_", func(t *testing.T) {
		v := instant(t, papi, "a_total", now)
		want := model.Metric{"__name__": "a_total", "job": "j", "instance": model.LabelValue(e.srv.Listener.Addr().String()),
			"version": "canary", "exported_job": "exposed", "exported_version": "old"}
		if len(v) != 1 || !v[0].Metric.Equal(want) || v[0].Value != 1 {
			t.Errorf("a_total = %v, want %v 1", v, want)
		}
	})
	t.Run("explicit timestamps are kept", func(t *testing.T) {
		v := instant(t, papi, "timestamp(c)", now)
		if len(v) != 1 || float64(v[0].Value) != float64(explicit.UnixMilli())/1000 {
			t.Errorf("timestamp(c) = %v, want %v", v, float64(explicit.UnixMilli())/1000)
		}
	})
	t.Run("report series", func(t *testing.T) {
		for q, want := range map[string]model.SampleValue{
			`up{job="j",version="canary"}`: 1,
			"scrape_samples_scraped":       3,
		} {
			v := instant(t, papi, q, now)
			if len(v) != 1 || v[0].Value != want {
				t.Errorf("%s = %v, want %v", q, v, want)
			}
		}
		if v := instant(t, papi, "scrape_duration_seconds > 0", now); len(v) != 1 {
			t.Errorf("scrape_duration_seconds = %v", v)
		}
	})

	t.Run("vanished series go stale", func(t *testing.T) {
		before := time.Now()
		e.set(strings.Replace(body, "b 2\n", "", 1), "text/plain; version=0.0.4", 200)
		waitScrapes(t, s, e.srv.URL, 2)
		if v := instant(t, papi, "b", time.Now()); len(v) != 0 {
			t.Errorf("b after it vanished = %v, want nothing (stale)", v)
		}
		if v := instant(t, papi, "b", before); len(v) != 1 || v[0].Value != 2 {
			t.Errorf("b before it vanished = %v, want 2", v)
		}
		// Without staleness it would still be there for the 5m lookback.
		if v := instant(t, papi, "a_total", time.Now()); len(v) != 1 {
			t.Errorf("a_total = %v", v)
		}
	})

	t.Run("failed scrape: up 0, every series stale", func(t *testing.T) {
		e.set("oops", "text/plain", 500)
		ts := waitScrapes(t, s, e.srv.URL, 2)
		if ts.Health != "down" || ts.LastError != "server returned HTTP status 500 Internal Server Error" || ts.Samples != 0 {
			t.Errorf("status %+v", ts)
		}
		now := time.Now()
		if v := instant(t, papi, "up", now); len(v) != 1 || v[0].Value != 0 {
			t.Errorf("up = %v, want 0", v)
		}
		if v := instant(t, papi, "a_total", now); len(v) != 0 {
			t.Errorf("a_total after a failed scrape = %v, want nothing", v)
		}
	})

	t.Run("unparsable exposition fails the scrape", func(t *testing.T) {
		e.set("a_total{ 1\n", "text/plain; version=0.0.4", 200)
		ts := waitScrapes(t, s, e.srv.URL, 2)
		if ts.Health != "down" || !strings.Contains(ts.LastError, "parsing the exposition") {
			t.Errorf("status %+v", ts)
		}
	})

	t.Run("OpenMetrics", func(t *testing.T) {
		e.set("# TYPE om gauge\nom{x=\"y\"} 7\n# EOF\n", "application/openmetrics-text; version=1.0.0; charset=utf-8", 200)
		ts := waitScrapes(t, s, e.srv.URL, 2)
		if ts.Health != "up" {
			t.Fatalf("status %+v", ts)
		}
		if v := instant(t, papi, `om{x="y"}`, time.Now()); len(v) != 1 || v[0].Value != 7 {
			t.Errorf("om = %v, want 7", v)
		}
	})

	t.Run("removed target goes stale", func(t *testing.T) {
		if err := s.RemoveTarget(e.srv.URL); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
		now := time.Now()
		for _, q := range []string{"up", "om", "scrape_samples_scraped"} {
			if v := instant(t, papi, q, now); len(v) != 0 {
				t.Errorf("%s after RemoveTarget = %v, want nothing", q, v)
			}
		}
		if len(s.Targets()) != 0 {
			t.Errorf("targets %+v", s.Targets())
		}
		if err := s.RemoveTarget(e.srv.URL); err == nil {
			t.Error("second RemoveTarget succeeded")
		}
	})
}

func TestAddTarget(t *testing.T) {
	t.Parallel()
	e := newExposition(t, "x 1\n")
	s := startStore(t, Options{ScrapeInterval: 100 * time.Millisecond})
	if len(s.Targets()) != 0 {
		t.Fatalf("targets %+v", s.Targets())
	}
	target := Target{Job: "added", URL: e.srv.URL + "/metrics", Labels: map[string]string{"instance": "app-1"}}
	if err := s.AddTarget(target); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTarget(target); err == nil || !strings.Contains(err.Error(), "already scraped") {
		t.Errorf("second AddTarget: %v", err)
	}
	ts := waitScrapes(t, s, target.URL, 1)
	if ts.Health != "up" || ts.Labels["instance"] != "app-1" || ts.Labels["job"] != "added" {
		t.Errorf("status %+v", ts)
	}
	v := instant(t, promAPI(t, s), "x", time.Now())
	if len(v) != 1 || v[0].Metric["instance"] != "app-1" {
		t.Errorf("x = %v, want instance app-1 (the target label overrides host:port)", v)
	}
	// A URL without a path is the same target as with /metrics.
	if err := s.RemoveTarget(e.srv.URL); err != nil {
		t.Errorf("RemoveTarget without /metrics: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTarget(target); err == nil {
		t.Error("AddTarget after Close succeeded")
	}
}

func TestDownTarget(t *testing.T) {
	t.Parallel()
	e := newExposition(t, "")
	url := e.srv.URL
	e.srv.Close() // nothing listens there now
	s := startStore(t, Options{ScrapeInterval: 100 * time.Millisecond, Targets: []Target{{Job: "gone", URL: url}}})
	ts := waitScrapes(t, s, url, 1)
	if ts.Health != "down" || !strings.Contains(ts.LastError, "connection refused") {
		t.Errorf("status %+v", ts)
	}
	if v := instant(t, promAPI(t, s), `up{job="gone"}`, time.Now()); len(v) != 1 || v[0].Value != 0 {
		t.Errorf("up = %v, want 0", v)
	}
}

func TestScrapeTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); got != "0.2" {
			t.Errorf("X-Prometheus-Scrape-Timeout-Seconds = %q", got)
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	s := startStore(t, Options{ScrapeInterval: 300 * time.Millisecond, ScrapeTimeout: 200 * time.Millisecond,
		Targets: []Target{{Job: "slow", URL: srv.URL}}})
	ts := waitScrapes(t, s, srv.URL, 1)
	if ts.Health != "down" || ts.LastError != "scrape timed out after 200ms" {
		t.Errorf("status %+v", ts)
	}
}

func TestDirs(t *testing.T) {
	t.Parallel()
	e := newExposition(t, "kept 42\n")

	// No Dir: a temporary folder, gone after Close.
	s, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tmp := s.Dir()
	if _, err := os.Stat(tmp); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary TSDB %s left after Close: %v", tmp, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// A given Dir keeps its data across Stores (write-ahead log replay).
	dir := filepath.Join(t.TempDir(), "tsdb")
	s, err = Start(context.Background(), Options{Dir: dir, ScrapeInterval: 100 * time.Millisecond, Targets: []Target{{Job: "p", URL: e.srv.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	waitScrapes(t, s, e.srv.URL, 1)
	at := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = startStore(t, Options{Dir: dir})
	if v := instant(t, promAPI(t, s), "kept", at); len(v) != 1 || v[0].Value != 42 {
		t.Errorf("kept after reopening = %v, want 42", v)
	}
}

func TestContextEndCloses(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	if code, _, _ := get(t, s.URL()+"/-/ready"); code != 200 {
		t.Fatalf("ready = %d", code)
	}
	cancel()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Store not closed 10s after ctx ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := http.Get(s.URL() + "/-/ready"); err == nil {
		t.Error("still serving after ctx ended")
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	busy := startStore(t, Options{})
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no job", Options{Targets: []Target{{URL: "http://127.0.0.1:1"}}}, "has no job"},
		{"bad URL", Options{Targets: []Target{{Job: "j", URL: "127.0.0.1:1"}}}, "not an http(s) URL"},
		{"twice", Options{Targets: []Target{{Job: "j", URL: "http://127.0.0.1:1"}, {Job: "k", URL: "http://127.0.0.1:1/metrics"}}}, "given twice"},
		{"bad label", Options{Targets: []Target{{Job: "j", URL: "http://127.0.0.1:1", Labels: map[string]string{"__x": "y"}}}}, "invalid label name"},
		{"timeout above interval", Options{ScrapeInterval: time.Second, ScrapeTimeout: 2 * time.Second}, "at most the scrape interval"},
		{"negative interval", Options{ScrapeInterval: -time.Second}, "negative scrape interval"},
		{"busy address", Options{Listen: strings.TrimPrefix(busy.URL(), "http://")}, "address already in use"},
		{"Dir is a file", Options{Dir: "/dev/null"}, "promstore"},
	} {
		s, err := Start(context.Background(), tc.o)
		if err == nil {
			s.Close()
			t.Errorf("%s: started", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want %q", tc.name, err, tc.want)
		}
	}
}

func TestPrometheusVersionMatchesGoMod(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/prometheus/prometheus").Output()
	if err != nil {
		t.Fatalf("go list (the test runs under go test, so go is on PATH): %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != prometheusModule {
		t.Errorf("go.mod has github.com/prometheus/prometheus %s, prometheusModule is %s: update it", got, prometheusModule)
	}
	for in, want := range map[string]string{"v0.316.0": "3.16.0", "v0.54.1": "0.54.1", "v0.300.1": "3.0.1", "v2.53.0": "2.53.0"} {
		if got := releaseOf(in); got != want {
			t.Errorf("releaseOf(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestRemoveTargetWhileClosing(t *testing.T) {
	t.Parallel()
	e := newExposition(t, "x 1\n")
	for range 5 {
		s, err := Start(context.Background(), Options{ScrapeInterval: 10 * time.Millisecond, Targets: []Target{{Job: "j", URL: e.srv.URL}}})
		if err != nil {
			t.Fatal(err)
		}
		waitScrapes(t, s, e.srv.URL, 1)
		var wg sync.WaitGroup
		wg.Go(func() { _ = s.RemoveTarget(e.srv.URL) })
		wg.Go(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
	}
}

// Close closes a connection that never sent a request (such as a client's
// spare keep-alive dial) rather than waiting for it: http.Server's Shutdown
// alone would wait up to 5 s for it. (How long Close takes is logged, not
// asserted.)
func TestCloseSkipsIdleNewConnections(t *testing.T) {
	s, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The server has seen the connection before Close runs.
	if resp, err := http.Get(s.URL() + "/api/v1/status/buildinfo"); err == nil {
		resp.Body.Close()
	}
	t0 := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Close took %s with a fresh connection open", time.Since(t0))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the fresh connection is still open after Close")
	}
}
