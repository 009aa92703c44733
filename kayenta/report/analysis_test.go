package report

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/judge"
)

var analysisT0 = time.Date(2025, 4, 8, 12, 0, 0, 0, time.UTC)

// judgement is judgement i (1-based) of a plan of 2-minute growing windows.
func judgement(i int, score float64, class judge.ScoreClassification) canary.ExecutionResult {
	return canary.ExecutionResult{ExecutionID: "ex-" + string(rune('0'+i)), ExecutionStatus: "SUCCEEDED",
		JudgementStartTimeMillis: analysisT0.UnixMilli(), JudgementEndTimeMillis: analysisT0.Add(time.Duration(2*i) * time.Minute).UnixMilli(),
		MetricSetPairListID: "pl-" + string(rune('0'+i)),
		Result:              &canary.Result{JudgeResult: &judge.CanaryJudgeResult{Score: judge.CanaryJudgeScore{Score: judge.Float(score), Classification: class}}}}
}

func analysisPlan(count int, realTime bool) *canary.AnalysisPlan {
	return &canary.AnalysisPlan{Start: analysisT0, Interval: 2 * time.Minute, Lifetime: time.Duration(2*count) * time.Minute, Count: count, RealTime: realTime}
}

func detail(r Report, name string) (string, bool) {
	for _, d := range r.Details {
		if d.Name == name {
			return d.Value, true
		}
	}
	return "", false
}

func TestFromAnalysisComplete(t *testing.T) {
	res, pairs := fixture(t)
	pass := *res
	pass.Score = judge.CanaryJudgeScore{Score: 100, Classification: judge.ScorePass}
	a := &canary.Analysis{PipelineID: "sa-1", Status: canary.StatusSucceeded, Complete: true, Plan: analysisPlan(3, false),
		CanaryConfig: json.RawMessage(`{"name":"checkout-canary"}`),
		CanaryAnalysisExecutionResult: &canary.AnalysisResult{DidPassThresholds: true,
			CanaryScoreMessage:     "Final canary score 100.0 met or exceeded the pass score threshold.",
			CanaryExecutionResults: []canary.ExecutionResult{judgement(1, 100, judge.ScorePass), judgement(2, 100, judge.ScorePass), judgement(3, 100, judge.ScorePass)}}}
	last := &canary.Execution{PipelineID: "ex-3", Status: canary.StatusSucceeded, Complete: true, Config: a.CanaryConfig,
		MetricSetPairListID: "pl-3", Result: &canary.Result{JudgeResult: &pass}}
	r := FromAnalysis(a, last, pairs, "")
	if r.Pending != "" || r.Refresh != 0 || r.Score != 100 || r.Classification != "Pass" {
		t.Errorf("pending %q, refresh %d, score %v %s", r.Pending, r.Refresh, r.Score, r.Classification)
	}
	want := []Detail{
		{"Standalone analysis", "sa-1 (succeeded)"},
		{"Interval 1/3", "score 100 (Pass), window 12:00:00–12:02:00 UTC"},
		{"Interval 2/3", "score 100 (Pass), window 12:00:00–12:04:00 UTC"},
		{"Interval 3/3", "score 100 (Pass), window 12:00:00–12:06:00 UTC"},
		{"Analysis verdict", "Final canary score 100.0 met or exceeded the pass score threshold."},
	}
	// The execution's details come first, then the analysis's, in order.
	if len(r.Details) < len(want) {
		t.Fatalf("details %v", r.Details)
	}
	if got := r.Details[len(r.Details)-len(want):]; !slices.Equal(got, want) {
		t.Errorf("analysis details:\n%v\nwant\n%v", got, want)
	}
	if v, _ := detail(r, "Execution"); v != "ex-3" {
		t.Errorf("Execution %q", v)
	}
	page := renderHTML(t, r)
	if n := strings.Count(page, "<svg"); n != len(res.Results) {
		t.Errorf("%d charts for %d metrics", n, len(res.Results))
	}
	for _, s := range []string{"Canary report: checkout-canary", "<dd>sa-1 (succeeded)</dd>", "<dt>Interval 3/3</dt>", "met or exceeded"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(page, `http-equiv="refresh"`) {
		t.Error("a complete analysis reloads")
	}
	checkSelfContained(t, page)

	// Without a plan, the caller's count, else the judgements.
	noPlan := *a
	noPlan.Plan = nil
	if v, _ := detail(FromAnalysis(&noPlan, last, pairs, "", 5), "Interval 3/5"); !strings.HasPrefix(v, "score 100") {
		t.Errorf("expected count 5: %v", FromAnalysis(&noPlan, last, pairs, "", 5).Details)
	}
	if _, ok := detail(FromAnalysis(&noPlan, last, pairs, ""), "Interval 3/3"); !ok {
		t.Error("no plan, no expected count: not n/3")
	}
}

func TestFromAnalysisEarlyStop(t *testing.T) {
	res, pairs := fixture(t)
	er := judgement(1, float64(res.Score.Score), res.Score.Classification)
	er.Result.JudgeResult = res
	a := &canary.Analysis{PipelineID: "sa-2", Status: canary.StatusTerminal, Complete: true, Plan: analysisPlan(3, false),
		Exception: &canary.Exception{Message: "Canary score is not above the marginal score threshold."},
		CanaryAnalysisExecutionResult: &canary.AnalysisResult{CanaryScoreMessage: "Final canary score 0.0 is not above the marginal score threshold.",
			CanaryExecutionResults: []canary.ExecutionResult{er}}}
	last := &canary.Execution{PipelineID: "ex-1", Status: canary.StatusSucceeded, Complete: true, MetricSetPairListID: "pl-1",
		Result: &canary.Result{JudgeResult: res}}
	r := FromAnalysis(a, last, pairs, "")
	if v, _ := detail(r, "Interval 1/3"); v != "score 0 (Fail), window 12:00:00–12:02:00 UTC" {
		t.Errorf("Interval 1/3: %q", v)
	}
	if _, ok := detail(r, "Interval 2/3"); ok {
		t.Error("an interval not run has a detail")
	}
	wantVerdict := "Final canary score 0.0 is not above the marginal score threshold. The analysis stopped after interval 1/3: Canary score is not above the marginal score threshold."
	if v, _ := detail(r, "Analysis verdict"); v != wantVerdict {
		t.Errorf("verdict %q", v)
	}
	if v, _ := detail(r, "Standalone analysis"); v != "sa-2 (terminal)" || r.Refresh != 0 || r.Pending != "" {
		t.Errorf("standalone %q, refresh %d, pending %q", v, r.Refresh, r.Pending)
	}

	// The execution gone: the page shows the judgement as the analysis
	// stored it, with its series.
	r = FromAnalysis(a, nil, pairs, "")
	page := renderHTML(t, r)
	if r.Classification != string(res.Score.Classification) || strings.Count(page, "<svg") != len(res.Results) {
		t.Errorf("from the stored judgement: %s, %d charts", r.Classification, strings.Count(page, "<svg"))
	}
	if v, _ := detail(r, "Execution"); v != "ex-1" {
		t.Errorf("Execution %q", v)
	}

	// A judgement that failed before it had an execution.
	failed := canary.ExecutionResult{ExecutionStatus: "TERMINAL", Exception: &canary.Exception{Message: "fetching metric \"x\": down"},
		JudgementStartTimeMillis: analysisT0.UnixMilli(), JudgementEndTimeMillis: analysisT0.Add(4 * time.Minute).UnixMilli()}
	b := *a
	b.Exception = failed.Exception
	b.CanaryAnalysisExecutionResult = &canary.AnalysisResult{CanaryExecutionResults: []canary.ExecutionResult{er, failed}}
	r = FromAnalysis(&b, nil, nil, "")
	if r.Pending != `The last judgement of standalone analysis sa-2 (interval 2/3) ended with status terminal and no judge result: fetching metric "x": down` {
		t.Errorf("pending %q", r.Pending)
	}
	if v, _ := detail(r, "Interval 2/3"); v != `no score (TERMINAL: fetching metric "x": down), window 12:00:00–12:04:00 UTC` {
		t.Errorf("Interval 2/3: %q", v)
	}
	if v, _ := detail(r, "Analysis verdict"); v != `The analysis stopped after interval 2/3: fetching metric "x": down` {
		t.Errorf("verdict %q", v)
	}
}

func TestFromAnalysisPending(t *testing.T) {
	a := &canary.Analysis{PipelineID: "sa-3", Status: canary.StatusRunning, Application: "checkout", Plan: analysisPlan(3, true),
		CanaryConfig: json.RawMessage(`{"name":"checkout-canary"}`), CanaryConfigID: "cfg-1",
		CanaryAnalysisRequest: &canary.AnalysisRequest{Scopes: []canary.AnalysisScope{{ScopeName: "default", ControlScope: "baseline", ExperimentScope: "canary", ExperimentLocation: "eu"}},
			Thresholds: &judge.Thresholds{Pass: 95, Marginal: 75}},
		StageStatus:                   []canary.StageStatus{{Name: "Interval Wait #1", Status: canary.StatusRunning}, {Name: "Run Canary #1", Status: canary.StatusNotStarted}},
		CanaryAnalysisExecutionResult: &canary.AnalysisResult{CanaryExecutionResults: []canary.ExecutionResult{}}}
	r := FromAnalysis(a, nil, nil, "")
	want := "Standalone analysis sa-3 has no judgement yet (status running): there is no verdict to show. Next stage: Interval Wait #1 (running, until 12:02:00 UTC)."
	if r.Pending != want || r.Refresh != PendingRefreshSeconds {
		t.Errorf("pending %q, refresh %d", r.Pending, r.Refresh)
	}
	page := renderHTML(t, r)
	for _, s := range []string{`<meta http-equiv="refresh" content="10">`, "Canary report: checkout-canary", "<dd>sa-3 (running)</dd>",
		"control baseline, experiment canary in eu", "pass 95, marginal 75", "checkout-canary (cfg-1)",
		"3 judgements every 2m0s, 2025-04-08 12:00:00 – 2025-04-08 12:06:00 UTC", "This page reloads every 10 seconds."} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(page, "<svg") {
		t.Error("a pending page has charts")
	}
	checkSelfContained(t, page)

	// Not planned yet: no next stage.
	fresh := &canary.Analysis{PipelineID: "sa-5", Status: canary.StatusNotStarted}
	if r := FromAnalysis(fresh, nil, nil, ""); r.Pending != "Standalone analysis sa-5 has no judgement yet (status not_started): there is no verdict to show." ||
		r.Refresh != PendingRefreshSeconds {
		t.Errorf("not started: %q", r.Pending)
	}

	// Running with a judgement: the last one, reloading, no verdict yet.
	res, pairs := fixture(t)
	er := judgement(1, 0, judge.ScoreFail)
	er.Result.JudgeResult = res
	a.CanaryAnalysisExecutionResult.CanaryExecutionResults = []canary.ExecutionResult{er}
	r = FromAnalysis(a, &canary.Execution{Status: canary.StatusSucceeded, Complete: true, Result: &canary.Result{JudgeResult: res}}, pairs, "")
	if r.Pending != "" || r.Refresh != PendingRefreshSeconds {
		t.Errorf("running with a judgement: pending %q, refresh %d", r.Pending, r.Refresh)
	}
	if v, _ := detail(r, "Analysis verdict"); v != "none yet: the analysis is running, 1 of 3 intervals judged (this page reloads every 10 seconds)" {
		t.Errorf("verdict %q", v)
	}
}

func TestFromAnalysisEndedWithoutJudgement(t *testing.T) {
	a := &canary.Analysis{PipelineID: "sa-4", Status: canary.StatusTerminal, Complete: true,
		Exception: &canary.Exception{Message: "Canary stage configuration must contain at least one scope."}}
	r := FromAnalysis(a, nil, nil, "")
	if r.Pending != "Standalone analysis sa-4 ended with status terminal and no judgement. Canary stage configuration must contain at least one scope." ||
		r.Refresh != 0 {
		t.Errorf("pending %q, refresh %d", r.Pending, r.Refresh)
	}
	page := renderHTML(t, r)
	if strings.Contains(page, `http-equiv="refresh"`) || !strings.Contains(page, "<dd>sa-4 (terminal)</dd>") {
		t.Errorf("page:\n%s", page)
	}
	canceled := &canary.Analysis{PipelineID: "sa-6", Status: canary.StatusCanceled}
	if r := FromAnalysis(canceled, nil, nil, ""); r.Pending != "Standalone analysis sa-6 ended with status canceled and no judgement." || r.Refresh != 0 {
		t.Errorf("canceled: %q %d", r.Pending, r.Refresh)
	}
}

func TestAnalysisTexts(t *testing.T) {
	er := judgement(2, 87.5, judge.ScoreMarginal)
	if s := ScoreText(er); s != "score 87.5 (Marginal)" {
		t.Errorf("ScoreText %q", s)
	}
	if s := WindowText(er); s != "12:00:00–12:04:00" {
		t.Errorf("WindowText %q", s)
	}
	if s := ScoreText(canary.ExecutionResult{ExecutionStatus: "CANCELED"}); s != "no score (CANCELED: no reason given)" {
		t.Errorf("ScoreText without result %q", s)
	}
	if s := VerdictLine(&canary.Analysis{Status: canary.StatusCanceled}); s != "The analysis ended canceled: no reason given" {
		t.Errorf("VerdictLine %q", s)
	}
	for _, tc := range []struct {
		a        *canary.Analysis
		expected int
		want     int
	}{
		{&canary.Analysis{Plan: analysisPlan(4, false)}, 2, 4},
		{&canary.Analysis{}, 2, 2},
		{&canary.Analysis{CanaryAnalysisExecutionResult: &canary.AnalysisResult{CanaryExecutionResults: make([]canary.ExecutionResult, 3)}}, 0, 3},
		{&canary.Analysis{CanaryAnalysisExecutionResult: &canary.AnalysisResult{CanaryExecutionResults: make([]canary.ExecutionResult, 3)}}, 2, 3},
	} {
		if got := IntervalCount(tc.a, tc.expected); got != tc.want {
			t.Errorf("IntervalCount(%+v, %d) = %d, want %d", tc.a, tc.expected, got, tc.want)
		}
	}
}
