package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ctlproject/ctl/internal/testinfra"
)

type smokeReport struct {
	Scenarios []struct {
		Scenario, Expected, Verdict, ExecutionID, AnalysisID string
		Score                                                float64
		Error                                                string
		Metrics                                              []struct {
			Name, Classification string
			Critical             bool
		}
	}
}

// TestCanarySmokeLocal runs the main job on the embedded default: a local
// deploy, then `ctl canary smoke`, whose healthy canary must pass and
// faulty one fail, through the deployed service and the embedded Prometheus.
func TestCanarySmokeLocal(t *testing.T) {
	home := t.TempDir()
	t.Cleanup(func() { ctl(home, "", "deploy", "clean", "--yes") })
	if out, err := ctl(home, "", "config", "canary", "enable"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := ctl(home, "", "deploy", "apply"); err != nil {
		t.Fatalf("deploy apply: %v: %s", err, out)
	}
	st := readLocalState(t, home)
	if st.MetricsPort <= 0 {
		t.Fatalf("local-state.json reserves no port for the embedded Prometheus: %+v", st)
	}
	kyml, _ := os.ReadFile(filepath.Join(home, "default", "kayenta.yml"))
	if !strings.Contains(string(kyml), "name: ctl-smoke-prometheus") ||
		!strings.Contains(string(kyml), "baseUrl: http://127.0.0.1:"+strconv.Itoa(st.MetricsPort)) {
		t.Fatalf("kayenta.yml has no ctl-smoke-prometheus account on port %d:\n%s", st.MetricsPort, kyml)
	}

	reportDir := t.TempDir()
	rep, stdout, stderr, err := smokeJSON(t, home, "--duration", "15s", "--report-html", filepath.Join(reportDir, "report.html"))
	want := map[string]string{"healthy": "pass", "faulty": "fail"}
	if len(rep.Scenarios) != 2 {
		t.Fatalf("scenarios: %s", stdout)
	}
	for _, s := range rep.Scenarios {
		if want[s.Scenario] == "" || s.Expected != want[s.Scenario] || s.Verdict != want[s.Scenario] || s.ExecutionID == "" || s.AnalysisID == "" || len(s.Metrics) != 2 {
			t.Errorf("scenario %s: expected %s, verdict %s, score %v, error %q, metrics %+v", s.Scenario, s.Expected, s.Verdict, s.Score, s.Error, s.Metrics)
		}
		if s.Scenario == "faulty" {
			for _, m := range s.Metrics {
				if m.Name == "error-ratio" && (m.Classification != "High" || !m.Critical) {
					t.Errorf("faulty error-ratio: %+v, want High (critical)", m)
				}
			}
		}
	}
	if err != nil {
		t.Fatalf("smoke exited %d with every verdict as expected? stdout:\n%s", exitCode(err), stdout)
	}
	// One page per scenario, one chart per metric, and the summaries on
	// stderr (stdout is pure JSON, checked above).
	for _, sc := range []string{"healthy", "faulty"} {
		page, err := os.ReadFile(filepath.Join(reportDir, "report-"+sc+".html"))
		if err != nil {
			t.Errorf("no HTML report of %s: %v", sc, err)
			continue
		}
		if n := strings.Count(string(page), "<svg"); n != 2 {
			t.Errorf("report of %s has %d <svg> charts, want 2 (one per metric)", sc, n)
		}
		if !strings.Contains(stderr, "report-"+sc+".html") || !strings.Contains(stderr, "Scenario "+sc) {
			t.Errorf("stderr does not show the %s summary and page", sc)
		}
	}
	if !strings.Contains(stderr, "SERIES") || !strings.Contains(stderr, "SCORE:") {
		t.Errorf("no verdict summaries with sparklines on stderr")
	}
	// Everything it started is gone: the store's port is free again.
	if !portFree(st.MetricsPort) {
		t.Errorf("port %d of the embedded Prometheus still in use after smoke", st.MetricsPort)
	}

	// The stored execution is readable from the service, and the service
	// serves the analysis's report page.
	id := rep.Scenarios[0].ExecutionID
	if out, err := exec.Command("curl", "-sf", st.URL+"/canary/"+id).CombinedOutput(); err != nil || !strings.Contains(string(out), `"complete":true`) {
		t.Errorf("GET /canary/%s: %v %s", id, err, out)
	}
	aid := rep.Scenarios[0].AnalysisID
	if out, err := exec.Command("curl", "-sf", st.URL+"/report/"+aid).CombinedOutput(); err != nil || strings.Count(string(out), "<svg") != 2 || !strings.Contains(string(out), "Interval 1/1") {
		t.Errorf("GET /report/%s: %v %.500s", aid, err, out)
	}

	// Ctrl-C while an analysis runs stops everything and exits 1.
	stderrOut, code := interruptAt(t, home, "canary analysis", nil, "canary", "smoke", "--duration", "30s")
	if code != 1 || !strings.Contains(stderrOut, "Interrupted") {
		t.Errorf("smoke after SIGINT: exit %d, stderr:\n%s", code, stderrOut)
	}
	if !portFree(st.MetricsPort) {
		t.Errorf("port %d of the embedded Prometheus still in use after SIGINT", st.MetricsPort)
	}

	// The reserved port survives a re-apply that restarts the service.
	if out, err := ctl(home, "", "config", "canary", "edit", "--default-judge", "NetflixACAJudge-v1.0"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	ctl(home, "", "deploy", "apply")
	if st2 := readLocalState(t, home); st2.MetricsPort != st.MetricsPort {
		t.Errorf("re-apply moved the embedded Prometheus from port %d to %d", st.MetricsPort, st2.MetricsPort)
	}
}

// TestCanarySmokeNeedsApply: smoke without an applied local deployment says
// what to run.
func TestCanarySmokeNeedsApply(t *testing.T) {
	home := t.TempDir()
	if out, err := ctl(home, "", "config", "canary", "enable"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	out, err := ctl(home, "", "canary", "smoke", "--duration", "15s")
	if exitCode(err) != 1 || !strings.Contains(out, "is not applied") || !strings.Contains(out, "ctl deploy apply") {
		t.Errorf("smoke before apply: exit %d: %s", exitCode(err), out)
	}
	out, err = ctl(home, "", "canary", "smoke", "--scenario", "bogus")
	if exitCode(err) != 2 || !strings.Contains(out, "unknown scenario") {
		t.Errorf("bad scenario: exit %d: %s", exitCode(err), out)
	}
	if out, err := ctl(home, "", "config", "deploy", "edit", "--type", "distributed", "--account-name", "ctx", "--no-validate"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	out, err = ctl(home, "", "canary", "smoke")
	if exitCode(err) != 1 || !strings.Contains(out, "has no Prometheus account") || !strings.Contains(out, "ctl config canary prometheus account add") {
		t.Errorf("distributed smoke without a Prometheus account: exit %d: %s", exitCode(err), out)
	}
	for _, args := range [][]string{{"--file-sd", "x.json"}, {"--metrics-account", "nope"}} {
		out, err = ctl(home, "", append([]string{"canary", "smoke"}, args...)...)
		if exitCode(err) != 2 || !strings.Contains(out, args[0]) {
			t.Errorf("distributed smoke %v: exit %d: %s", args, exitCode(err), out)
		}
	}
}

// TestCanarySmokeConfiguredPrometheus: on a local deployment, the smoke
// canaries go through a configured Prometheus (Debian's, on loopback) that
// scrapes the apps from the file_sd file ctl writes.
func TestCanarySmokeConfiguredPrometheus(t *testing.T) {
	sd := filepath.Join(t.TempDir(), "ctl-smoke.json")
	os.WriteFile(sd, []byte("[]\n"), 0o644)
	prom := testinfra.StartPrometheus(t, testinfra.WithConfig(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ctl-smoke
    scrape_interval: 1s
    file_sd_configs:
      - files: [`+strconv.Quote(sd)+`]
        refresh_interval: 1s
`))
	home := t.TempDir()
	t.Cleanup(func() { ctl(home, "", "deploy", "clean", "--yes") })
	for _, args := range [][]string{
		{"config", "canary", "enable"},
		{"config", "canary", "prometheus", "enable"},
		{"config", "canary", "prometheus", "account", "add", "my-prometheus", "--base-url", prom.URL},
		{"deploy", "apply"},
	} {
		if out, err := ctl(home, "", args...); err != nil {
			t.Fatalf("ctl %v: %v: %s", args, err, out)
		}
	}
	// Usage errors change nothing.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--file-sd", sd}, "--file-sd needs --metrics-account"},
		{[]string{"--metrics-account", "my-prometheus"}, "needs --file-sd"},
		{[]string{"--metrics-account", "nope", "--file-sd", sd}, "no such Prometheus account (accounts: my-prometheus)"},
		{[]string{"--service-monitor"}, "applies to a distributed deployment"},
		{[]string{"--rps", "0"}, "--rps"},
	} {
		out, err := ctl(home, "", append([]string{"canary", "smoke"}, c.args...)...)
		if exitCode(err) != 2 || !strings.Contains(out, c.want) {
			t.Errorf("smoke %v: exit %d, want 2 and %q: %s", c.args, exitCode(err), c.want, out)
		}
	}

	rep, stdout, stderr, err := smokeJSON(t, home, "--metrics-account", "my-prometheus", "--file-sd", sd,
		"--scrape-interval", "1s", "--duration", "15s")
	want := map[string]string{"healthy": "pass", "faulty": "fail"}
	if len(rep.Scenarios) != 2 || err != nil {
		t.Fatalf("exit %d, scenarios: %s", exitCode(err), stdout)
	}
	for _, s := range rep.Scenarios {
		if s.Verdict != want[s.Scenario] || len(s.Metrics) != 2 {
			t.Errorf("scenario %s: verdict %s, score %v, error %q", s.Scenario, s.Verdict, s.Score, s.Error)
		}
	}
	if !strings.Contains(stderr, "Targets written to "+sd) {
		t.Errorf("stderr does not say where the targets went")
	}
	// The targets are withdrawn, and the series were Prometheus's own.
	if b, _ := os.ReadFile(sd); strings.Contains(string(b), "127.0.0.1") {
		t.Errorf("%s still lists targets after the run:\n%s", sd, b)
	}
	resp, err := http.Get(prom.URL + "/api/v1/query?query=" + url.QueryEscape(`count(requests_total{job="ctl-smoke",smoke_run!=""})`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"result":[{`) {
		t.Errorf("Prometheus has no series of the apps: %s", body)
	}
}

// TestCanarySmokeNoSeries: when the metrics account never shows the apps'
// series (a Prometheus that does not read the file), the error says so,
// says why, and everything is removed.
func TestCanarySmokeNoSeries(t *testing.T) {
	prom := testinfra.StartPrometheus(t)
	home := t.TempDir()
	t.Cleanup(func() { ctl(home, "", "deploy", "clean", "--yes") })
	for _, args := range [][]string{
		{"config", "canary", "enable"},
		{"config", "canary", "prometheus", "account", "add", "my-prometheus", "--base-url", prom.URL},
		{"deploy", "apply"},
	} {
		if out, err := ctl(home, "", args...); err != nil {
			t.Fatalf("ctl %v: %v: %s", args, err, out)
		}
	}
	sd := filepath.Join(t.TempDir(), "targets.json")
	out, err := ctl(home, "", "canary", "smoke", "--metrics-account", "my-prometheus", "--file-sd", sd, "--series-timeout", "3s", "--scrape-interval", "1s")
	if exitCode(err) != 1 || !strings.Contains(out, "the metrics account my-prometheus shows no series of the sample apps") ||
		!strings.Contains(out, "file_sd_configs: [{files: [\""+sd+"\"]}]") {
		t.Errorf("no series: exit %d: %s", exitCode(err), out)
	}
	if b, _ := os.ReadFile(sd); strings.Contains(string(b), "127.0.0.1") {
		t.Errorf("%s still lists targets:\n%s", sd, b)
	}
}

// smokeJSON runs `ctl canary smoke -o json` with args in home, logs its
// stderr and decodes its stdout, which must be the JSON report.
func smokeJSON(t *testing.T, home string, args ...string) (rep smokeReport, stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"canary", "smoke", "-o", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "CTL_HOME="+home)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	t0 := time.Now()
	err = cmd.Run()
	t.Logf("ctl canary smoke %v took %s; stderr:\n%s", args, time.Since(t0).Round(100*time.Millisecond), errOut.String())
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("stdout is not the JSON report (%v, exit %d): %s", jerr, exitCode(err), out.String())
	}
	return rep, out.String(), errOut.String(), err
}

// interruptAt runs ctl with args in home and, once a line of its stderr
// contains at, calls during (when not nil) and sends SIGINT. It returns all
// of stderr and the exit status.
func interruptAt(t *testing.T, home, at string, during func(), args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "CTL_HOME="+home)
	pr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(pr)
	var errOut strings.Builder
	for sc.Scan() {
		errOut.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), at) {
			break
		}
	}
	if during != nil {
		during()
	}
	_ = cmd.Process.Signal(os.Interrupt)
	for sc.Scan() {
		errOut.WriteString(sc.Text() + "\n")
	}
	return errOut.String(), exitCode(cmd.Wait())
}

type localStateFile struct {
	URL         string `json:"url"`
	MetricsPort int    `json:"metricsPort"`
}

func readLocalState(t *testing.T, home string) localStateFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "default", "local-state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st localStateFile
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func portFree(port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// TestCanarySampleApp runs `ctl canary sample-app` as a user would by hand.
func TestCanarySampleApp(t *testing.T) {
	cmd := exec.Command(binary, "canary", "sample-app", "--listen", "127.0.0.1:0", "--latency", "1ms")
	cmd.Env = append(os.Environ(), "CTL_HOME="+t.TempDir(), "SUCCESS_RATE=0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("first line %q (%v), stderr %s", line, err, stderr.String())
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Errorf("GET / with SUCCESS_RATE=0: %s", resp.Status)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("sample-app after SIGINT: %v, stderr %s", err, stderr.String())
	}
}
