package sampleapp

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// start runs an App for o on a loopback port until the test ends and
// returns its base URL.
func start(t *testing.T, o Options) string {
	t.Helper()
	addr, stop, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return "http://" + addr
}

var testClient = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64},
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := testClient.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// hammer sends n requests to url from workers goroutines and returns the
// number of each status code.
func hammer(t *testing.T, url string, n, workers int) map[int]int {
	t.Helper()
	var (
		next  atomic.Int64
		mu    sync.Mutex
		codes = map[int]int{}
		wg    sync.WaitGroup
		errs  = make(chan error, workers)
	)
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				resp, err := testClient.Get(url)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				codes[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return codes
}

// scrape parses url's /metrics with expfmt, as Prometheus' text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := testClient.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	if ct := expfmt.ResponseFormat(resp.Header); ct.FormatType() != expfmt.TypeTextPlain {
		t.Fatalf("/metrics Content-Type %q is not the text format", resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

func counterByCode(t *testing.T, fams map[string]*dto.MetricFamily) map[string]float64 {
	t.Helper()
	f := fams[MetricRequests]
	if f == nil || f.GetType() != dto.MetricType_COUNTER {
		t.Fatalf("no counter %s in %v", MetricRequests, keys(fams))
	}
	out := map[string]float64{}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "code" {
				out[l.GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func keys(fams map[string]*dto.MetricFamily) []string {
	var ks []string
	for k := range fams {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestErrorRatioMatchesSuccessRate(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{70, 95} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			t.Parallel()
			url := start(t, Options{SuccessRate: rate, Seed: uint64(rate)})
			const n = 2000
			codes := hammer(t, url+"/", n, 8)
			if codes[200]+codes[500] != n {
				t.Fatalf("codes = %v, want only 200 and 500, %d in all", codes, n)
			}
			got, want := float64(codes[500])/n, 1-rate/100
			if math.Abs(got-want) > 0.03 {
				t.Errorf("error ratio = %.4f over %d requests, want %.2f ± 0.03", got, n, want)
			}
			t.Logf("success rate %v%%: %d of %d failed (%.2f%%)", rate, codes[500], n, got*100)

			fams := scrape(t, url)
			c := counterByCode(t, fams)
			if c["200"] != float64(codes[200]) || c["500"] != float64(codes[500]) {
				t.Errorf("requests_total = %v, want 200:%d 500:%d", c, codes[200], codes[500])
			}
			g := fams[MetricRate].GetMetric()[0].GetGauge().GetValue()
			if math.Abs(g-got*100) > 1e-9 {
				t.Errorf("rate_requests = %v, want %v", g, got*100)
			}
			h := fams[MetricDuration].GetMetric()[0].GetHistogram()
			if h.GetSampleCount() != n {
				t.Errorf("request_duration_seconds_count = %d, want %d", h.GetSampleCount(), n)
			}
		})
	}
}

func TestExtremeRates(t *testing.T) {
	t.Parallel()
	for rate, want := range map[float64]int{100: 200, 0: 500} {
		url := start(t, Options{SuccessRate: rate})
		codes := hammer(t, url+"/", 200, 4)
		if codes[want] != 200 {
			t.Errorf("success rate %v: codes %v, want all %d", rate, codes, want)
		}
	}
}

func TestResponses(t *testing.T) {
	t.Parallel()
	ok := start(t, Options{SuccessRate: 100})
	if code, body := get(t, ok+"/"); code != 200 || body != "Hello World!\n" {
		t.Errorf("GET / = %d %q", code, body)
	}
	bad := start(t, Options{SuccessRate: 0})
	if code, body := get(t, bad+"/"); code != 500 || body != "Internal Server Error\n" {
		t.Errorf("GET / = %d %q", code, body)
	}
	if code, body := get(t, ok+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q", code, body)
	}
	if code, _ := get(t, ok+"/nothing"); code != 404 {
		t.Errorf("GET /nothing = %d, want 404", code)
	}
	// Only / counts.
	c := counterByCode(t, scrape(t, ok))
	if c["200"] != 1 || c["500"] != 0 {
		t.Errorf("requests_total = %v, want one 200", c)
	}
}

func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	url := start(t, Options{SuccessRate: 50, Seed: 7, Labels: map[string]string{"version": "canary"}})
	// Before any request both codes are exposed at 0, so that rate() sees
	// the first increase.
	fams := scrape(t, url)
	if c := counterByCode(t, fams); len(c) != 2 || c["200"] != 0 || c["500"] != 0 {
		t.Errorf("requests_total before any request = %v, want 200 and 500 at 0", c)
	}
	hammer(t, url+"/", 100, 4)
	fams = scrape(t, url)
	for name, typ := range map[string]dto.MetricType{
		MetricRequests: dto.MetricType_COUNTER,
		MetricDuration: dto.MetricType_HISTOGRAM,
		MetricRate:     dto.MetricType_GAUGE,
	} {
		f := fams[name]
		if f == nil {
			t.Fatalf("no %s in %v", name, keys(fams))
		}
		if f.GetType() != typ {
			t.Errorf("%s is a %v, want %v", name, f.GetType(), typ)
		}
		if f.GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
		for _, m := range f.GetMetric() {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == "version" && l.GetValue() == "canary")
			}
			if !found {
				t.Errorf("%s %v lacks the constant label version=canary", name, m.GetLabel())
			}
		}
	}
	h := fams[MetricDuration].GetMetric()[0].GetHistogram()
	var bounds []float64
	for _, b := range h.GetBucket() {
		bounds = append(bounds, b.GetUpperBound())
	}
	if !slices.Equal(bounds, append(slices.Clone(LatencyBuckets), math.Inf(1))) {
		t.Errorf("buckets = %v, want %v", bounds, LatencyBuckets)
	}
	if h.GetSampleCount() != 100 {
		t.Errorf("count = %d, want 100", h.GetSampleCount())
	}
}

func TestBucketsResolveP99(t *testing.T) {
	// Between 5 ms and 500 ms, neighbouring bounds differ by at most 25 %.
	for i := 1; i < len(LatencyBuckets); i++ {
		lo, hi := LatencyBuckets[i-1], LatencyBuckets[i]
		if hi <= lo {
			t.Fatalf("buckets not increasing at %d: %v", i, LatencyBuckets)
		}
		if lo >= 0.005 && hi <= 0.5 && hi/lo > 1.25+1e-9 {
			t.Errorf("bucket step %v → %v is %.0f%%", lo, hi, (hi/lo-1)*100)
		}
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	const mean, jitter = 40 * time.Millisecond, 10 * time.Millisecond
	url := start(t, Options{SuccessRate: 100, Latency: mean, Jitter: jitter, Seed: 3})
	const n, workers = 200, 20
	var (
		mu   sync.Mutex
		took []time.Duration
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= n {
				t0 := time.Now()
				resp, err := testClient.Get(url + "/")
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				took = append(took, time.Since(t0))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(took)
	if took[0] < mean-jitter {
		t.Errorf("fastest request took %s, want ≥ %s", took[0], mean-jitter)
	}
	h := scrape(t, url)[MetricDuration].GetMetric()[0].GetHistogram()
	avg := time.Duration(h.GetSampleSum() / float64(h.GetSampleCount()) * float64(time.Second))
	// The server-side mean is the drawn latency plus scheduling overhead.
	if avg < mean-2*time.Millisecond || avg > mean+25*time.Millisecond {
		t.Errorf("mean observed latency = %s, want about %s", avg, mean)
	}
	// No observation beyond mean+jitter (+ overhead) lands past the 70 ms bucket.
	var below70 uint64
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == 0.070 {
			below70 = b.GetCumulativeCount()
		}
	}
	if float64(below70) < 0.95*float64(n) {
		t.Errorf("only %d of %d requests ≤ 70 ms with latency %s ± %s", below70, n, mean, jitter)
	}
	t.Logf("client-side: min %s, median %s, max %s; server mean %s", took[0], took[n/2], took[n-1], avg)
}

func TestSeedIsReproducible(t *testing.T) {
	t.Parallel()
	seq := func(seed uint64) []int {
		url := start(t, Options{SuccessRate: 50, Seed: seed})
		var codes []int
		for range 100 {
			code, _ := get(t, url+"/")
			codes = append(codes, code)
		}
		return codes
	}
	a, b, c := seq(11), seq(11), seq(12)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different outcomes:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 11 and 12 gave the same 100 outcomes")
	}
}

func TestAbandonedRequestNotCounted(t *testing.T) {
	t.Parallel()
	addr, stop, err := Run(context.Background(), Options{SuccessRate: 100, Latency: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("request answered before the latency")
	}
	time.Sleep(50 * time.Millisecond)
	c := counterByCode(t, scrape(t, "http://"+addr))
	if c["200"] != 0 {
		t.Errorf("abandoned request counted: %v", c)
	}
}

func TestRunStops(t *testing.T) {
	t.Parallel()
	addr, stop, err := Run(context.Background(), Options{SuccessRate: 100})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, "http://"+addr+"/"); code != 200 {
		t.Fatalf("GET / = %d", code)
	}
	stop()
	stop() // idempotent
	if _, err := testClient.Get("http://" + addr + "/"); err == nil {
		t.Error("still serving after stop")
	}

	ctx, cancel := context.WithCancel(context.Background())
	addr, stop, err = Run(ctx, Options{SuccessRate: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		_, err := c.Get("http://" + addr + "/")
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still serving 5s after ctx ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStopDoesNotWaitForIdleClients(t *testing.T) {
	t.Parallel()
	addr, stop, err := Run(context.Background(), Options{SuccessRate: 100, Latency: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// A connection that never sends a request (http.Server.Shutdown alone
	// waits 5 s for it) and a request in flight (stop waits for it).
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	codec := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			codec <- 0
			return
		}
		resp.Body.Close()
		codec <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	t0 := time.Now()
	stop()
	if took := time.Since(t0); took > 2*time.Second {
		t.Errorf("stop took %s", took)
	}
	if code := <-codec; code != 200 {
		t.Errorf("request in flight during stop got %d, want 200", code)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	if _, _, err := Run(context.Background(), Options{SuccessRate: 101}); err == nil {
		t.Error("success rate 101 accepted")
	}
	addr, stop, err := Run(context.Background(), Options{SuccessRate: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if _, _, err := Run(context.Background(), Options{SuccessRate: 100, Listen: addr}); err == nil {
		t.Errorf("second app on the busy address %s started", addr)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{SuccessRate: -1}, "success rate"},
		{Options{SuccessRate: 100.5}, "success rate"},
		{Options{SuccessRate: math.NaN()}, "success rate"},
		{Options{SuccessRate: 50, Latency: -time.Millisecond}, "latency must not"},
		{Options{SuccessRate: 50, Jitter: -time.Millisecond}, "jitter"},
		{Options{SuccessRate: 50, Labels: map[string]string{"bad-name": "x"}}, "invalid metric label"},
		{Options{SuccessRate: 50, Labels: map[string]string{"code": "x"}}, "reserved"},
		{Options{SuccessRate: 50, Labels: map[string]string{"__x": "x"}}, "invalid metric label"},
	} {
		err := tc.o.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error with %q", tc.o, err, tc.want)
		}
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Errorf("DefaultOptions: %v", err)
	}
	if got := (Options{SuccessRate: 70, Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Labels: map[string]string{"b": "2", "a": "1"}}).String(); got != "success rate 70%, latency 20ms ± 5ms, labels a=1,b=2" {
		t.Errorf("String() = %q", got)
	}
}
