package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctlproject/ctl/internal/testinfra"
)

// `ctl canary run --interval D` and `--lifetime D`: standalone canary
// analyses through `ctl kayenta serve`, as a user runs them.

const standaloneKeys = "  standaloneCanaryAnalysis.enabled: true\n"

// standaloneJSON is the part of GET /standalone_canary_analysis/{id} (and of
// `-o json`) the tests read.
type standaloneJSON struct {
	PipelineID string `json:"pipelineId"`
	Status     string `json:"status"`
	Complete   bool   `json:"complete"`
	Result     struct {
		DidPassThresholds      bool      `json:"didPassThresholds"`
		CanaryScoreMessage     string    `json:"canaryScoreMessage"`
		CanaryScores           []float64 `json:"canaryScores"`
		CanaryExecutionResults []struct {
			JudgementStartTimeIso string `json:"judgementStartTimeIso"`
			JudgementEndTimeIso   string `json:"judgementEndTimeIso"`
		} `json:"canaryExecutionResults"`
	} `json:"canaryAnalysisExecutionResult"`
	Request struct {
		AnalysisIntervalDuration string `json:"analysisIntervalDuration"`
		LifetimeDuration         string `json:"lifetimeDuration"`
	} `json:"canaryAnalysisExecutionRequest"`
}

func getStandalone(t *testing.T, base, id string) standaloneJSON {
	t.Helper()
	resp, err := http.Get(base + "/standalone_canary_analysis/" + url.PathEscape(id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var st standaloneJSON
	if resp.StatusCode != 200 || json.Unmarshal(b, &st) != nil {
		t.Fatalf("GET /standalone_canary_analysis/%s: %d %s", id, resp.StatusCode, b)
	}
	return st
}

var analysisIDRE = regexp.MustCompile(`Standalone canary analysis (\S+) on `)

// TestCanaryRunIntervals: a past window judged in intervals (--start --end
// --interval): all judgements at once, over growing windows, against the
// backfilled Prometheus.
func TestCanaryRunIntervals(t *testing.T) {
	prom := testinfra.StartPrometheus(t, testinfra.WithOpenMetrics(runOpenMetrics()))
	base := startServiceWith(t, prom.URL, standaloneKeys)
	home := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "cfg.json")
	if err := os.WriteFile(cfg, []byte(runCanaryConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	// Minutes 10 to 16 of the backfill: 3 judgements of 2, 4 and 6 minutes.
	start := runWindowStart.Add(10 * time.Minute).UTC()
	hms := func(d time.Duration) string { return start.Add(d).Format("15:04:05") }
	args := func(service, experiment string, extra ...string) []string {
		return append([]string{"canary", "run", "--service", service, "--canary-config", cfg, "--control", "baseline", "--experiment", experiment,
			"--start", start.Format(time.RFC3339), "--end", start.Add(6 * time.Minute).Format(time.RFC3339), "--interval", "2m", "--step", "60s"}, extra...)
	}

	t.Run("healthy passes", func(t *testing.T) {
		page := filepath.Join(t.TempDir(), "healthy.html")
		out, errOut, code := runCtl(t, home, args(base, "canary-healthy", "--report-html", page)...)
		t.Logf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
		if code != 0 {
			t.Fatalf("exit %d, want 0", code)
		}
		for i, w := range []string{"2m", "4m", "6m"} {
			d, _ := time.ParseDuration(w)
			line := fmt.Sprintf("interval %d/3: score 100 (pass), window %s–%s", i+1, hms(0), hms(d))
			if !strings.Contains(errOut, line) {
				t.Errorf("stderr lacks %q", line)
			}
			row := regexp.MustCompile(fmt.Sprintf(`(?m)^%d/3\s+%s–%s\s+100\s+Pass$`, i+1, hms(0), hms(d)))
			if !row.MatchString(out) {
				t.Errorf("stdout lacks the row of interval %d/3 (%s)", i+1, row)
			}
		}
		for _, want := range []string{"SCORE: 100 (Pass)", "SERIES", "ANALYSIS: Final canary score 100.0 met or exceeded the pass score threshold."} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q", want)
			}
		}
		if strings.Contains(errOut, "waiting") {
			t.Errorf("a past window has no waits, stderr:\n%s", errOut)
		}
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatalf("no HTML report: %v", err)
		}
		for _, want := range []string{"Interval 1/3", "Interval 3/3", "score 100 (Pass), window " + hms(0) + "–" + hms(6*time.Minute) + " UTC", "Standalone analysis", "met or exceeded"} {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("HTML report lacks %q", want)
			}
		}
		if n := len(regexp.MustCompile(`<svg\b`).FindAll(b, -1)); n != 2 {
			t.Errorf("HTML report has %d <svg> charts, want 2 (one per metric)", n)
		}
	})

	t.Run("healthy -o json", func(t *testing.T) {
		out, errOut, code := runCtl(t, home, args(base, "canary-healthy", "-o", "json")...)
		var st standaloneJSON
		if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 {
			t.Fatalf("exit %d, %v, stdout:\n%s\nstderr:\n%s", code, err, out, errOut)
		}
		if st.Status != "succeeded" || !st.Result.DidPassThresholds || len(st.Result.CanaryScores) != 3 || st.Request.AnalysisIntervalDuration != "PT2M" {
			t.Errorf("analysis %+v", st)
		}
		for i, r := range st.Result.CanaryExecutionResults {
			if r.JudgementStartTimeIso != start.Format("2006-01-02T15:04:05.000Z") || r.JudgementEndTimeIso != start.Add(time.Duration(2*(i+1))*time.Minute).Format("2006-01-02T15:04:05.000Z") {
				t.Errorf("judgement %d: %s – %s", i+1, r.JudgementStartTimeIso, r.JudgementEndTimeIso)
			}
		}
	})

	t.Run("faulty fails early", func(t *testing.T) {
		out, errOut, code := runCtl(t, home, args(base, "canary-faulty")...)
		t.Logf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
		if code != 1 {
			t.Fatalf("exit %d, want 1", code)
		}
		// Kayenta's fail-fast: the first score is at or below marginal, so
		// judgements 2 and 3 never run.
		if !regexp.MustCompile(`interval 1/3: score \S+ \(fail\), window ` + hms(0) + "–" + hms(2*time.Minute)).MatchString(errOut) {
			t.Errorf("stderr lacks the failing first interval")
		}
		if strings.Contains(errOut, "interval 2/3:") {
			t.Errorf("judgement 2 ran after a failing score")
		}
		for _, want := range []string{"SCORE: ", "(Fail)", "2/3", "3/3", "not run", "is not above the marginal score threshold.",
			"The analysis stopped after interval 1/3: Canary score is not above the marginal score threshold."} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q", want)
			}
		}
	})

	t.Run("service without standalone analyses", func(t *testing.T) {
		plain := startService(t, prom.URL)
		_, errOut, code := runCtl(t, home, args(plain, "canary-healthy")...)
		if code != 1 || !strings.Contains(errOut, "kayenta.standaloneCanaryAnalysis.enabled: true") {
			t.Errorf("exit %d, stderr:\n%s", code, errOut)
		}
	})
}

// liveTarget serves requests_total for a baseline and a healthy canary that
// are exactly alike (95 ok and 5 errors a second since it started), for a
// Prometheus to scrape: real-time analyses need data as it happens.
func liveTarget(t *testing.T) string {
	t.Helper()
	began := time.Now()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := time.Since(began).Seconds()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintln(w, "# TYPE requests_total counter")
		for _, v := range []string{"baseline", "canary-healthy"} {
			fmt.Fprintf(w, "requests_total{version=%q,code=\"200\"} %d\n", v, int64(s*95))
			fmt.Fprintf(w, "requests_total{version=%q,code=\"500\"} %d\n", v, int64(s*5))
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// livePrometheus scrapes liveTarget every second and returns once it holds
// a few samples of it.
func livePrometheus(t *testing.T) *testinfra.Prometheus {
	t.Helper()
	prom := testinfra.StartPrometheus(t, testinfra.WithConfig(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: live
    static_configs:
      - targets: [%q]
`, liveTarget(t))))
	deadline := time.Now().Add(60 * time.Second)
	for {
		var res struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		b := prom.Get(t, "/api/v1/query?query="+url.QueryEscape(`count_over_time(requests_total{version="baseline",code="200"}[1m])`))
		if json.Unmarshal(b, &res) == nil && len(res.Data.Result) == 1 {
			if n, _ := res.Data.Result[0].Value[1].(string); n != "" {
				if v, err := strconv.Atoi(n); err == nil && v >= 5 {
					return prom
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus has not scraped the live target: %s", b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCanaryRunRealTime: --lifetime judges as time passes, against a
// Prometheus scraping live counters.
func TestCanaryRunRealTime(t *testing.T) {
	prom := livePrometheus(t)
	base := startServiceWith(t, prom.URL, standaloneKeys)
	home := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "cfg.json")
	if err := os.WriteFile(cfg, []byte(runCanaryConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	args := func(extra ...string) []string {
		return append([]string{"canary", "run", "--service", base, "--canary-config", cfg, "--control", "baseline", "--experiment", "canary-healthy",
			"--step", "1s"}, extra...)
	}

	t.Run("lifetime 4s every 2s", func(t *testing.T) {
		out, errOut, code := runCtl(t, home, args("--lifetime", "4s", "--interval", "2s")...)
		t.Logf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
		if code != 0 {
			t.Fatalf("exit %d, want 0", code)
		}
		m := analysisIDRE.FindStringSubmatch(errOut)
		if m == nil {
			t.Fatalf("no analysis id on stderr")
		}
		for _, want := range []string{"real time from now for 4s, judged every 2s (2 intervals, growing windows), step 1s",
			"interval 1/2: waiting ", "interval 1/2: score 100 (pass), window ", "interval 2/2: score 100 (pass), window "} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q", want)
			}
		}
		for _, want := range []string{"SCORE: 100 (Pass)", "1/2", "2/2", "ANALYSIS: Final canary score 100.0 met or exceeded the pass score threshold."} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q", want)
			}
		}
		st := getStandalone(t, base, m[1])
		if st.Status != "succeeded" || len(st.Result.CanaryScores) != 2 || st.Request.LifetimeDuration != "PT4S" || st.Request.AnalysisIntervalDuration != "PT2S" {
			t.Errorf("analysis on the service: %+v", st)
		}
		// Growing windows 2 s apart, from one start.
		r := st.Result.CanaryExecutionResults
		if len(r) == 2 {
			s0, _ := time.Parse(time.RFC3339, r[0].JudgementStartTimeIso)
			e0, _ := time.Parse(time.RFC3339, r[0].JudgementEndTimeIso)
			e1, _ := time.Parse(time.RFC3339, r[1].JudgementEndTimeIso)
			if r[1].JudgementStartTimeIso != r[0].JudgementStartTimeIso || e0.Sub(s0) != 2*time.Second || e1.Sub(s0) != 4*time.Second {
				t.Errorf("windows %+v", r)
			}
		}
	})

	t.Run("SIGINT cancels the analysis on the service", func(t *testing.T) {
		cmd := exec.Command(binary, args("--lifetime", "1h", "--interval", "30m")...)
		cmd.Env = append(os.Environ(), "CTL_HOME="+home)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var (
			mu      sync.Mutex
			errText strings.Builder
		)
		lines := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				mu.Lock()
				errText.WriteString(sc.Text() + "\n")
				mu.Unlock()
				lines <- sc.Text()
			}
			close(lines)
		}()
		id := ""
		for line := range lines {
			if m := analysisIDRE.FindStringSubmatch(line); m != nil {
				id = m[1]
			}
			if strings.HasPrefix(line, "interval 1/2: waiting ") {
				break
			}
		}
		if id == "" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("never saw the analysis id and its first wait; stderr:\n%s", errText.String())
		}
		if st := getStandalone(t, base, id); st.Status != "running" {
			t.Fatalf("before SIGINT: status %s", st.Status)
		}
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		for range lines { // drain until ctl exits
		}
		code := exitCode(cmd.Wait())
		mu.Lock()
		errOut := errText.String()
		mu.Unlock()
		t.Logf("exit %d, stderr:\n%s", code, errOut)
		want := "interrupted: standalone canary analysis " + id + " was canceled on the service (status canceled)"
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, want 1 and %q", code, want)
		}
		if stdout.Len() != 0 {
			t.Errorf("stdout after an interrupt:\n%s", stdout.String())
		}
		if st := getStandalone(t, base, id); st.Status != "canceled" || !st.Complete || len(st.Result.CanaryScores) != 0 {
			t.Errorf("after SIGINT the service shows %+v, want canceled", st)
		}
	})
}
