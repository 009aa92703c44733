package sampleapp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// waitForRequests polls base's /metrics until requests_total{code} exceeds
// n, or fails when ctx ends. It returns the last counts. No assertion
// depends on timing: the deadline only bounds a hung test.
func waitForRequests(ctx context.Context, t *testing.T, base, code string, n float64) map[string]float64 {
	t.Helper()
	for {
		c := counterByCode(t, scrape(t, base))
		if c[code] > n {
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("requests_total{code=%q} = %v after %v, want above %v: the app does not load itself", code, c[code], ctx.Err(), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// The self-load goes through the HTTP server: it is counted in
// requests_total, request_duration_seconds and rate_requests with the
// constant labels, exactly like external requests.
func TestRunSelfLoad(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr, stop, err := Run(ctx, Options{SuccessRate: 0, Latency: time.Millisecond, LoadRPS: 200,
		Labels: map[string]string{"scenario": "faulty", "version": "canary"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	base := "http://" + addr
	// An external request is answered, and counted in the same series.
	if code, _ := get(t, base+"/"); code != 500 {
		t.Errorf("external GET / = %d, want 500 at success rate 0", code)
	}
	c := waitForRequests(ctx, t, base, "500", 50)
	if c["200"] != 0 {
		t.Errorf("requests_total = %v, want only code 500 at success rate 0", c)
	}
	fams := scrape(t, base)
	for _, name := range []string{MetricRequests, MetricDuration, MetricRate} {
		for _, m := range fams[name].GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["scenario"] != "faulty" || labels["version"] != "canary" {
				t.Errorf("%s %v lacks the constant labels", name, labels)
			}
		}
	}
	if h := fams[MetricDuration].GetMetric()[0].GetHistogram(); h.GetSampleCount() < 50 {
		t.Errorf("request_duration_seconds_count = %d, want the self-load observed", h.GetSampleCount())
	}
	if g := fams[MetricRate].GetMetric()[0].GetGauge().GetValue(); g != 100 {
		t.Errorf("rate_requests = %v, want 100 (every request failed)", g)
	}

	// stop ends the load and the server, and returns.
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		t.Fatal("stop did not return with the self-load running")
	}
	fresh := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := fresh.Get(base + "/metrics"); err == nil {
		resp.Body.Close()
		t.Error("still serving after stop")
	}
}

// `sample-app` as the chart runs it: LISTEN=:8080 (here :0, every
// address) and LOAD_RPS from the environment. The load reaches the
// wildcard listener over 127.0.0.1.
func TestMainSelfLoadFromEnv(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- Main(runCtx, nil, env(map[string]string{
			EnvListen: ":0", EnvLoadRPS: "100", EnvLatency: "1ms", EnvLatencyJitter: "0s", EnvSuccessRate: "100",
			EnvMetricLabels: "smoke_run=abc123",
		}), pipeWriter{pw}, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v (stderr %q)", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	u, err := url.Parse(strings.TrimPrefix(strings.TrimSpace(line), "listening on "))
	if err != nil {
		t.Fatalf("listening line %q: %v", line, err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsUnspecified() {
		t.Fatalf("listening on %q, want a wildcard address for LISTEN=:0", u.Host)
	}
	base := "http://127.0.0.1:" + u.Port()
	waitForRequests(ctx, t, base, "200", 20)

	stopRun()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after ctx ended, stderr:\n%s", code, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("Main did not return after ctx ended")
	}
	if !strings.Contains(stderr.String(), "self-load 100 rps") {
		t.Errorf("stderr %q does not mention the self-load", stderr.String())
	}
}

func TestLoadRPSOptions(t *testing.T) {
	o, err := OptionsFromEnv(env(map[string]string{EnvLoadRPS: " 250 "}))
	if err != nil || o.LoadRPS != 250 {
		t.Errorf("LOAD_RPS=250: LoadRPS %d, err %v", o.LoadRPS, err)
	}
	if o, _ := OptionsFromEnv(env(nil)); o.LoadRPS != 0 {
		t.Errorf("no LOAD_RPS: LoadRPS %d, want 0 (off)", o.LoadRPS)
	}
	for _, v := range []string{"fast", "1.5", "1e3", "99999999999999999999"} {
		if _, err := OptionsFromEnv(env(map[string]string{EnvLoadRPS: v})); err == nil || !strings.Contains(err.Error(), "LOAD_RPS") {
			t.Errorf("LOAD_RPS=%q: err %v, want one naming LOAD_RPS", v, err)
		}
	}

	for _, rps := range []int{-1, MaxLoadRPS + 1} {
		err := Options{SuccessRate: 100, LoadRPS: rps}.Validate()
		if err == nil || !strings.Contains(err.Error(), "--load-rps") || !strings.Contains(err.Error(), "LOAD_RPS") ||
			!strings.Contains(err.Error(), fmt.Sprint(MaxLoadRPS)) {
			t.Errorf("LoadRPS %d: err %v, want one naming --load-rps, LOAD_RPS and the bound", rps, err)
		}
	}
	for _, rps := range []int{0, 1, MaxLoadRPS} {
		if err := (Options{SuccessRate: 100, LoadRPS: rps}).Validate(); err != nil {
			t.Errorf("LoadRPS %d: %v", rps, err)
		}
	}
	if got := (Options{SuccessRate: 99, Latency: 20 * time.Millisecond, LoadRPS: 100}).String(); got != "success rate 99%, latency 20ms, self-load 100 rps" {
		t.Errorf("String() = %q", got)
	}

	ctx := context.Background()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		msg  string
	}{
		{"negative flag", []string{"--load-rps", "-5", "--listen", "127.0.0.1:0"}, nil, "--load-rps"},
		{"fractional flag", []string{"--load-rps", "1.5"}, nil, "load-rps"},
		{"too high env", []string{"--listen", "127.0.0.1:0"}, map[string]string{EnvLoadRPS: "20000"}, "LOAD_RPS"},
		{"bad env", nil, map[string]string{EnvLoadRPS: "lots"}, "LOAD_RPS"},
	} {
		var stdout, stderr strings.Builder
		if code := Main(ctx, tc.args, env(tc.env), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.name, code, stderr.String(), tc.msg)
		}
	}
	var stderr strings.Builder
	if code := Main(ctx, []string{"--help"}, env(nil), io.Discard, &stderr); code != 0 ||
		!strings.Contains(stderr.String(), "--load-rps") || !strings.Contains(stderr.String(), EnvLoadRPS) {
		t.Errorf("--help: exit %d, does not document --load-rps and %s:\n%s", code, EnvLoadRPS, stderr.String())
	}
}

func TestLoopbackAddr(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "127.0.0.1:8080"},
		{&net.TCPAddr{Port: 8080}, "127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1}, "127.0.0.1:1"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 2}, "[::1]:2"},
		{&net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 3}, "10.1.2.3:3"},
	} {
		if got := loopbackAddr(tc.addr); got != tc.want {
			t.Errorf("loopbackAddr(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
