package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ctlproject/ctl/internal/testinfra"
)

// The fixture of `ctl canary run` (as kayenta/server/e2e_test.go's): a real
// Prometheus holding 30 minutes of request counters, backfilled 3 hours in
// the past, for a baseline, a healthy canary (same error rate) and a faulty
// canary (30% errors).

var runWindowStart, runWindowLen = testinfra.CanaryWindowStart, testinfra.CanaryWindowLen

func runOpenMetrics() string { return testinfra.CanaryHistory(runWindowStart, runWindowLen) }

// runCanaryConfig has two metrics, so that the report must draw two charts.
const runCanaryConfig = `{
  "name": "error-ratio",
  "applications": ["guestbook"],
  "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
  "metrics": [{
    "name": "error ratio",
    "query": {"type": "prometheus",
      "customInlineTemplate": "PromQL:sum(rate(requests_total{version=\"${scope}\",code=\"500\"}[1m])) / sum(rate(requests_total{version=\"${scope}\"}[1m]))"},
    "groups": ["errors"],
    "scopeName": "default",
    "analysisConfigurations": {"canary": {"direction": "increase", "critical": true}}
  }, {
    "name": "request rate",
    "query": {"type": "prometheus",
      "customInlineTemplate": "PromQL:sum(rate(requests_total{version=\"${scope}\"}[1m]))"},
    "groups": ["traffic"],
    "scopeName": "default",
    "analysisConfigurations": {"canary": {"direction": "either"}}
  }],
  "classifier": {"groupWeights": {"errors": 70, "traffic": 30}}
}`

// startService starts `ctl kayenta serve` on kayenta.yml with promURL as
// its only metrics account and a local store, and returns its URL.
func startService(t *testing.T, promURL string) string {
	t.Helper()
	return startServiceWith(t, promURL, "")
}

// startServiceWith is startService with more keys under kayenta: in
// kayenta.yml (indented two spaces, e.g. "  standaloneCanaryAnalysis.enabled: true\n").
func startServiceWith(t *testing.T, promURL, kayentaKeys string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kayenta.yml")
	if err := os.WriteFile(cfg, []byte(`kayenta:
  prometheus:
    enabled: true
    accounts:
      - name: my-prometheus
        endpoint: {baseUrl: "`+promURL+`"}
  local:
    enabled: true
    accounts:
      - name: local
        rootDirectory: `+filepath.Join(dir, "data")+`
`+kayentaKeys), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	cmd := exec.Command(binary, "kayenta", "serve", "--config", cfg, "--listen", addr)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/health")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("service not healthy on %s: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runCtl runs ctl with args and returns stdout, stderr and the exit code.
func runCtl(t *testing.T, home string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "CTL_HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), exitCode(err)
}

// TestCanaryRunRetrospective runs `ctl canary run` as a user would, against
// `ctl kayenta serve` and a real Prometheus with a backfilled history.
func TestCanaryRunRetrospective(t *testing.T) {
	prom := testinfra.StartPrometheus(t, testinfra.WithOpenMetrics(runOpenMetrics()))
	base := startService(t, prom.URL)
	home := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "cfg.json")
	if err := os.WriteFile(cfg, []byte(runCanaryConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	window := []string{"--start", runWindowStart.UTC().Format(time.RFC3339),
		"--end", runWindowStart.Add(runWindowLen).UTC().Format(time.RFC3339), "--step", "60s"}
	args := func(experiment string, extra ...string) []string {
		a := append([]string{"canary", "run", "--service", base, "--canary-config", cfg,
			"--control", "baseline", "--experiment", experiment}, window...)
		return append(a, extra...)
	}

	// Faulty: fails, exit 1, with a summary and an HTML page.
	page := filepath.Join(t.TempDir(), "faulty.html")
	out, errOut, code := runCtl(t, home, args("canary-faulty", "--report-html", page, "--metrics-account", "my-prometheus")...)
	t.Logf("faulty: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	if code != 1 || !strings.Contains(out, "Fail") || !strings.Contains(out, "error ratio") || !strings.Contains(out, "High") {
		t.Errorf("faulty: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "SERIES") { // sparklines: the pairs were read
		t.Errorf("faulty: no sparklines in the summary:\n%s", out)
	}
	if !strings.Contains(errOut, "Canary execution ") || !strings.Contains(errOut, "HTML report written to") {
		t.Errorf("faulty: stderr:\n%s", errOut)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatalf("no HTML report: %v", err)
	}
	if n := len(regexp.MustCompile(`<svg\b`).FindAll(b, -1)); n != 2 {
		t.Errorf("HTML report has %d <svg> charts, want 2 (one per metric)", n)
	}
	if !bytes.Contains(b, []byte("Fail")) {
		t.Errorf("HTML report has no Fail verdict")
	}

	// Healthy: passes, exit 0.
	out, errOut, code = runCtl(t, home, args("canary-healthy")...)
	if code != 0 || !strings.Contains(out, "Pass") {
		t.Errorf("healthy: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// -o json: stdout is the execution, pure JSON.
	out, errOut, code = runCtl(t, home, args("canary-healthy", "-o", "json")...)
	var ex struct {
		Complete bool   `json:"complete"`
		Status   string `json:"status"`
		Result   struct {
			JudgeResult struct {
				Score struct {
					Classification string `json:"classification"`
				} `json:"score"`
			} `json:"judgeResult"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &ex); err != nil || code != 0 || !ex.Complete || ex.Result.JudgeResult.Score.Classification != "Pass" {
		t.Errorf("healthy -o json: exit %d, %v, stdout:\n%s\nstderr:\n%s", code, err, out, errOut)
	}

	// An unknown metrics account: the service's error, exit 1.
	_, errOut, code = runCtl(t, home, args("canary-healthy", "--metrics-account", "nope")...)
	if code != 1 || !strings.Contains(errOut, "Error:") {
		t.Errorf("unknown account: exit %d, stderr:\n%s", code, errOut)
	}
}

// TestCanaryRunUsage: usage errors exit 2 with a clear message, before any
// service is reached.
func TestCanaryRunUsage(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "cfg.json")
	if err := os.WriteFile(cfg, []byte(runCanaryConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"canary", "run", "--service", "http://127.0.0.1:9", "--canary-config", cfg, "--control", "a", "--experiment", "b"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--start and --end, or --lookback"},
		{[]string{"--start", "2026-01-02T15:00:00Z", "--end", "2026-01-02T14:00:00Z"}, "is not before --end"},
		{[]string{"--start", "2026-01-02T15:00:00Z"}, "--start and --end go together"},
		{[]string{"--start", "yesterday", "--end", "2026-01-02T14:00:00Z"}, "RFC 3339"},
		{[]string{"--lookback", "0s"}, "positive duration"},
		{[]string{"--lookback", "1h", "--start", "2026-01-02T14:00:00Z"}, "exclusive"},
		{[]string{"--lookback", "1h", "--step", "1500ms"}, "whole number of seconds"},
		{[]string{"--lookback", "1h", "--pass", "50", "--marginal", "80"}, "must not be above"},
		{[]string{"--lookback", "1h", "--service", "localhost:8090"}, "http(s)://host:port"},
		// Standalone mode (--lifetime, --interval).
		{[]string{"--lifetime", "5m", "--lookback", "1h"}, "--lifetime and --lookback are exclusive"},
		{[]string{"--lifetime", "5m", "--start", "2026-01-02T14:00:00Z", "--end", "2026-01-02T15:00:00Z"}, "--lifetime and --end are exclusive"},
		{[]string{"--lifetime", "5m", "--interval", "10m"}, "--interval 10m0s is longer than --lifetime 5m0s"},
		{[]string{"--lifetime", "4s", "--interval", "2s"}, "--step 1m0s is longer than --interval 2s"},
		{[]string{"--lifetime", "2.5s", "--step", "1s"}, "--lifetime 2.5s: want a whole number of seconds"},
		{[]string{"--lifetime", "1h", "--timeout", "5m"}, "--timeout 5m0s is shorter than what is left of the analysis (1h0m0s)"},
		{[]string{"--interval", "1m"}, "--interval needs a window"},
		{[]string{"--interval", "15s", "--step", "5s", "--start", "2026-01-02T14:00:00Z", "--end", "2026-01-02T14:00:45Z"}, "a past window counts in whole minutes"},
		{[]string{"--interval", "2h", "--lookback", "1h"}, "--interval 2h0m0s is longer than the window"},
	} {
		_, errOut, code := runCtl(t, home, append(append([]string{}, base...), tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q; stderr:\n%s", tc.args, code, tc.want, errOut)
		}
	}
	// A missing required flag and a missing config file are usage errors too.
	_, errOut, code := runCtl(t, home, "canary", "run", "--canary-config", cfg, "--lookback", "1h")
	if code != 2 || !strings.Contains(errOut, "control") {
		t.Errorf("no --control: exit %d: %s", code, errOut)
	}
	_, errOut, code = runCtl(t, home, "canary", "run", "--canary-config", filepath.Join(home, "nope.json"), "--control", "a", "--experiment", "b", "--lookback", "1h")
	if code != 2 || !strings.Contains(errOut, "nope.json") {
		t.Errorf("missing config: exit %d: %s", code, errOut)
	}
	// No --service and no applied local deployment: says what to do, exit 1.
	_, errOut, code = runCtl(t, home, "canary", "run", "--canary-config", cfg, "--control", "a", "--experiment", "b", "--lookback", "1h")
	if code != 1 || !strings.Contains(errOut, "ctl deploy apply") || !strings.Contains(errOut, "--service") {
		t.Errorf("no local service: exit %d: %s", code, errOut)
	}
}
