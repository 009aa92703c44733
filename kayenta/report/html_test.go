package report

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/metrics"
)

func fixtureReport(t testing.TB) Report {
	res, pairs := fixture(t)
	r := New("Canary report: checkout <canary> & co", res, pairs)
	r.Details = []Detail{{"Canary config", "canary-config.json"}, {"Metric pairs", "pairs.json"}}
	return r
}

func renderHTML(t testing.TB, r Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

var (
	svgRE      = regexp.MustCompile(`<svg\b`)
	externalRE = regexp.MustCompile(`(?i)\b(src|href|action|xlink:href)\s*=\s*["']?\s*(https?:|//|ftp:)`)
	cssURLRE   = regexp.MustCompile(`(?i)url\(|@import`)
)

// checkSelfContained checks the page loads nothing: no external URL, no
// script, no CSS import or url().
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	if m := externalRE.FindString(page); m != "" {
		t.Errorf("page refers to an external resource: %s", m)
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("page has a script")
	}
	if m := cssURLRE.FindString(page); m != "" {
		t.Errorf("page CSS loads something: %s", m)
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("page contains a URL")
	}
}

func TestWriteHTMLGolden(t *testing.T) {
	r := fixtureReport(t)
	page := renderHTML(t, r)
	assertGolden(t, "report.golden.html", []byte(page))
	if n := len(svgRE.FindAllString(page, -1)); n != len(r.Results) {
		t.Errorf("%d <svg> charts for %d metrics", n, len(r.Results))
	}
	if n := strings.Count(page, `<svg class="metric-chart"`); n != 7 {
		t.Errorf("%d metric charts, want 7", n)
	}
	checkSelfContained(t, page)
	for _, s := range []string{
		"<title>Canary report: checkout &lt;canary&gt; &amp; co</title>",
		`<div class="score bad">0</div>`,
		"Canary Failed: The metric errors was classified as High (Critical)",
		"[-0.03565, -0.02432]", // latency's interval
		"system = 33.33",
		"time (UTC), step 1m0s", // scopes give a time axis
		">10:30<",
	} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	// Every metric has one chart, after its heading, with both series
	// drawn when it has data (heap's experiment has none).
	sections := strings.Split(page, `<section class="card metric"`)[1:]
	if len(sections) != 7 {
		t.Fatalf("%d metric sections", len(sections))
	}
	for i, s := range sections {
		if strings.Count(s, "<svg") != 1 {
			t.Errorf("section %d has %d charts", i, strings.Count(s, "<svg"))
		}
		if !strings.Contains(s, `class="ctl"`) {
			t.Errorf("section %d draws no control series", i)
		}
		if exp := strings.Contains(s, `class="exp"`); exp == strings.Contains(s, "<h2>heap</h2>") {
			t.Errorf("section %d: experiment drawn = %v", i, exp)
		}
	}
}

func TestWriteHTMLEscapes(t *testing.T) {
	evil := `<script>alert(1)</script>"'`
	res := &judge.CanaryJudgeResult{Score: judge.CanaryJudgeScore{Score: 50, Classification: "Marginal", ClassificationReason: evil},
		Results:  []judge.CanaryAnalysisResult{{Name: evil, Tags: map[string]string{"k": evil}, Classification: judge.Pass, ClassificationReason: evil}},
		Warnings: []string{evil}}
	r := New(evil, res, []judge.MetricSetPair{{Name: evil, Tags: map[string]string{"k": evil}, Values: judge.PairValues{Control: []float64{1, 2}, Experiment: []float64{2, 1}}}})
	r.Details = []Detail{{evil, evil}}
	page := renderHTML(t, r)
	if strings.Contains(page, "<script") {
		t.Errorf("unescaped input in the page:\n%s", page)
	}
	checkSelfContained(t, page)
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("escaped text missing")
	}
}

func TestChartSeries(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	// No scopes: an index axis; NaN breaks the line, isolated values are dots,
	// infinities are left out and counted.
	p := &judge.MetricSetPair{Name: "m", Values: judge.PairValues{
		Control:    []float64{1, 2, nan, 3, nan, 4, 5},
		Experiment: []float64{2, inf, 2, 2, 2, 2, -inf},
	}}
	c := buildChart("m", p)
	if c.NoData || c.XTitle != "sample index" {
		t.Fatalf("chart: %+v", c)
	}
	if got := strings.Count(c.ControlPath, "M"); got != 2 {
		t.Errorf("control path has %d segments, want 2: %s", got, c.ControlPath)
	}
	if len(c.ControlDots) != 1 || len(c.ExperimentDots) != 1 {
		t.Errorf("dots: control %v experiment %v", c.ControlDots, c.ExperimentDots)
	}
	if len(c.Notes) != 1 || c.Notes[0] != "2 infinite value(s) not drawn." {
		t.Errorf("notes %q", c.Notes)
	}
	if c.YTicks[0].Label != "0" || c.YTicks[len(c.YTicks)-1].Label != "6" { // 1…5 padded by 5%, on whole steps
		t.Errorf("y ticks %v", c.YTicks)
	}
	// Constant series get a range around the value; all-NaN is "no data".
	c = buildChart("k", &judge.MetricSetPair{Values: judge.PairValues{Control: []float64{0, 0}, Experiment: []float64{0}}})
	if c.NoData || len(c.YTicks) < 2 {
		t.Errorf("constant chart: %+v", c)
	}
	if c = buildChart("n", &judge.MetricSetPair{Values: judge.PairValues{Control: []float64{nan}, Experiment: []float64{inf}}}); !c.NoData {
		t.Error("all-NaN/Inf chart has data")
	}
	if c = buildChart("x", nil); !c.NoData || len(c.Notes) != 1 {
		t.Errorf("missing pair: %+v", c)
	}
	// Different starts: an offset axis and a note.
	p = &judge.MetricSetPair{Values: judge.PairValues{Control: []float64{1, 2, 3}, Experiment: []float64{1, 2, 3}},
		Scopes: json.RawMessage(`{"control":{"startTimeMillis":1744106400000,"stepMillis":60000},"experiment":{"startTimeMillis":1744110000000,"stepMillis":60000}}`)}
	c = buildChart("d", p)
	if !strings.HasPrefix(c.XTitle, "time since") || len(c.Notes) != 1 || c.XTicks[0].Label != "0" {
		t.Errorf("different starts: title %q notes %q ticks %v", c.XTitle, c.Notes, c.XTicks)
	}
}

func TestTimeTicks(t *testing.T) {
	start := time.Date(2025, 4, 8, 10, 3, 20, 0, time.UTC).UnixMilli()
	ticks := timeTicks(start, time.Hour.Milliseconds(), true, func(off int64) float64 { return float64(off) })
	var labels []string
	for _, tk := range ticks {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, " "); got != "10:10 10:20 10:30 10:40 10:50 11:00" {
		t.Errorf("ticks %s", got)
	}
	ticks = timeTicks(start, 90*time.Second.Milliseconds(), false, func(off int64) float64 { return float64(off) })
	labels = nil
	for _, tk := range ticks {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, " "); got != "0 +15s +30s +45s +1m +1m15s +1m30s" {
		t.Errorf("offset ticks %s", got)
	}
	for d, want := range map[time.Duration]string{0: "0", 2 * time.Hour: "+2h", 90 * time.Minute: "+1h30m", 3 * time.Minute: "+3m", 10 * time.Second: "+10s"} {
		if got := offsetLabel(d); got != want {
			t.Errorf("offsetLabel(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestFromExecution(t *testing.T) {
	res, pairs := fixture(t)
	start := time.Date(2025, 4, 8, 10, 0, 0, 0, time.UTC)
	ex := &canary.Execution{Application: "checkout", Status: canary.StatusSucceeded, Complete: true,
		Config: json.RawMessage(`{"name":"checkout-canary"}`), CanaryConfigID: "cfg-1", MetricSetPairListID: "pl-1",
		Result: &canary.Result{JudgeResult: res, CanaryDuration: "PT1H"},
		CanaryExecutionRequest: &canary.ExecutionRequest{Scopes: map[string]canary.ScopePair{"default": {
			ControlScope:    metrics.Scope{Scope: "baseline", Start: start, End: start.Add(time.Hour)},
			ExperimentScope: metrics.Scope{Scope: "canary", Location: "eu", Start: start, End: start.Add(time.Hour)}}},
			Thresholds: &judge.Thresholds{Pass: 95, Marginal: 75}}}
	r := FromExecution("ex-1", ex, pairs, "")
	page := renderHTML(t, r)
	for _, s := range []string{"Canary report: checkout-canary", "<dd>ex-1</dd>", "control baseline, experiment canary in eu",
		"2025-04-08 10:00:00 – 2025-04-08 11:00:00 UTC", "pass 95, marginal 75", "checkout-canary (cfg-1)", "PT1H"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if n := strings.Count(page, "<svg"); n != 7 || r.Pending != "" || r.Refresh != 0 {
		t.Errorf("%d charts, pending %q", n, r.Pending)
	}

	// Running: a page that says so and reloads itself.
	running := &canary.Execution{Status: canary.StatusRunning, Config: ex.Config}
	r = FromExecution("ex-2", running, nil, "")
	page = renderHTML(t, r)
	if r.Refresh != PendingRefreshSeconds || !strings.Contains(page, `<meta http-equiv="refresh" content="10">`) ||
		!strings.Contains(page, "Execution ex-2 is not complete yet (status running)") || strings.Contains(page, "<svg") {
		t.Errorf("running page:\n%s", page)
	}
	checkSelfContained(t, page)

	// Failed: the exception, no reload.
	failed := &canary.Execution{Status: canary.StatusTerminal, Complete: true, Exception: &canary.Exception{Message: "fetching metric \"errors\": boom"}}
	r = FromExecution("ex-3", failed, nil, "")
	page = renderHTML(t, r)
	if r.Refresh != 0 || !strings.Contains(page, "ended with status terminal and no judge result. fetching metric &#34;errors&#34;: boom") {
		t.Errorf("failed page:\n%s", page)
	}
}
