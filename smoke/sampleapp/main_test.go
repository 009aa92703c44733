package sampleapp

import (
	"bufio"
	"context"
	"io"
	"maps"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestOptionsFromEnv(t *testing.T) {
	o, err := OptionsFromEnv(env(map[string]string{
		EnvSuccessRate: "70", EnvLatency: "30ms", EnvLatencyJitter: "2ms",
		EnvListen: "127.0.0.1:9999", EnvSeed: "42", EnvMetricLabels: "version=canary,app=sampleapp",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Options{SuccessRate: 70, Latency: 30 * time.Millisecond, Jitter: 2 * time.Millisecond,
		Listen: "127.0.0.1:9999", Seed: 42, Labels: map[string]string{"version": "canary", "app": "sampleapp"}}
	if o.SuccessRate != want.SuccessRate || o.Latency != want.Latency || o.Jitter != want.Jitter ||
		o.Listen != want.Listen || o.Seed != want.Seed || !maps.Equal(o.Labels, want.Labels) {
		t.Errorf("OptionsFromEnv = %+v, want %+v", o, want)
	}

	o, err = OptionsFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultOptions()
	if o.SuccessRate != d.SuccessRate || o.Latency != d.Latency || o.Listen != DefaultListen {
		t.Errorf("no environment: %+v", o)
	}

	_, err = OptionsFromEnv(env(map[string]string{EnvSuccessRate: "seventy", EnvLatency: "20", EnvSeed: "-1", EnvMetricLabels: "x"}))
	for _, want := range []string{"SUCCESS_RATE", "LATENCY", "SEED", "METRIC_LABELS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad environment: error %v does not name %s", err, want)
		}
	}
}

// pipeWriter hides the pipe's other methods from Main.
type pipeWriter struct{ w *io.PipeWriter }

func (p pipeWriter) Write(b []byte) (int, error) { return p.w.Write(b) }

func TestMainServesAndStops(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		// The environment says 100, the flag wins.
		done <- Main(ctx, []string{"--listen", "127.0.0.1:0", "--success-rate", "0", "--latency", "1ms", "--latency-jitter", "0s"},
			env(map[string]string{EnvSuccessRate: "100"}), pipeWriter{pw}, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q, want listening on http://127.0.0.1:PORT", line)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if code, body := get(t, url+"/"); code != 500 || body != "Internal Server Error\n" {
		t.Errorf("GET / = %d %q, want 500 (--success-rate 0 over SUCCESS_RATE=100)", code, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after ctx ended, stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Main did not return after ctx ended")
	}
	if !strings.Contains(stderr.String(), "success rate 0%, latency 1ms") {
		t.Errorf("stderr %q does not describe the app", stderr.String())
	}
}

func TestMainUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		msg  string
	}{
		{"help", []string{"--help"}, nil, 0, "--success-rate"},
		{"bad rate", []string{"--success-rate", "101", "--listen", "127.0.0.1:0"}, nil, 2, "success rate must be"},
		{"bad flag", []string{"--nope"}, nil, 2, "unknown flag"},
		{"bad env", nil, map[string]string{EnvSuccessRate: "x"}, 2, "SUCCESS_RATE"},
		{"argument", []string{"extra"}, nil, 2, "unexpected arguments"},
		{"bad listen", []string{"--listen", "127.0.0.1:-1"}, nil, 1, "sample app"},
	} {
		var stdout, stderr strings.Builder
		code := Main(ctx, tc.args, env(tc.env), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, stderr.String(), tc.code, tc.msg)
		}
	}
}
