package canary

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/metrics"
)

// SetupAndExecuteCanariesStage's planning and GenerateCanaryAnalysisResultTask's
// aggregation (shared/reference/kayenta.md §4), as pure functions.

func ptr[T any](v T) *T { return &v }

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func TestPlan(t *testing.T) {
	iso := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
	for _, c := range []struct {
		name     string
		req      AnalysisRequest
		lifetime time.Duration
		interval time.Duration
		count    int
		realTime bool
		start    time.Time
	}{
		{"seed: lifetime 3, interval 1", AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDurationMins: ptr[int64](3), AnalysisIntervalMins: ptr[int64](1)},
			3 * time.Minute, time.Minute, 3, true, t0},
		{"no interval: one judgement", AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDurationMins: ptr[int64](30)},
			30 * time.Minute, 30 * time.Minute, 1, true, t0},
		{"interval 0 is the lifetime", AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDurationMins: ptr[int64](10), AnalysisIntervalMins: ptr[int64](0)},
			10 * time.Minute, 10 * time.Minute, 1, true, t0},
		{"interval over the lifetime is the lifetime", AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDurationMins: ptr[int64](10), AnalysisIntervalMins: ptr[int64](60)},
			10 * time.Minute, 10 * time.Minute, 1, true, t0},
		{"N is floored", AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDurationMins: ptr[int64](5), AnalysisIntervalMins: ptr[int64](2)},
			5 * time.Minute, 2 * time.Minute, 2, true, t0},
		{"endTimeIso: whole minutes, not real time", AnalysisRequest{Scopes: []AnalysisScope{{StartTimeIso: iso(0), EndTimeIso: iso(7*time.Minute + 59*time.Second)}}, AnalysisIntervalMins: ptr[int64](2)},
			7 * time.Minute, 2 * time.Minute, 3, false, t0},
		{"endTimeIso wins over lifetimeDurationMins", AnalysisRequest{Scopes: []AnalysisScope{{StartTimeIso: iso(0), EndTimeIso: iso(4 * time.Minute)}}, LifetimeDurationMins: ptr[int64](60)},
			4 * time.Minute, 4 * time.Minute, 1, false, t0},
		{"startTimeIso with a lifetime", AnalysisRequest{Scopes: []AnalysisScope{{StartTimeIso: iso(-time.Hour)}}, LifetimeDurationMins: ptr[int64](6), AnalysisIntervalMins: ptr[int64](3)},
			6 * time.Minute, 3 * time.Minute, 2, true, t0.Add(-time.Hour)},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := plan(&c.req, t0)
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(p.Lifetime, p.Interval, p.Count, p.RealTime, p.Start.Equal(c.start), p.NextIndex)
			want := fmt.Sprint(c.lifetime, c.interval, c.count, c.realTime, true, 1)
			if got != want {
				t.Errorf("lifetime interval count realTime start nextIndex = %s, want %s", got, want)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		req  AnalysisRequest
		want string
	}{
		{"no lifetime", AnalysisRequest{Scopes: []AnalysisScope{{}}}, "Canary stage configuration must include either `endTime` or `lifetimeDuration`."},
		{"no scopes", AnalysisRequest{LifetimeDurationMins: ptr[int64](3)}, "must contain at least one scope"},
		{"end before a minute", AnalysisRequest{Scopes: []AnalysisScope{{StartTimeIso: "2024-05-01T12:00:00Z", EndTimeIso: "2024-05-01T12:00:59Z"}}}, "at least one minute"},
		{"bad endTimeIso", AnalysisRequest{Scopes: []AnalysisScope{{EndTimeIso: "yesterday"}}}, "endTimeIso"},
		{"zero lifetime", AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDurationMins: ptr[int64](0)}, "at least one minute"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := plan(&c.req, t0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("plan: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestPlanWindows(t *testing.T) {
	m := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	for _, c := range []struct {
		name string
		p    AnalysisPlan
		want [][2]time.Time
	}{
		{"growing", AnalysisPlan{Start: t0, Interval: time.Minute, Count: 3, RealTime: true},
			[][2]time.Time{{m(0), m(1)}, {m(0), m(2)}, {m(0), m(3)}}},
		{"warmup shifts real-time windows", AnalysisPlan{Start: t0, Interval: time.Minute, Count: 2, RealTime: true, Warmup: 5 * time.Minute},
			[][2]time.Time{{m(5), m(6)}, {m(5), m(7)}}},
		{"no warmup with endTimeIso", AnalysisPlan{Start: t0, Interval: 2 * time.Minute, Count: 2, Warmup: 5 * time.Minute},
			[][2]time.Time{{m(0), m(2)}, {m(0), m(4)}}},
		{"lookback slides", AnalysisPlan{Start: t0, Interval: 2 * time.Minute, Count: 3, RealTime: true, Lookback: time.Minute},
			[][2]time.Time{{m(1), m(2)}, {m(3), m(4)}, {m(5), m(6)}}},
		{"lookback after warmup", AnalysisPlan{Start: t0, Interval: time.Minute, Count: 2, RealTime: true, Warmup: time.Minute, Lookback: 3 * time.Minute},
			[][2]time.Time{{m(-1), m(2)}, {m(0), m(3)}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got [][2]time.Time
			for i := 1; i <= c.p.Count; i++ {
				s, e := c.p.Window(i)
				got = append(got, [2]time.Time{s, e})
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("windows\n got %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestAggregate(t *testing.T) {
	for _, c := range []struct {
		scores     []float64
		thresholds *judge.Thresholds
		pass       bool
		msg        string
	}{
		{[]float64{100, 100, 100}, &judge.Thresholds{Pass: 95, Marginal: 75}, true, "Final canary score 100.0 met or exceeded the pass score threshold."},
		{[]float64{100, 87.5}, &judge.Thresholds{Pass: 95, Marginal: 75}, false, "Final canary score 87.5 is below the pass score threshold."},
		// The judge rates score == marginal Marginal; the analysis fails it.
		{[]float64{75}, &judge.Thresholds{Pass: 95, Marginal: 75}, false, "Final canary score 75.0 is not above the marginal score threshold."},
		{[]float64{0}, &judge.Thresholds{Pass: 95, Marginal: 75}, false, "Final canary score 0.0 is not above the marginal score threshold."},
		{[]float64{95}, &judge.Thresholds{Pass: 95, Marginal: 75}, true, "Final canary score 95.0 met or exceeded the pass score threshold."},
		// Only the last score counts.
		{[]float64{0, 100}, &judge.Thresholds{Pass: 95, Marginal: 75}, true, "Final canary score 100.0 met or exceeded the pass score threshold."},
		{[]float64{10}, nil, true, "No score thresholds were specified."},
		{nil, &judge.Thresholds{Pass: 95, Marginal: 75}, false, "Final canary score 0.0 is not above the marginal score threshold."},
	} {
		a := &Analysis{CanaryAnalysisRequest: &AnalysisRequest{Thresholds: c.thresholds},
			CanaryAnalysisExecutionResult: &AnalysisResult{CanaryScores: c.scores, CanaryExecutionResults: []ExecutionResult{{Warnings: []string{}}}},
			StageStatus:                   []StageStatus{{Name: "Generate Canary Analysis Result", Status: StatusNotStarted}}}
		(&Service{}).aggregate(a)
		r := a.CanaryAnalysisExecutionResult
		if r.DidPassThresholds != c.pass || r.CanaryScoreMessage != c.msg {
			t.Errorf("scores %v thresholds %+v: pass %v %q, want %v %q", c.scores, c.thresholds, r.DidPassThresholds, r.CanaryScoreMessage, c.pass, c.msg)
		}
		if r.HasWarnings || a.StageStatus[0].Status != StatusSucceeded {
			t.Errorf("hasWarnings %v, stage %s", r.HasWarnings, a.StageStatus[0].Status)
		}
	}
}

func TestValidateRequestJudge(t *testing.T) {
	cfg := &judge.CanaryConfig{JudgeName: "dredd-v1.0", Metrics: []judge.CanaryMetricConfig{{Name: "m", ScopeName: "default"}}}
	req := &ExecutionRequest{Thresholds: &judge.Thresholds{Pass: 95, Marginal: 75}, Scopes: map[string]ScopePair{"default": {
		ControlScope:    metrics.Scope{Start: t0, End: t0.Add(time.Minute), Step: 60},
		ExperimentScope: metrics.Scope{Start: t0, End: t0.Add(time.Minute), Step: 60},
	}}}
	err := validateRequest(cfg, req)
	if !metrics.IsArgumentError(err) || !strings.Contains(fmt.Sprint(err), "dredd-v1.0") {
		t.Errorf("unknown judge: %v, want a 400 naming it", err)
	}
	cfg.JudgeName = judge.JudgeName
	if err := validateRequest(cfg, req); err != nil {
		t.Errorf("%s: %v", judge.JudgeName, err)
	}
	cfg.JudgeName = ""
	if err := validateRequest(cfg, req); err != nil {
		t.Errorf("default judge: %v", err)
	}
}
