package judge

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestScoreRules(t *testing.T) {
	in := func(c Classification, groups ...string) ScoreInput {
		return ScoreInput{Classification: c, Groups: groups, Reason: "reason of " + string(c)}
	}
	crit := func(s ScoreInput) ScoreInput { s.Critical = true; return s }
	muted := func(s ScoreInput) ScoreInput { s.Muted = true; return s }
	th := Thresholds{Pass: 95, Marginal: 75}
	tests := []struct {
		name    string
		results []ScoreInput
		weights map[string]float64
		th      Thresholds
		score   float64
		cls     ScoreClassification
		reason  string
		groups  string
	}{
		{"no results", nil, nil, th, 0, ScoreFail, "", ""},
		{"all pass", []ScoreInput{in(Pass, "a"), in(Pass, "b")}, nil, th, 100, ScorePass, "", "a=100 b=100"},
		{"muted failures are ignored", []ScoreInput{in(Pass, "a"), muted(crit(in(High, "a"))), muted(in(Low, "b"))}, nil, th, 100, ScorePass, "", "a=100"},
		{"only muted results", []ScoreInput{muted(in(Pass, "a"))}, nil, th, 0, ScoreFail, "", ""},
		{"critical nodata fails", []ScoreInput{in(Pass, "a"), in(Pass, "a"), in(Pass, "a"), crit(in(Nodata, "a"))}, nil, th, 0, ScoreFail, "Canary Failed: reason of Nodata", "a=100"},
		{"critical pass is fine", []ScoreInput{crit(in(Pass, "a")), in(Low, "a")}, nil, th, 50, ScoreFail, "", "a=50"},
		{"first critical failure wins", []ScoreInput{crit(in(Low, "a")), crit(in(High, "a"))}, nil, th, 0, ScoreFail, "Canary Failed: reason of Low", "a=0"},
		{"half nodata fails", []ScoreInput{in(Pass, "a"), in(Nodata, "a")}, nil, th, 0, ScoreFail, "Canary Failed: 50% or more metrics returned NODATA", "a=100"},
		{"a third nodata passes", []ScoreInput{in(Pass, "a"), in(Pass, "a"), in(Nodata, "b")}, nil, th, 100, ScorePass, "", "a=100 b=0"},
		{"NodataFailMetric counts against", []ScoreInput{in(Pass, "a"), in(NodataFailMetric, "a")}, nil, th, 50, ScoreFail, "", "a=50"},
		{"Error is left out", []ScoreInput{in(Pass, "a"), in(Error, "a"), in(Error, "b")}, nil, th, 100, ScorePass, "", "a=100 b=0"},
		{"weights of absent groups are lost", []ScoreInput{in(Pass, "a")}, map[string]float64{"a": 50, "b": 50}, th, 50, ScoreFail, "", "a=100"},
		{"unweighted groups share the rest", []ScoreInput{in(Pass, "a"), in(High, "b"), in(Pass, "c")}, map[string]float64{"a": 40}, th, 70, ScoreFail, "", "a=100 b=0 c=100"},
		{"metric in two groups", []ScoreInput{in(High, "a", "b"), in(Pass, "b")}, nil, th, 25, ScoreFail, "", "a=0 b=50"},
		{"HALF_UP rounding", []ScoreInput{in(Pass, "a"), in(High, "a"), in(High, "a")}, nil, th, 33.33, ScoreFail, "", "a=33.33333333333333"},
		{"score equal to pass", []ScoreInput{in(Pass, "a"), in(High, "a")}, nil, Thresholds{Pass: 50, Marginal: 10}, 50, ScorePass, "", "a=50"},
		{"score equal to marginal", []ScoreInput{in(Pass, "a"), in(High, "a")}, nil, Thresholds{Pass: 60, Marginal: 50}, 50, ScoreMarginal, "", "a=50"},
		{"no groups at all", []ScoreInput{in(Pass)}, nil, th, 0, ScoreFail, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Score(tc.results, tc.weights, tc.th)
			if float64(got.Score.Score) != tc.score || got.Score.Classification != tc.cls || got.Score.ClassificationReason != tc.reason {
				t.Errorf("score = %+v, want %v %s %q", got.Score, tc.score, tc.cls, tc.reason)
			}
			var gs []string
			for _, g := range got.GroupScores {
				gs = append(gs, g.Name+"="+strings.TrimSuffix(javaDouble(float64(g.Score)), ".0"))
			}
			if s := strings.Join(gs, " "); s != tc.groups {
				t.Errorf("groups = %q, want %q", s, tc.groups)
			}
		})
	}
}

func TestScoreEmptyGroupScoresMarshalAsArray(t *testing.T) {
	res, err := Judge(&CanaryConfig{}, nil, Thresholds{95, 75})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"results":[],"groupScores":[],"score":{"score":0.0,"classification":"Fail","classificationReason":""}`) {
		t.Errorf("got %s", b)
	}
}
