package prometheus

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/ctlproject/ctl/kayenta/metrics"
)

func series(labels model.Metric, points ...[2]float64) *model.SampleStream {
	ss := &model.SampleStream{Metric: labels}
	for _, p := range points {
		ss.Values = append(ss.Values, model.SamplePair{Timestamp: model.Time(p[0] * 1000), Value: model.SampleValue(p[1])})
	}
	return ss
}

func TestToMetricSetsGapFill(t *testing.T) {
	s := metrics.Scope{Start: time.Unix(1000, 0), End: time.Unix(1300, 0), Step: 60} // grid 1000..1300: 6 points
	nan := math.NaN()
	m := model.Matrix{
		series(model.Metric{"__name__": "x", "code": "200"}, [2]float64{1000, 1}, [2]float64{1060, 2}, [2]float64{1240, 5}),
		series(model.Metric{"code": "500"}, [2]float64{1300, 9}),
	}
	sets, err := toMetricSets("x", "q", m, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 {
		t.Fatalf("%d sets", len(sets))
	}
	check := func(i int, tags map[string]string, want []float64) {
		t.Helper()
		got := sets[i]
		if got.StartTimeMillis != 1000_000 || got.EndTimeMillis != 1360_000 || got.StepMillis != 60_000 || got.ExpectedDataPoints() != 6 {
			t.Errorf("set %d times = %d..%d step %d", i, got.StartTimeMillis, got.EndTimeMillis, got.StepMillis)
		}
		if len(got.Tags) != len(tags) || got.Tags["code"] != tags["code"] {
			t.Errorf("set %d tags = %v", i, got.Tags)
		}
		if len(got.Values) != len(want) {
			t.Fatalf("set %d values = %v, want %v", i, got.Values, want)
		}
		for k := range want {
			if !(got.Values[k] == want[k] || math.IsNaN(got.Values[k]) && math.IsNaN(want[k])) {
				t.Errorf("set %d values = %v, want %v", i, got.Values, want)
				break
			}
		}
	}
	check(0, map[string]string{"code": "200"}, []float64{1, 2, nan, nan, 5, nan})
	check(1, map[string]string{"code": "500"}, []float64{nan, nan, nan, nan, nan, 9})
}

func TestToMetricSetsShiftedGrid(t *testing.T) {
	// A query frontend aligned the evaluation to multiples of the step
	// (start 1030 → 1020): the grid follows the samples.
	s := metrics.Scope{Start: time.Unix(1030, 0), End: time.Unix(1200, 0), Step: 60}
	m := model.Matrix{
		series(model.Metric{"a": "1"}, [2]float64{1020, 1}, [2]float64{1140, 3}),
		series(model.Metric{"a": "2"}, [2]float64{1080, 2}),
	}
	sets, err := toMetricSets("x", "q", m, s)
	if err != nil {
		t.Fatal(err)
	}
	if sets[0].StartTimeMillis != 1020_000 || len(sets[0].Values) != 4 || sets[0].Values[2] != 3 ||
		sets[1].Values[1] != 2 || !math.IsNaN(sets[1].Values[0]) || sets[1].StartTimeIso != "1970-01-01T00:17:00Z" {
		t.Errorf("sets = %+v", sets)
	}
}

func TestToMetricSetsEmpty(t *testing.T) {
	s := metrics.Scope{Start: time.Unix(1000, 5e8), End: time.Unix(1300, 0), Step: 60}
	for _, m := range []model.Matrix{{}, {&model.SampleStream{Metric: model.Metric{"a": "b"}}}} {
		sets, err := toMetricSets("x", "q", m, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(sets) != 1 {
			t.Fatalf("%d sets", len(sets))
		}
		got := sets[0]
		if got.Name != "x" || len(got.Tags) != 0 || got.Values == nil || len(got.Values) != 0 ||
			got.StartTimeMillis != 1000_500 || got.StartTimeIso != "1970-01-01T00:16:40.500Z" ||
			got.EndTimeMillis != 1300_000 || got.EndTimeIso != "1970-01-01T00:21:40Z" ||
			got.StepMillis != 60_000 || got.Attributes["query"] != "q" || got.ExpectedDataPoints() != 4 {
			t.Errorf("placeholder = %+v", got)
		}
	}
}
