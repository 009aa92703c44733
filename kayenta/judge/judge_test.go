package judge

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden judge outputs in testdata/judge")

func loadSample(t *testing.T) (*CanaryConfig, []MetricSetPair) {
	t.Helper()
	cfg, err := LoadCanaryConfigFile(filepath.Join("testdata", "judge", "canary-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := LoadMetricSetPairListFile(filepath.Join("testdata", "judge", "pairs.json"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, pairs
}

func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "judge", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestJudgeSampleGolden(t *testing.T) {
	cfg, pairs := loadSample(t)
	res, err := Judge(cfg, pairs, Thresholds{Pass: 95, Marginal: 75})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, res); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "result.golden.json", out.Bytes())
	// The table of this result is kayenta/report's golden (WriteSummary).

	// Spot checks that do not depend on the golden files.
	want := map[string]Classification{
		"cpu{instance=a}": Pass, "cpu{instance=b}": High, "errors": High, "latency{route=/pay}": Low,
		"heap": NodataFailMetric, "gc": High, "queue": High,
	}
	for i := range res.Results {
		r := &res.Results[i]
		label := MetricLabel(r.Name, r.Tags)
		if got := r.Classification; got != want[label] {
			t.Errorf("%s: %s (%s), want %s", label, got, r.ClassificationReason, want[label])
		}
	}
	if r := res.Results[2]; !r.Critical || r.ClassificationReason != "The metric errors was classified as High (Critical)" {
		t.Errorf("errors: critical=%v reason %q", r.Critical, r.ClassificationReason)
	}
	if res.Score.Score != 0 || res.Score.Classification != ScoreFail ||
		res.Score.ClassificationReason != "Canary Failed: The metric errors was classified as High (Critical)" {
		t.Errorf("score = %+v", res.Score)
	}
	if r := res.Results[5]; !r.Muted {
		t.Errorf("gc should be muted")
	}
	if r := res.Results[6]; len(r.ResultMetadata.Warnings) == 0 || !strings.Contains(r.ResultMetadata.Warnings[0], "constant") {
		t.Errorf("queue: want the constant-data warning, got %v", r.ResultMetadata.Warnings)
	}
}

func TestWritersRejectNil(t *testing.T) {
	if err := WriteJSON(&bytes.Buffer{}, nil); err == nil {
		t.Error("WriteJSON(nil) succeeded")
	}
}

func TestJudgeJSONShape(t *testing.T) {
	cfg, err := ParseCanaryConfig([]byte(`{"metrics":[
		{"name":"a","groups":["g"]},
		{"name":"b","groups":["g"],"analysisConfigurations":{"canary":{"critical":true}}},
		{"name":"c","groups":["g"]}]}`), "cfg.json")
	if err != nil {
		t.Fatal(err)
	}
	pairs := []MetricSetPair{
		{Name: "a", ID: "id-a", Tags: map[string]string{}, Values: PairValues{Control: []float64{0, 0, 0, 0}, Experiment: []float64{1, 2, 3, 5}}},
		{Name: "b", Values: PairValues{Control: []float64{1, 2, 3}, Experiment: []float64{math.Inf(1), 2, 3}}},
		{Name: "c", Values: PairValues{Control: []float64{math.NaN()}, Experiment: []float64{1}}},
	}
	res, err := Judge(cfg, pairs, Thresholds{Pass: 95, Marginal: 75})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`{"judgeName":"NetflixACAJudge-v1.0","results":[{"name":"a","id":"id-a","tags":{},"classification":"High","classificationReason":"a was classified as High","groups":["g"],`,
		`"controlMetadata":{"stats":{"min":0.0,"max":0.0,"mean":0.0,"std":0.0,"count":4}},"resultMetadata":{"ratio":"NaN",`,
		// b: an infinite value gives Error, without resultMetadata and not critical.
		`{"name":"b","classification":"Error","classificationReason":"Metric Classification Failed","groups":["g"],"experimentMetadata":{"stats":{"min":2.0,"max":"Infinity","mean":"NaN","std":"NaN",`,
		`"count":3}},"critical":false,"muted":false}`,
		// c: no control data after removing NaN.
		`{"name":"c","classification":"Nodata","classificationReason":"Missing data for c","groups":["g"],"experimentMetadata":{"stats":{"min":1.0,"max":1.0,"mean":1.0,"std":0.0,"count":1}},"controlMetadata":{"stats":{"min":0.0,"max":0.0,"mean":0.0,"std":0.0,"count":0}},"resultMetadata":{"ratio":1.0,"warnings":[`,
		// Only a (High) counts in group g: Error and Nodata are left out.
		`"groupScores":[{"name":"g","score":0.0,"classification":"","classificationReason":""}]`,
		`"score":{"score":0.0,"classification":"Fail","classificationReason":""}`,
		`"warnings":["metric \"b\": classification failed: the samples contain NaN or infinite values","One of the metrics returned fewer than 50 data points, which can reduce confidence in the final canary score."]`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s\nin %s", want, s)
		}
	}
	if strings.Contains(s, `"name":"b","id"`) || strings.Contains(s, `"name":"b","tags"`) {
		t.Errorf("absent id/tags must be omitted: %s", s)
	}

	// The JSON reads back into the same values.
	var back CanaryJudgeResult
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if string(b2) != s {
		t.Errorf("round trip changed the JSON:\n%s\n%s", s, b2)
	}
}

func TestJudgeDeterministicNoise(t *testing.T) {
	cfg, err := ParseCanaryConfig([]byte(`{"metrics":[{"name":"m","groups":["g"]},{"name":"n","groups":["g"]}]}`), "cfg.json")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(c, e float64, nc, ne int) PairValues {
		pv := PairValues{}
		for i := 0; i < nc; i++ {
			pv.Control = append(pv.Control, c)
		}
		for i := 0; i < ne; i++ {
			pv.Experiment = append(pv.Experiment, e)
		}
		return pv
	}
	cases := []struct {
		c, e float64
		want Classification
	}{
		{1, 10, High}, {10, 1, Low}, {0, 5, High}, {5, 0, Low},
		{-3, -1, Pass},           // the shift is up but the mean ratio 1/3 is below allowedIncrease, as in Kayenta
		{100, 100.0000001, Pass}, // closer than the noise: Pass, as Kayenta almost always says
		{1e6, 1.5e6, High},
	}
	for _, tc := range cases {
		first, err := Judge(cfg, []MetricSetPair{{Name: "m", Values: mk(tc.c, tc.e, 30, 40)}}, Thresholds{95, 75})
		if err != nil {
			t.Fatal(err)
		}
		r := first.Results[0]
		if r.Classification != tc.want {
			t.Errorf("control %v, experiment %v: %s, want %s", tc.c, tc.e, r.Classification, tc.want)
		}
		a, _ := json.Marshal(first)
		// Same answer on every run, whatever other metrics are judged with it.
		for run := 0; run < 5; run++ {
			other := []MetricSetPair{
				{Name: "n", Values: mk(7, 9, 10, 10)},
				{Name: "m", Values: mk(tc.c, tc.e, 30, 40)},
			}
			again, err := Judge(cfg, other, Thresholds{95, 75})
			if err != nil {
				t.Fatal(err)
			}
			x, _ := json.Marshal(again.Results[1])
			y, _ := json.Marshal(first.Results[0])
			if !bytes.Equal(x, y) {
				t.Fatalf("run %d differs:\n%s\n%s", run, x, y)
			}
		}
		if !bytes.Contains(a, []byte("ciLower")) {
			t.Errorf("noise case should report the test: %s", a)
		}
	}
}

func TestJudgeErrors(t *testing.T) {
	cfg, pairs := loadSample(t)
	tests := []struct {
		name string
		mod  func(*CanaryConfig, []MetricSetPair) (*CanaryConfig, []MetricSetPair, Thresholds)
		want string
	}{
		{"unknown metric", func(c *CanaryConfig, p []MetricSetPair) (*CanaryConfig, []MetricSetPair, Thresholds) {
			p = append(p, MetricSetPair{Name: "nope"})
			return c, p, Thresholds{95, 75}
		}, `metric set pair [7] "nope": the canary config has no metric named "nope"`},
		{"other judge", func(c *CanaryConfig, p []MetricSetPair) (*CanaryConfig, []MetricSetPair, Thresholds) {
			cc := *c
			cc.JudgeName = "dredd-v1.0"
			return &cc, p, Thresholds{95, 75}
		}, `unable to resolve canary judge "dredd-v1.0"`},
		{"marginal above pass", func(c *CanaryConfig, p []MetricSetPair) (*CanaryConfig, []MetricSetPair, Thresholds) {
			return c, p, Thresholds{Pass: 75, Marginal: 95}
		}, "marginal threshold 95 is above the pass threshold 75"},
		{"NaN threshold", func(c *CanaryConfig, p []MetricSetPair) (*CanaryConfig, []MetricSetPair, Thresholds) {
			return c, p, Thresholds{Pass: math.NaN(), Marginal: 75}
		}, "pass threshold must be a finite number"},
		{"nil config", func(c *CanaryConfig, p []MetricSetPair) (*CanaryConfig, []MetricSetPair, Thresholds) {
			return nil, p, Thresholds{95, 75}
		}, "no canary config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, p, th := tc.mod(cfg, pairs)
			_, err := Judge(c, p, th)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestJudgeFirstMetricConfigWins(t *testing.T) {
	cfg := &CanaryConfig{Metrics: []CanaryMetricConfig{
		{Name: "m", Groups: []string{"g"}, Settings: DefaultMetricSettings()},
		{Name: "m", Groups: []string{"h"}, Settings: DefaultMetricSettings()},
	}}
	res, err := Judge(cfg, []MetricSetPair{{Name: "m", Values: PairValues{Control: []float64{1}, Experiment: []float64{1}}}}, Thresholds{95, 75})
	if err != nil {
		t.Fatal(err)
	}
	if g := res.Results[0].Groups; len(g) != 1 || g[0] != "g" {
		t.Errorf("groups = %v, want the first config's", g)
	}
}

func TestClassifierRules(t *testing.T) {
	base := DefaultMetricSettings()
	with := func(f func(*MetricSettings)) MetricSettings { s := base; f(&s); return s }
	lowCtrl := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	high := []float64{21, 22, 23, 24, 25, 26, 27, 28, 29, 30}
	tests := []struct {
		name      string
		ctrl, exp []float64
		s         MetricSettings
		want      Classification
		critical  bool
		reason    string
	}{
		{"empty remove", nil, high, base, Nodata, false, "Missing data for m"},
		{"empty critical", lowCtrl, nil, with(func(s *MetricSettings) { s.Critical = true }), Nodata, true, "Missing data for m"},
		{"empty mustHaveData", lowCtrl, nil, with(func(s *MetricSettings) { s.MustHaveData = true }), NodataFailMetric, false, "Missing data for m"},
		{"empty mustHaveData critical", lowCtrl, nil, with(func(s *MetricSettings) { s.MustHaveData = true; s.Critical = true }), Nodata, true, "Missing data for m"},
		{"empty replace", lowCtrl, nil, with(func(s *MetricSettings) { s.NaNStrategy = NaNReplace }), Pass, false, ""},
		{"identical", []float64{3, 1, 2}, []float64{1, 2, 3}, base, Pass, false, "The Canary and Baseline data are identical"},
		{"one value", []float64{4, 4}, []float64{4, 4, 4}, base, Pass, false, ""},
		{"high", lowCtrl, high, base, High, false, "m was classified as High"},
		{"low", high, lowCtrl, base, Low, false, "m was classified as Low"},
		{"high but direction decrease", lowCtrl, high, with(func(s *MetricSettings) { s.Direction = Decrease }), Pass, false, ""},
		{"low but direction increase", high, lowCtrl, with(func(s *MetricSettings) { s.Direction = Increase }), Pass, false, ""},
		{"unknown direction means either", high, lowCtrl, with(func(s *MetricSettings) { s.Direction = "sideways" }), Low, false, "m was classified as Low"},
		{"high below allowed increase", lowCtrl, high, with(func(s *MetricSettings) { s.EffectSize.AllowedIncrease = 10 }), Pass, false, ""},
		{"critical high", lowCtrl, high, with(func(s *MetricSettings) { s.Critical = true }), High, true, "The metric m was classified as High (Critical)"},
		{"critical high below critical increase", lowCtrl, high, with(func(s *MetricSettings) { s.Critical = true; s.EffectSize.CriticalIncrease = 10 }), High, false, "m was classified as High"},
		{"critical low", high, lowCtrl, with(func(s *MetricSettings) { s.Critical = true }), Low, true, "The metric m was classified as Low (Critical)"},
		{"cles high", lowCtrl, high, with(func(s *MetricSettings) { s.EffectSize = defaultEffectSize(CLESMeasure) }), High, false, "m was classified as High"},
		{"cles above threshold", lowCtrl, high, with(func(s *MetricSettings) {
			s.EffectSize = defaultEffectSize(CLESMeasure)
			s.EffectSize.AllowedIncrease = 1.01
		}), Pass, false, ""},
		{"zero control mean: NaN effect passes thresholds", []float64{0, 0, 0, 0, 0}, []float64{5, 6, 7, 8, 9}, with(func(s *MetricSettings) { s.EffectSize.AllowedIncrease = 100 }), High, false, "m was classified as High"},
		{"NaN is Error", lowCtrl, []float64{1, math.NaN()}, base, Error, false, "Metric Classification Failed"},
		{"critical Error is not critical", lowCtrl, []float64{1, math.Inf(-1)}, with(func(s *MetricSettings) { s.Critical = true }), Error, false, "Metric Classification Failed"},
	}
	c := NewClassifier()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Classify("m", tc.ctrl, tc.exp, tc.s)
			if got.Classification != tc.want || got.Critical != tc.critical || got.Reason != tc.reason {
				t.Errorf("got %s critical=%v reason %q (err %v); want %s critical=%v reason %q",
					got.Classification, got.Critical, got.Reason, got.Err, tc.want, tc.critical, tc.reason)
			}
		})
	}
}

func TestPreprocess(t *testing.T) {
	nan := math.NaN()
	vals := []float64{1, nan, 2, 3, 2, 1, 2, 3, 2, 1000, nan}
	s := DefaultMetricSettings()
	if got := Preprocess(vals, s); len(got) != 9 || got[8] != 1000 {
		t.Errorf("remove, keep outliers: %v", got)
	}
	s.NaNStrategy = NaNReplace
	if got := Preprocess(vals, s); len(got) != 11 || got[1] != 0 || got[10] != 0 {
		t.Errorf("replace: %v", got)
	}
	s.Outliers.Strategy = OutliersRemove
	got := Preprocess(vals, s)
	for _, v := range got {
		if v == 1000 {
			t.Errorf("outlier 1000 kept: %v", got)
		}
	}
	if len(got) != 10 {
		t.Errorf("replace + remove outliers: %v", got)
	}
}
