package judge

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets run as ordinary tests on their seed corpus; run them with
// e.g. go test -run '^$' -fuzz FuzzClassify -fuzztime 30s ./kayenta/judge.

// fuzzFloats turns bytes into samples. In raw mode each 8 bytes are the bits
// of a float64 (NaN, ±Inf, subnormals, huge values); otherwise each byte is a
// small value, which gives heavy ties, zeros and constants.
func fuzzFloats(data []byte, raw bool) []float64 {
	var out []float64
	if raw {
		for len(data) >= 8 {
			out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(data)))
			data = data[8:]
		}
		return out
	}
	for _, b := range data {
		switch {
		case b == 255:
			out = append(out, math.NaN())
		case b == 254:
			out = append(out, math.Inf(1))
		case b >= 200:
			out = append(out, float64(b)*1e300)
		default:
			out = append(out, float64(b%16)/4)
		}
	}
	return out
}

func floatBytes(vs ...float64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return b
}

func fuzzSettings(flags uint8, a, b float64) MetricSettings {
	s := DefaultMetricSettings()
	s.Direction = []Direction{Either, Increase, Decrease, "bogus"}[flags&3]
	if flags&4 != 0 {
		s.NaNStrategy = NaNReplace
	}
	s.Critical = flags&8 != 0
	s.MustHaveData = flags&16 != 0
	if flags&32 != 0 {
		s.EffectSize = defaultEffectSize(CLESMeasure)
	}
	if flags&64 != 0 {
		s.Outliers = OutlierSettings{Strategy: OutliersRemove, Factor: math.Abs(a) + 0.1}
	}
	s.Muted = flags&128 != 0
	s.EffectSize.AllowedIncrease, s.EffectSize.CriticalDecrease = a, b
	return s
}

func FuzzClassify(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, uint16(5), uint8(0), false, 1.0, 1.0)
	f.Add([]byte{1, 1, 1, 1, 9, 9, 9, 9}, uint16(4), uint8(8), false, 1.0, 1.0)             // both constant: noise
	f.Add([]byte{0, 0, 0, 0, 0, 0, 4, 8, 4, 0, 0, 0}, uint16(6), uint8(0), false, 1.0, 1.0) // zeros vs sparse errors
	f.Add([]byte{255, 255, 255, 1, 2, 3}, uint16(3), uint8(16), false, 1.0, 1.0)            // all-NaN control
	f.Add([]byte{255, 255, 1, 2}, uint16(2), uint8(4), false, 1.0, 1.0)                     // NaN replaced by 0
	f.Add([]byte{254, 1, 2, 3, 4, 5}, uint16(3), uint8(0), false, 1.0, 1.0)                 // +Inf
	f.Add([]byte{250, 251, 1, 2, 3, 4}, uint16(2), uint8(64), false, 1.0, 1.0)              // huge values, outliers removed
	f.Add([]byte{}, uint16(0), uint8(8), false, 1.0, 1.0)                                   // empty
	f.Add([]byte{3, 3, 3}, uint16(1), uint8(0), false, 1.0, 1.0)                            // all tied
	f.Add(floatBytes(1, 2, 3, math.Inf(-1), 5, 6), uint16(3), uint8(0), true, 1.0, 1.0)
	f.Add(floatBytes(math.MaxFloat64, -math.MaxFloat64, 1, 2), uint16(2), uint8(0), true, 1.0, 1.0)
	f.Add(floatBytes(5e-324, 0, math.Copysign(0, -1), 1e-320), uint16(2), uint8(32), true, math.NaN(), math.Inf(1))
	f.Add(floatBytes(0, 0, 0, math.Copysign(0, -1), math.Copysign(0, -1)), uint16(3), uint8(0), true, 1.0, 1.0)
	f.Add(floatBytes(1e15, 1e15+1, 1e15+2, 1, 1, 1), uint16(3), uint8(3), true, 0.5, 2.0)

	c := NewClassifier()
	f.Fuzz(func(t *testing.T, data []byte, split uint16, flags uint8, raw bool, a, b float64) {
		vals := fuzzFloats(data, raw)
		k := int(split) % (len(vals) + 1)
		ctrl, exp := vals[:k], vals[k:]
		s := fuzzSettings(flags, a, b)

		// The classifier alone, on raw values (NaN and Inf included).
		got := c.Classify("m", ctrl, exp, s)
		checkClassification(t, got, s)
		again := c.Classify("m", ctrl, exp, s)
		if !sameClassification(got, again) {
			t.Fatalf("not deterministic: %+v then %+v", got, again)
		}

		// The whole judge, with preprocessing and JSON output.
		cfg := &CanaryConfig{Metrics: []CanaryMetricConfig{{Name: "m", Groups: []string{"g"}, Settings: s}}}
		res, err := Judge(cfg, []MetricSetPair{{Name: "m", Values: PairValues{Control: ctrl, Experiment: exp}}}, Thresholds{Pass: 95, Marginal: 75})
		if err != nil {
			t.Fatal(err)
		}
		r := res.Results[0]
		if !r.Classification.Valid() {
			t.Fatalf("invalid classification %q", r.Classification)
		}
		if (r.Classification == Error) != r.ResultMetadata.IsZero() {
			t.Fatalf("resultMetadata present=%v for %s", !r.ResultMetadata.IsZero(), r.Classification)
		}
		out, err := json.Marshal(res)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back CanaryJudgeResult
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("unmarshal %s: %v", out, err)
		}
	})
}

func sameClassification(a, b MetricClassification) bool {
	eq := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	return a.Classification == b.Classification && a.Reason == b.Reason && a.Critical == b.Critical &&
		eq(a.Deviation, b.Deviation) && a.TestRan == b.TestRan && eq(a.Test.Lower, b.Test.Lower) &&
		eq(a.Test.Upper, b.Test.Upper) && eq(a.Test.Estimate, b.Test.Estimate) && eq(a.EffectSize, b.EffectSize)
}

func checkClassification(t *testing.T, got MetricClassification, s MetricSettings) {
	t.Helper()
	if !got.Classification.Valid() {
		t.Fatalf("invalid classification %q", got.Classification)
	}
	switch got.Classification {
	case Error:
		if got.Err == nil || got.Critical || got.Reason != "Metric Classification Failed" {
			t.Fatalf("bad Error result %+v", got)
		}
	case High, Low:
		if !got.TestRan || got.Reason == "" {
			t.Fatalf("%s without a test or reason: %+v", got.Classification, got)
		}
		if got.Critical && !s.Critical {
			t.Fatalf("critical %s for a non-critical metric", got.Classification)
		}
		if got.Classification == High && s.Direction == Decrease || got.Classification == Low && s.Direction == Increase {
			t.Fatalf("%s against direction %s", got.Classification, s.Direction)
		}
		if math.IsNaN(got.Test.Lower) || math.IsNaN(got.Test.Upper) || math.IsNaN(got.Test.Estimate) {
			t.Fatalf("NaN in the test result %+v", got.Test)
		}
	case Nodata, NodataFailMetric:
		if !strings.HasPrefix(got.Reason, "Missing data for ") || got.Critical != (got.Classification == Nodata && s.Critical) {
			t.Fatalf("bad %s result %+v", got.Classification, got)
		}
	case Pass:
		if got.Critical {
			t.Fatalf("critical Pass")
		}
	}
}

func FuzzScore(f *testing.F) {
	f.Add([]byte{0, 1, 0, 1, 1, 0, 2, 2, 0}, 50.0, 25.0, 95.0, 75.0)
	f.Add([]byte{3, 7, 1, 3, 7, 0}, 0.0, 0.0, 95.0, 75.0)              // critical nodata
	f.Add([]byte{3, 1, 0, 3, 2, 0, 0, 4, 0}, 100.0, 100.0, 95.0, 75.0) // 2/3 nodata
	f.Add([]byte{5, 1, 2, 1, 1, 2}, -50.0, 1e300, 0.0, 0.0)            // muted only, odd weights
	f.Add([]byte{}, math.NaN(), math.Inf(1), math.NaN(), math.Inf(-1))
	f.Fuzz(func(t *testing.T, data []byte, wa, wb, pass, marginal float64) {
		classes := []Classification{Pass, High, Low, Nodata, NodataFailMetric, Error}
		var in []ScoreInput
		for len(data) >= 3 {
			r := ScoreInput{Classification: classes[int(data[0])%len(classes)], Reason: "r"}
			for i, g := range []string{"a", "b", "c"} {
				if data[1]&(1<<i) != 0 {
					r.Groups = append(r.Groups, g)
				}
			}
			r.Critical = data[2]&1 != 0
			r.Muted = data[2]&2 != 0
			in = append(in, r)
			data = data[3:]
		}
		weights := map[string]float64{}
		if !math.IsNaN(wa) {
			weights["a"] = wa
		}
		if !math.IsNaN(wb) {
			weights["zzz"] = wb
		}
		out := Score(in, weights, Thresholds{Pass: pass, Marginal: marginal})
		switch out.Score.Classification {
		case ScorePass, ScoreMarginal, ScoreFail:
		default:
			t.Fatalf("invalid score classification %q", out.Score.Classification)
		}
		for _, g := range out.GroupScores {
			if g.Score < 0 || g.Score > 100 || g.Classification != "" || g.ClassificationReason != "" {
				t.Fatalf("bad group score %+v", g)
			}
		}
		for _, r := range in {
			if !r.Muted && r.Critical && r.Classification != Pass {
				if out.Score.Score != 0 || !strings.HasPrefix(out.Score.ClassificationReason, "Canary Failed: ") {
					t.Fatalf("critical failure not reported: %+v", out.Score)
				}
			}
		}
		if s := float64(out.Score.Score); !math.IsNaN(s) && !math.IsInf(s, 0) && math.Abs(s) < 1e12 {
			if r := roundHalfUp2(s); r != s {
				t.Fatalf("score %v is not rounded to two decimals", s)
			}
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatal(err)
		}
		if again := Score(in, weights, Thresholds{Pass: pass, Marginal: marginal}); !reflect.DeepEqual(again, out) &&
			!(math.IsNaN(float64(out.Score.Score)) && math.IsNaN(float64(again.Score.Score))) {
			t.Fatalf("not deterministic")
		}
	})
}

func FuzzParseMetricSetPairList(f *testing.F) {
	f.Add([]byte(`[{"name":"m","id":"x","tags":{"a":"b"},"values":{"control":[1,"NaN",null],"experiment":[]}}]`))
	f.Add([]byte(`[{"name":"m","values":{"control":[[1,{"a":"]"}]],"experiment":["\"x\\"]}}]`))
	f.Add([]byte(`[{"values":5}, 3, null, {"name":"m","values":{"control":[1e999,-0,"+Inf"]}}]`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pairs, err := ParseMetricSetPairList(data, "pairs.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "pairs.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if _, err := json.Marshal(pairs); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseCanaryConfig(f *testing.F) {
	f.Add([]byte(`{"metrics":[{"name":"a","groups":["g"],"analysisConfigurations":{"canary":{"direction":"up","critical":true,"effectSize":{"measure":"cles","allowedIncrease":"0.6"},"outliers":{"strategy":"remove","outlierFactor":-1}}}}],"classifier":{"groupWeights":{"g":1e400}}}`))
	f.Add([]byte(`{"metrics":[{"name":"a"},{"name":"a"},1,{"name":null}],"judge":{"name":7}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseCanaryConfig(data, "cfg.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "cfg.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(cfg.Metrics) == 0 {
			t.Fatal("a config without metrics was accepted")
		}
		for _, m := range cfg.Metrics {
			if m.Name == "" || !(m.Settings.Outliers.Factor > 0) {
				t.Fatalf("invalid metric accepted: %+v", m)
			}
		}
	})
}
