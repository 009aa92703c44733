package canary

import (
	"strings"
	"testing"
	"time"

	kcanary "github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/judge"
)

func TestRunWindow(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 600e6, time.UTC)
	s, e, err := runWindow("", "", time.Hour, true, now)
	if err != nil || !e.Equal(now.Truncate(time.Second)) || e.Sub(s) != time.Hour {
		t.Errorf("lookback: %v %v %v", s, e, err)
	}
	s, e, err = runWindow("2026-01-02T14:00:00Z", "2026-01-02T15:00:00+01:00", 0, false, now)
	if err == nil {
		t.Errorf("15:00+01:00 is before 14:00Z: %v %v", s, e)
	}
	s, e, err = runWindow("2026-01-02T14:00:00Z", "2026-01-02T15:00:00Z", 0, false, now)
	if err != nil || e.Sub(s) != time.Hour {
		t.Errorf("start/end: %v %v %v", s, e, err)
	}
	for _, tc := range []struct {
		start, end string
		lb         time.Duration
		set        bool
		want       string
	}{
		{"", "", 0, false, "--lookback"},
		{"", "", -time.Minute, true, "positive"},
		{"2026-01-02T14:00:00Z", "", time.Hour, true, "exclusive"},
		{"", "2026-01-02T14:00:00Z", 0, false, "go together"},
		{"2026-01-02 14:00", "2026-01-02T15:00:00Z", 0, false, "RFC 3339"},
		{"2026-01-02T14:00:00Z", "2026-01-02T14:00:00Z", 0, false, "not before"},
	} {
		if _, _, err := runWindow(tc.start, tc.end, tc.lb, tc.set, now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc, err, tc.want)
		}
	}
}

func TestStandaloneSpec(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 600e6, time.UTC)
	const s0, e30 = "2026-01-02T14:00:00Z", "2026-01-02T14:30:00Z"
	t14 := time.Date(2026, 1, 2, 14, 0, 0, 0, time.UTC)
	type want struct {
		realTime                  bool
		start, end                time.Time
		lifetime, interval        time.Duration
		count                     int
		note                      string // a substring of the notes ("" = none)
		lifetimeISO, intervalISO  string
		startTimeIso, endTimeIsoS string
	}
	for _, tc := range []struct {
		name string
		fl   standaloneFlags
		want want
	}{
		{"retrospective in intervals", standaloneFlags{startS: s0, endS: e30, interval: 10 * time.Minute, intervalSet: true, step: time.Minute},
			want{start: t14, end: t14.Add(30 * time.Minute), lifetime: 30 * time.Minute, interval: 10 * time.Minute, count: 3,
				intervalISO: "PT10M", startTimeIso: s0, endTimeIsoS: e30}},
		{"sub-minute intervals of a past window", standaloneFlags{startS: s0, endS: "2026-01-02T14:02:00Z", interval: 30 * time.Second, intervalSet: true, step: 10 * time.Second},
			want{start: t14, end: t14.Add(2 * time.Minute), lifetime: 2 * time.Minute, interval: 30 * time.Second, count: 4,
				intervalISO: "PT30S", startTimeIso: s0, endTimeIsoS: "2026-01-02T14:02:00Z"}},
		{"lookback in intervals", standaloneFlags{lookback: time.Hour, lookbackSet: true, interval: 20 * time.Minute, intervalSet: true, step: time.Minute},
			want{start: now.Truncate(time.Second).Add(-time.Hour), end: now.Truncate(time.Second), lifetime: time.Hour, interval: 20 * time.Minute, count: 3,
				intervalISO: "PT20M", startTimeIso: "2026-01-02T14:04:05Z", endTimeIsoS: "2026-01-02T15:04:05Z"}},
		{"a past window is whole minutes", standaloneFlags{startS: s0, endS: "2026-01-02T14:02:30Z", interval: time.Minute, intervalSet: true, step: time.Second},
			want{start: t14, end: t14.Add(150 * time.Second), lifetime: 2 * time.Minute, interval: time.Minute, count: 2,
				note: "its last 30s is not judged", intervalISO: "PT1M", startTimeIso: s0, endTimeIsoS: "2026-01-02T14:02:30Z"}},
		{"real time from now", standaloneFlags{lifetime: 4 * time.Second, lifetimeSet: true, interval: 2 * time.Second, intervalSet: true, step: time.Second},
			want{realTime: true, lifetime: 4 * time.Second, interval: 2 * time.Second, count: 2, lifetimeISO: "PT4S", intervalISO: "PT2S"}},
		{"real time, one judgement", standaloneFlags{lifetime: 90 * time.Minute, lifetimeSet: true, step: time.Minute},
			want{realTime: true, lifetime: 90 * time.Minute, interval: 90 * time.Minute, count: 1, lifetimeISO: "PT1H30M", intervalISO: "PT1H30M"}},
		{"real time from --start", standaloneFlags{startS: s0, lifetime: 30 * time.Minute, lifetimeSet: true, interval: 7 * time.Minute, intervalSet: true, step: time.Minute},
			want{realTime: true, start: t14, lifetime: 30 * time.Minute, interval: 7 * time.Minute, count: 4, note: "not a multiple of --interval 7m0s: 4 judgements, the last up to 28m0s",
				lifetimeISO: "PT30M", intervalISO: "PT7M", startTimeIso: s0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newStandaloneSpec(tc.fl, now)
			if err != nil || s == nil {
				t.Fatalf("newStandaloneSpec: %v %v", s, err)
			}
			w := tc.want
			if s.realTime != w.realTime || !s.start.Equal(w.start) || !s.end.Equal(w.end) || s.lifetime != w.lifetime || s.interval != w.interval || s.count != w.count {
				t.Errorf("got %+v, want %+v", s, w)
			}
			if notes := strings.Join(s.notes, "\n"); (w.note == "") != (notes == "") || !strings.Contains(notes, w.note) {
				t.Errorf("notes %q, want %q", notes, w.note)
			}
			req := s.executionRequest([]string{"default", "other"}, "baseline", "canary", tc.fl.step, 95, 75)
			got := func(k string) string { v, _ := req[k].(string); return v }
			if got("lifetimeDuration") != w.lifetimeISO || got("analysisIntervalDuration") != w.intervalISO {
				t.Errorf("request durations %q %q, want %q %q", got("lifetimeDuration"), got("analysisIntervalDuration"), w.lifetimeISO, w.intervalISO)
			}
			if _, ok := req["lifetimeDurationMins"]; ok {
				t.Errorf("request has lifetimeDurationMins: %v", req)
			}
			scopes := req["scopes"].([]any)
			if len(scopes) != 2 {
				t.Fatalf("scopes %v", scopes)
			}
			for _, sc := range scopes {
				m := sc.(map[string]any)
				st, _ := m["startTimeIso"].(string)
				en, _ := m["endTimeIso"].(string)
				if st != w.startTimeIso || en != w.endTimeIsoS || m["step"] != int64(tc.fl.step/time.Second) || m["controlScope"] != "baseline" || m["experimentScope"] != "canary" {
					t.Errorf("scope %v, want startTimeIso %q endTimeIso %q", m, w.startTimeIso, w.endTimeIsoS)
				}
			}
		})
	}
	if s, err := newStandaloneSpec(standaloneFlags{startS: s0, endS: e30, step: time.Minute}, now); s != nil || err != nil {
		t.Errorf("without --lifetime or --interval: %v %v, want a plain run", s, err)
	}
}

func TestStandaloneSpecErrors(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	const s0, e30 = "2026-01-02T14:00:00Z", "2026-01-02T14:30:00Z"
	for _, tc := range []struct {
		fl   standaloneFlags
		want string
	}{
		{standaloneFlags{lifetime: time.Hour, lifetimeSet: true, lookback: time.Hour, lookbackSet: true, step: time.Minute}, "--lifetime and --lookback are exclusive"},
		{standaloneFlags{lifetime: time.Hour, lifetimeSet: true, startS: s0, endS: e30, step: time.Minute}, "--lifetime and --end are exclusive"},
		{standaloneFlags{lifetime: time.Hour, lifetimeSet: true, endS: e30, step: time.Minute}, "--lifetime and --end are exclusive"},
		{standaloneFlags{lifetime: 0, lifetimeSet: true, step: time.Second}, "--lifetime 0s: want a whole number of seconds, at least 1s"},
		{standaloneFlags{lifetime: 1500 * time.Millisecond, lifetimeSet: true, step: time.Second}, "--lifetime 1.5s: want a whole number of seconds"},
		{standaloneFlags{lifetime: time.Minute, lifetimeSet: true, interval: 500 * time.Millisecond, intervalSet: true, step: time.Second}, "--interval 500ms: want a whole number of seconds"},
		{standaloneFlags{lifetime: time.Minute, lifetimeSet: true, interval: -time.Second, intervalSet: true, step: time.Second}, "--interval -1s"},
		{standaloneFlags{lifetime: time.Minute, lifetimeSet: true, interval: 2 * time.Minute, intervalSet: true, step: time.Second}, "--interval 2m0s is longer than --lifetime 1m0s"},
		{standaloneFlags{lifetime: time.Minute, lifetimeSet: true, startS: "yesterday", step: time.Second}, `--start "yesterday": want an RFC 3339 time`},
		{standaloneFlags{lifetime: 4 * time.Second, lifetimeSet: true, interval: 2 * time.Second, intervalSet: true, step: time.Minute}, "--step 1m0s is longer than --interval 2s"},
		{standaloneFlags{lifetime: 4 * time.Second, lifetimeSet: true, step: time.Minute}, "--step 1m0s is longer than --interval 4s"},
		{standaloneFlags{interval: time.Minute, intervalSet: true, step: time.Second}, "--interval needs a window: --start and --end, or --lookback, for a past window; or --lifetime"},
		{standaloneFlags{interval: time.Minute, intervalSet: true, startS: s0, step: time.Second}, "--start and --end go together"},
		{standaloneFlags{interval: 15 * time.Second, intervalSet: true, startS: s0, endS: "2026-01-02T14:00:45Z", step: time.Second}, "the window lasts 45s: judged in intervals, a past window counts in whole minutes"},
		{standaloneFlags{interval: time.Hour, intervalSet: true, startS: s0, endS: e30, step: time.Second}, "--interval 1h0m0s is longer than the window (30m0s in whole minutes)"},
		{standaloneFlags{interval: 30 * time.Second, intervalSet: true, startS: s0, endS: e30, step: time.Minute}, "--step 1m0s is longer than --interval 30s"},
		{standaloneFlags{interval: time.Minute, intervalSet: true, lookback: time.Hour, lookbackSet: true, startS: s0, step: time.Second}, "exclusive"},
	} {
		s, err := newStandaloneSpec(tc.fl, now)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v %v, want an error containing %q", tc.fl, s, err, tc.want)
		}
	}
}

func TestAnalysisProgress(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	a := &kcanary.Analysis{Status: kcanary.StatusRunning,
		Plan: &kcanary.AnalysisPlan{Start: t0, Lifetime: 10 * time.Minute, Interval: 5 * time.Minute, Count: 2, RealTime: true, NextIndex: 1},
		StageStatus: []kcanary.StageStatus{{Name: "Interval Wait #1", Status: kcanary.StatusRunning}, {Name: "Run Canary #1"},
			{Name: "Interval Wait #2", Status: kcanary.StatusNotStarted}, {Name: "Run Canary #2"}},
		CanaryAnalysisExecutionResult: &kcanary.AnalysisResult{}}

	var buf strings.Builder
	p := &analysisProgress{w: &buf}
	for _, d := range []time.Duration{0, 30 * time.Second, 61 * time.Second, 90 * time.Second, 122 * time.Second} {
		p.update(a, t0.Add(d))
	}
	want := "interval 1/2: waiting 5m0s, until 12:05:00 UTC (the end of its window)\n" +
		"interval 1/2: 3m59s left\n" +
		"interval 1/2: 2m58s left\n"
	if buf.String() != want {
		t.Errorf("non-TTY waits:\n%s\nwant:\n%s", buf.String(), want)
	}

	// A judgement done: its line, then the next wait.
	a.StageStatus[0].Status, a.StageStatus[2].Status = kcanary.StatusSucceeded, kcanary.StatusRunning
	a.CanaryAnalysisExecutionResult.CanaryExecutionResults = []kcanary.ExecutionResult{{ExecutionStatus: "SUCCEEDED",
		JudgementStartTimeMillis: t0.UnixMilli(), JudgementEndTimeMillis: t0.Add(5 * time.Minute).UnixMilli(),
		Result: &kcanary.Result{JudgeResult: &judge.CanaryJudgeResult{Score: judge.CanaryJudgeScore{Score: 87.5, Classification: judge.ScoreMarginal}}}}}
	buf.Reset()
	p.update(a, t0.Add(5*time.Minute+time.Second))
	want = "interval 1/2: score 87.5 (marginal), window 12:00:00–12:05:00\n" +
		"interval 2/2: waiting 4m59s, until 12:10:00 UTC (the end of its window)\n"
	if buf.String() != want {
		t.Errorf("after judgement 1:\n%s\nwant:\n%s", buf.String(), want)
	}

	// On a terminal: one line redrawn in place, cleared before the next line.
	buf.Reset()
	tp := &analysisProgress{w: &buf, tty: true, printed: 1}
	tp.update(a, t0.Add(6*time.Minute))
	tp.update(a, t0.Add(7*time.Minute))
	a.CanaryAnalysisExecutionResult.CanaryExecutionResults = append(a.CanaryAnalysisExecutionResult.CanaryExecutionResults, kcanary.ExecutionResult{
		ExecutionStatus: "TERMINAL", Exception: &kcanary.Exception{Message: "fetching metric \"x\": down"},
		JudgementStartTimeMillis: t0.UnixMilli(), JudgementEndTimeMillis: t0.Add(10 * time.Minute).UnixMilli()})
	a.Complete = true
	tp.update(a, t0.Add(10*time.Minute))
	want = "\r\x1b[Kinterval 2/2: waiting 4m0s, until 12:10:00 UTC (the end of its window)" +
		"\r\x1b[Kinterval 2/2: waiting 3m0s, until 12:10:00 UTC (the end of its window)" +
		"\r\x1b[K" + "interval 2/2: no score (terminal: fetching metric \"x\": down), window 12:00:00–12:10:00\n"
	if buf.String() != want {
		t.Errorf("TTY:\n%q\nwant:\n%q", buf.String(), want)
	}

	// The stdout table: a row per interval, the ones not run too, and the verdict.
	var out strings.Builder
	b := &kcanary.Analysis{Status: kcanary.StatusTerminal, Exception: &kcanary.Exception{Message: "Canary score is not above the marginal score threshold."},
		Plan: &kcanary.AnalysisPlan{Start: t0, Interval: 5 * time.Minute, Count: 3, RealTime: true},
		CanaryAnalysisExecutionResult: &kcanary.AnalysisResult{CanaryScoreMessage: "Final canary score 0.0 is not above the marginal score threshold.",
			CanaryExecutionResults: []kcanary.ExecutionResult{{ExecutionStatus: "SUCCEEDED", JudgementStartTimeMillis: t0.UnixMilli(), JudgementEndTimeMillis: t0.Add(5 * time.Minute).UnixMilli(),
				Result: &kcanary.Result{JudgeResult: &judge.CanaryJudgeResult{Score: judge.CanaryJudgeScore{Score: 0, Classification: judge.ScoreFail}}}}}}}
	writeIntervals(&out, b, 3)
	want = "INTERVAL  WINDOW (UTC)       SCORE  RESULT\n" +
		"1/3       12:00:00–12:05:00  0      Fail\n" +
		"2/3       12:00:00–12:10:00  -      not run\n" +
		"3/3       12:00:00–12:15:00  -      not run\n" +
		"ANALYSIS: Final canary score 0.0 is not above the marginal score threshold. The analysis stopped after interval 1/3: Canary score is not above the marginal score threshold.\n"
	if out.String() != want {
		t.Errorf("intervals:\n%s\nwant:\n%s", out.String(), want)
	}
}
