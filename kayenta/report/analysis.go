package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/judge"
)

// FromAnalysis returns the report of a standalone canary analysis: the
// report of its last judgement's execution (last; nil when it has none or it
// could not be read, the page then shows the judgement as the analysis
// stored it) followed by the details "Standalone analysis" (id and status),
// "Interval i/N" (score and window of each judgement) and "Analysis verdict".
// pairs and pairsNote are the last judgement's series, as for FromExecution.
//
// N is IntervalCount(a, expected[0]): the plan's count, else expected when
// given (the number of judgements the caller asked for), else the number of
// judgements.
//
// An analysis without a judgement gives a page saying so: one that reloads
// itself (Refresh) while the analysis runs, naming its next stage when
// known; one with the status and exception once it ended. A running analysis
// with judgements shows the last one and reloads itself too.
func FromAnalysis(a *canary.Analysis, last *canary.Execution, pairs []judge.MetricSetPair, pairsNote string, expected ...int) Report {
	exp := 0
	if len(expected) > 0 {
		exp = expected[0]
	}
	count := IntervalCount(a, exp)
	results := judgements(a)
	complete := a.Complete || canary.Complete(a.Status)
	if len(results) == 0 {
		return pendingAnalysis(a, complete)
	}
	er := results[len(results)-1]
	var r Report
	if last != nil {
		id := er.ExecutionID
		if id == "" {
			id = last.PipelineID
		}
		r = FromExecution(id, last, pairs, pairsNote)
	} else {
		r = FromExecution(er.ExecutionID, judgementExecution(a, er), pairs, pairsNote)
		if er.ExecutionID == "" && r.Pending != "" {
			r.Pending = fmt.Sprintf("The last judgement of standalone analysis %s (interval %d/%d) ended with status %s and no judge result: %s",
				a.PipelineID, len(results), count, strings.ToLower(er.ExecutionStatus), ExceptionText(er.Exception))
		}
	}
	r.Details = append(r.Details, Detail{Name: "Standalone analysis", Value: a.PipelineID + " (" + a.Status + ")"})
	for i, er := range results {
		r.Details = append(r.Details, Detail{Name: fmt.Sprintf("Interval %d/%d", i+1, count),
			Value: fmt.Sprintf("%s, window %s UTC", ScoreText(er), WindowText(er))})
	}
	verdict := VerdictLine(a)
	if !complete {
		verdict = fmt.Sprintf("none yet: the analysis is %s, %d of %d intervals judged (this page reloads every %d seconds)",
			a.Status, len(results), count, PendingRefreshSeconds)
		r.Refresh = PendingRefreshSeconds
	}
	r.Details = append(r.Details, Detail{Name: "Analysis verdict", Value: verdict})
	return r
}

// IntervalCount is the number of judgements of an analysis: its plan's
// count, else expected when positive, else the judgements it has (and never
// fewer than those).
func IntervalCount(a *canary.Analysis, expected int) int {
	n := len(judgements(a))
	count := n
	switch {
	case a.Plan != nil:
		count = a.Plan.Count
	case expected > 0:
		count = expected
	}
	return max(count, n)
}

// ScoreText is "score 100 (Pass)" for a judgement, or why it has none.
func ScoreText(er canary.ExecutionResult) string {
	if er.Result != nil && er.Result.JudgeResult != nil {
		s := er.Result.JudgeResult.Score
		return fmt.Sprintf("score %s (%s)", Num(float64(s.Score)), s.Classification)
	}
	return fmt.Sprintf("no score (%s: %s)", er.ExecutionStatus, ExceptionText(er.Exception))
}

// WindowText is a judgement's window as "12:00:00–12:02:00" (UTC).
func WindowText(er canary.ExecutionResult) string {
	f := func(ms int64) string { return time.UnixMilli(ms).UTC().Format("15:04:05") }
	return f(er.JudgementStartTimeMillis) + "–" + f(er.JudgementEndTimeMillis)
}

// ExceptionText is an exception's message, or "no reason given".
func ExceptionText(e *canary.Exception) string {
	if e == nil || e.Message == "" {
		return "no reason given"
	}
	return e.Message
}

// VerdictLine is the analysis's canaryScoreMessage, and why it stopped when
// it did not run to the end.
func VerdictLine(a *canary.Analysis) string {
	var parts []string
	if r := a.CanaryAnalysisExecutionResult; r != nil && r.CanaryScoreMessage != "" {
		parts = append(parts, r.CanaryScoreMessage)
	}
	if a.Status != canary.StatusSucceeded {
		n := len(judgements(a))
		if a.Plan != nil && a.Status == canary.StatusTerminal && n > 0 && n < a.Plan.Count {
			parts = append(parts, fmt.Sprintf("The analysis stopped after interval %d/%d: %s", n, a.Plan.Count, ExceptionText(a.Exception)))
		} else {
			parts = append(parts, fmt.Sprintf("The analysis ended %s: %s", a.Status, ExceptionText(a.Exception)))
		}
	}
	return strings.Join(parts, " ")
}

func judgements(a *canary.Analysis) []canary.ExecutionResult {
	if a.CanaryAnalysisExecutionResult == nil {
		return nil
	}
	return a.CanaryAnalysisExecutionResult.CanaryExecutionResults
}

// judgementExecution is what the analysis stored of a judgement, as an
// execution, for a page when the execution itself is not at hand.
func judgementExecution(a *canary.Analysis, er canary.ExecutionResult) *canary.Execution {
	ex := &canary.Execution{Application: a.Application, PipelineID: er.ExecutionID, Complete: true,
		Status: strings.ToLower(er.ExecutionStatus), Exception: er.Exception, Result: er.Result, Config: a.CanaryConfig,
		CanaryConfigID: a.CanaryConfigID, MetricSetPairListID: er.MetricSetPairListID, StartTimeIso: er.StartTimeIso,
		EndTimeIso: er.EndTimeIso, MetricsAccountName: a.MetricsAccountName, StorageAccountName: er.StorageAccountName}
	if ex.StorageAccountName == "" {
		ex.StorageAccountName = a.StorageAccountName
	}
	if req := a.CanaryAnalysisRequest; req != nil && req.Thresholds != nil {
		ex.CanaryExecutionRequest = &canary.ExecutionRequest{Thresholds: req.Thresholds}
	}
	return ex
}

// pendingAnalysis is the page of an analysis without a judgement.
func pendingAnalysis(a *canary.Analysis, complete bool) Report {
	name := configName(a.CanaryConfig)
	r := Report{Title: pageTitle(name)}
	r.add("Standalone analysis", a.PipelineID+" ("+a.Status+")")
	r.add("Application", a.Application)
	r.add("Canary config", configLabel(name, a.CanaryConfigID))
	if req := a.CanaryAnalysisRequest; req != nil {
		for _, sc := range req.Scopes {
			label := "Scopes"
			if len(req.Scopes) > 1 {
				label += " (" + sc.ScopeName + ")"
			}
			r.add(label, scopesText(sc.ControlScope, sc.ControlLocation, sc.ExperimentScope, sc.ExperimentLocation))
		}
		r.add("Thresholds", thresholdsText(req.Thresholds))
	}
	if p := a.Plan; p != nil && p.Count > 0 {
		s, _ := p.Window(1)
		_, e := p.Window(p.Count)
		plural := ""
		if p.Count != 1 {
			plural = "s"
		}
		r.add("Intervals", fmt.Sprintf("%d judgement%s every %s, %s", p.Count, plural, p.Interval, spanText(s, e)))
	}
	r.add("Metrics account", a.MetricsAccountName)
	r.add("Storage account", a.StorageAccountName)
	r.add("Started", a.StartTimeIso)
	r.add("Ended", a.EndTimeIso)

	if complete {
		msg := fmt.Sprintf("Standalone analysis %s ended with status %s and no judgement.", a.PipelineID, a.Status)
		if a.Exception != nil && a.Exception.Message != "" {
			msg += " " + a.Exception.Message
		}
		r.Pending = msg
		return r
	}
	msg := fmt.Sprintf("Standalone analysis %s has no judgement yet (status %s): there is no verdict to show.", a.PipelineID, a.Status)
	if next := nextStage(a); next != "" {
		msg += " Next stage: " + next + "."
	}
	r.Pending = msg
	r.Refresh = PendingRefreshSeconds
	return r
}

// nextStage names the analysis's running stage, else its first one not
// started: "Interval Wait #1 (running, until 12:05:00 UTC)"; "" when none.
func nextStage(a *canary.Analysis) string {
	pick := -1
	for i, st := range a.StageStatus {
		if st.Status == canary.StatusRunning {
			pick = i
			break
		}
		if pick < 0 && !canary.Complete(st.Status) {
			pick = i
		}
	}
	if pick < 0 {
		return ""
	}
	st := a.StageStatus[pick]
	text := st.Name + " (" + st.Status
	var i int
	if _, err := fmt.Sscanf(st.Name, "Interval Wait #%d", &i); err == nil && a.Plan != nil && i > 0 {
		_, end := a.Plan.Window(i)
		text += ", until " + end.UTC().Format("15:04:05") + " UTC"
	}
	return text + ")"
}
