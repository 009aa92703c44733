package judge

import (
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCanaryConfigDefaults(t *testing.T) {
	cfg, err := ParseCanaryConfig([]byte(`{
		"name": "c", "judge": {"name": "NetflixACAJudge-v1.0"},
		"metrics": [
			{"name": "plain", "query": {"type": "prometheus", "metricName": "x"}, "groups": ["a"]},
			{"name": "cles", "groups": ["a", "b"], "scopeName": "default", "analysisConfigurations": {"canary": {
				"direction": "decrease", "nanStrategy": "replace", "critical": true, "mustHaveData": true, "muted": true,
				"effectSize": {"measure": "cles", "allowedIncrease": 0.7, "criticalDecrease": 0.2},
				"outliers": {"strategy": "remove", "outlierFactor": 1.5}}}},
			{"name": "ratio", "groups": ["b"], "analysisConfigurations": {"canary": {"effectSize": {"allowedIncrease": 2}}}}
		],
		"classifier": {"groupWeights": {"a": 70, "b": 30}, "scoreThresholds": {"pass": 90, "marginal": 50}}
	}`), "cfg.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JudgeName != JudgeName || cfg.GroupWeights["a"] != 70 || cfg.ScoreThresholds == nil || cfg.ScoreThresholds.Pass != 90 {
		t.Errorf("top level: %+v", cfg)
	}
	if got, want := cfg.Metrics[0].Settings, DefaultMetricSettings(); got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	if string(cfg.Metrics[0].Query) != `{"metricName":"x","type":"prometheus"}` {
		t.Errorf("query = %s", cfg.Metrics[0].Query)
	}
	want := MetricSettings{
		Direction: Decrease, NaNStrategy: NaNReplace, Critical: true, MustHaveData: true, Muted: true,
		EffectSize: EffectSizeSettings{Measure: CLESMeasure, AllowedIncrease: 0.7, AllowedDecrease: 0.5, CriticalIncrease: 0.5, CriticalDecrease: 0.2},
		Outliers:   OutlierSettings{Strategy: OutliersRemove, Factor: 1.5},
	}
	if got := cfg.Metrics[1].Settings; got != want {
		t.Errorf("cles settings = %+v, want %+v", got, want)
	}
	if es := cfg.Metrics[2].Settings.EffectSize; es.AllowedIncrease != 2 || es.AllowedDecrease != 1 || es.Measure != MeanRatioMeasure {
		t.Errorf("ratio effect size = %+v", es)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("unexpected warnings %q", cfg.Warnings)
	}
}

func TestParseCanaryConfigWarnings(t *testing.T) {
	cfg, err := ParseCanaryConfig([]byte(`{"metrics": [
		{"name": "m", "analysisConfigurations": {"canary": {"direction": "up", "nanStrategy": "none", "nanStrateg": "x",
			"effectSize": {"measure": "cohen"}, "outliers": {"strategy": "drop"}}}}]}`), "cfg.json")
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Metrics[0].Settings
	if s != DefaultMetricSettings() {
		t.Errorf("unknown values must fall back to the defaults: %+v", s)
	}
	all := strings.Join(cfg.Warnings, "\n")
	for _, want := range []string{
		`metrics[0] ("m") has no groups`,
		`metrics[0].analysisConfigurations.canary: unknown key "nanStrateg" ignored`,
		`canary.direction: unknown value "up" treated as "either"`,
		`canary.nanStrategy: unknown value "none" treated as "remove"`,
		`canary.effectSize.measure: unknown value "cohen" treated as "meanRatio"`,
		`canary.outliers.strategy: unknown value "drop" treated as "keep"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
}

func TestParseCanaryConfigErrors(t *testing.T) {
	tests := []struct {
		name, json string
		want       []string
	}{
		{"empty file", "  \n", []string{"cfg.json: the file is empty; want a JSON object"}},
		{"syntax", "{\n  \"metrics\": [,]\n}", []string{"cfg.json:2:15: invalid JSON: invalid character ','"}},
		{"trailing data", `{"metrics":[{"name":"a"}]} x`, []string{"cfg.json:1:28: invalid JSON: unexpected data after the top-level JSON value"}},
		{"not an object", `[1]`, []string{"cfg.json: want a JSON object (a Kayenta canary config), got an array"}},
		{"no metrics", `{"name":"x"}`, []string{"cfg.json: metrics: missing; a canary config must have at least one metric"}},
		{"empty metrics", `{"metrics":[]}`, []string{"cfg.json: metrics: empty"}},
		{"metrics not array", `{"metrics":{}}`, []string{"cfg.json: metrics: want an array of metric configs, got an object"}},
		{"bad metric entries", `{"metrics":[7, {"name":""}, {"name":5}, {"name":"a"}, {"name":"a"}]}`, []string{
			"cfg.json: metrics[0]: want a metric config object, got 7",
			"cfg.json: metrics[1].name: empty; every metric needs a name",
			"cfg.json: metrics[2].name: want a non-empty string, got 5",
			`cfg.json: metrics[4].name: "a" is duplicated (metrics[3]); metric names must be unique`,
		}},
		{"bad types in canary", `{"metrics":[{"name":"a","groups":"g","analysisConfigurations":{"canary":{
			"critical":"true","mustHaveData":1,"direction":3,
			"effectSize":{"allowedIncrease":"lots","criticalIncrease":[1]},
			"outliers":{"outlierFactor":0}}}}]}`, []string{
			"cfg.json: metrics[0].groups: want an array of group names, got \"g\"",
			`cfg.json: metrics[0].analysisConfigurations.canary.direction: want a string, got 3`,
			`cfg.json: metrics[0].analysisConfigurations.canary.critical: want true or false (a JSON boolean), got "true"`,
			`cfg.json: metrics[0].analysisConfigurations.canary.mustHaveData: want true or false (a JSON boolean), got 1`,
			`cfg.json: metrics[0].analysisConfigurations.canary.effectSize.allowedIncrease: want a number, got "lots"`,
			`cfg.json: metrics[0].analysisConfigurations.canary.effectSize.criticalIncrease: want a number, got an array`,
			`cfg.json: metrics[0].analysisConfigurations.canary.outliers.outlierFactor: must be greater than 0, got 0`,
		}},
		{"bad classifier", `{"metrics":[{"name":"a"}],"classifier":{"groupWeights":{"g":"x"},"scoreThresholds":{"pass":true}}}`, []string{
			`cfg.json: classifier.groupWeights.g: want a number, got "x"`,
			`cfg.json: classifier.scoreThresholds.pass: want a number, got true`,
		}},
		{"non-finite numbers", `{"metrics":[{"name":"a","analysisConfigurations":{"canary":{"effectSize":{"allowedIncrease":1e999,"allowedDecrease":"NaN"}}}}]}`, []string{
			`cfg.json: metrics[0].analysisConfigurations.canary.effectSize.allowedIncrease: want a finite number, got 1e999`,
			`cfg.json: metrics[0].analysisConfigurations.canary.effectSize.allowedDecrease: want a finite number, got "NaN"`,
		}},
		{"bad nested object", `{"metrics":[{"name":"a","analysisConfigurations":[]}]}`, []string{
			"cfg.json: metrics[0].analysisConfigurations: want an object, got an array",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCanaryConfig([]byte(tc.json), "cfg.json")
			if err == nil {
				t.Fatal("no error")
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Errorf("error %T is not a *LoadError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tc.want) {
				t.Errorf("want %d problem lines, got %d:\n%v", len(tc.want), n, err)
			}
		})
	}
}

func TestParseMetricSetPairList(t *testing.T) {
	pairs, err := ParseMetricSetPairList([]byte(`[
		{"name": "m", "id": "i", "tags": {"k": "v"},
		 "values": {"control": [1, 2.5e3, "NaN", null, "Infinity", "-Inf", "+Inf", -0, "7.5", 1e999],
		            "experiment": []},
		 "scopes": {"control": {"stepMillis": 60000}}, "attributes": {"control": {"query": "q"}}},
		{"name": "n", "values": {"control": [ ], "experiment": [ 3 , 4 ]}}
	]`), "pairs.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 {
		t.Fatalf("got %d pairs", len(pairs))
	}
	c := pairs[0].Values.Control
	inf := math.Inf(1)
	want := []float64{1, 2500, math.NaN(), math.NaN(), inf, -inf, inf, 0, 7.5, inf}
	if len(c) != len(want) {
		t.Fatalf("control = %v", c)
	}
	for i := range want {
		if !(c[i] == want[i] || math.IsNaN(c[i]) && math.IsNaN(want[i])) {
			t.Errorf("control[%d] = %v, want %v", i, c[i], want[i])
		}
	}
	if pairs[0].ID != "i" || pairs[0].Tags["k"] != "v" || string(pairs[0].Scopes) == "" || len(pairs[0].Values.Experiment) != 0 {
		t.Errorf("pair 0 = %+v", pairs[0])
	}
	if pairs[1].Tags != nil || len(pairs[1].Values.Experiment) != 2 {
		t.Errorf("pair 1 = %+v", pairs[1])
	}

	// Marshal writes NaN as Kayenta does and reads back the same.
	b, err := json.Marshal(pairs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"control":[1.0,2500.0,"NaN","NaN","Infinity","-Infinity","Infinity",-0.0,7.5,"Infinity"],"experiment":[]`) {
		t.Errorf("marshal: %s", b)
	}
	var back []MetricSetPair
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back[0].Values.Control) != 10 || !math.IsNaN(back[0].Values.Control[2]) {
		t.Errorf("round trip: %+v", back[0].Values)
	}
}

func TestParseMetricSetPairListErrors(t *testing.T) {
	tests := []struct {
		name, json string
		want       []string
	}{
		{"empty", "", []string{"pairs.json: the file is empty; want a JSON array of metric set pairs"}},
		{"object", `{"name":"m"}`, []string{"pairs.json:1:1: want a JSON array of metric set pairs, got a JSON object"}},
		{"syntax", "[\n {\"name\": \"m\",}\n]", []string{"pairs.json:2:15: invalid JSON"}},
		{"bad value", `[{"name":"a","values":{"control":[1],"experiment":[1]}},{"name":"b","values":{"control":[1],"experiment":[1]}},{"name":"c","values":{"control":[1],"experiment":[1]}},
			{"name":"m","values":{"control":[0,1,2,3,4,5,6,"abc"],"experiment":[1]}}]`,
			[]string{`pairs.json: [3].values.control[7]: want a number or "NaN", got "abc"`}},
		{"nested and bool values", `[{"name":"m","values":{"control":[[1]],"experiment":[1, true]}}]`, []string{
			`pairs.json: [0].values.control[0]: want a number or "NaN", got an array`,
			`pairs.json: [0].values.experiment[1]: want a number or "NaN", got true`,
		}},
		{"missing parts", `[{"values":{"control":[]}}, 5, {"name":"x","values":[1]}, {"name":"y"}]`, []string{
			"pairs.json: [0].name: missing; every pair needs the name of its metric",
			"pairs.json: [0].values.experiment: missing; want an array of numbers (use [] for no data)",
			"pairs.json: [1]: want a metric set pair object, got 5",
			`pairs.json: [2].values: want {"control": […], "experiment": […]}, got an array`,
			`pairs.json: [3].values: missing; want {"control": […], "experiment": […]}`,
		}},
		{"bad name id tags", `[{"name":3,"id":4,"tags":{"k":1},"values":{"control":{},"experiment":"x"}}]`, []string{
			"pairs.json: [0].name: want a string, got 3",
			"pairs.json: [0].id: want a string, got 4",
			"pairs.json: [0].tags.k: want a string, got 1",
			"pairs.json: [0].values.control: want an array of numbers, got an object",
			`pairs.json: [0].values.experiment: want an array of numbers, got "x"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMetricSetPairList([]byte(tc.json), "pairs.json")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tc.want) {
				t.Errorf("want %d problem lines, got %d:\n%v", len(tc.want), n, err)
			}
		})
	}
}

func TestLoadErrorCap(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("[")
	for i := 0; i < 30; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"name":"m","values":{"control":["x"],"experiment":[]}}`)
	}
	sb.WriteString("]")
	_, err := ParseMetricSetPairList([]byte(sb.String()), "p.json")
	var le *LoadError
	if !errors.As(err, &le) || len(le.Problems) != maxProblems || le.Omitted != 10 {
		t.Fatalf("err = %v", err)
	}
	if !strings.HasSuffix(err.Error(), "p.json: … and 10 more problems") {
		t.Errorf("error tail: %q", err.Error()[len(err.Error())-60:])
	}
}

func TestLoadFiles(t *testing.T) {
	if _, err := LoadCanaryConfigFile(filepath.Join("testdata", "nope.json")); err == nil || !strings.Contains(err.Error(), "reading canary config") {
		t.Errorf("missing config: %v", err)
	}
	if _, err := LoadMetricSetPairListFile(filepath.Join("testdata", "nope.json")); err == nil || !strings.Contains(err.Error(), "reading metric set pairs") {
		t.Errorf("missing pairs: %v", err)
	}
	// A canary config is not a pair list: the error names the file.
	_, err := LoadMetricSetPairListFile(filepath.Join("testdata", "judge", "canary-config.json"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join("testdata", "judge", "canary-config.json")+":1:1: want a JSON array") {
		t.Errorf("config as pairs: %v", err)
	}
}
