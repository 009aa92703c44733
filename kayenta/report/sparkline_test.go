package report

import (
	"math"
	"slices"
	"testing"
	"unicode/utf8"
)

func TestSparkline(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name string
		vals []float64
		want string
	}{
		{"empty", nil, ""},
		{"ramp", []float64{0, 1, 2, 3, 4, 5, 6, 7}, "▁▂▃▄▅▆▇█"},
		{"scaled to own range", []float64{100, 107}, "▁█"},
		{"rounding", []float64{0, 0.5, 1}, "▁▅█"},
		{"constant", []float64{3, 3, 3}, "▄▄▄"},
		{"constant zero", []float64{0, 0}, "▄▄"},
		{"single", []float64{42}, "▄"},
		{"NaN is a space", []float64{0, nan, 7}, "▁ █"},
		{"all NaN", []float64{nan, nan}, "  "},
		{"+Inf top, does not stretch the scale", []float64{0, 7, inf}, "▁██"},
		{"-Inf bottom", []float64{-inf, 0, 7}, "▁▁█"},
		{"only infinities", []float64{inf, -inf, nan}, "█▁ "},
		{"Inf with constant", []float64{1, inf, 1}, "▄█▄"},
		{"negative", []float64{-7, 0}, "▁█"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sparkline(tc.vals, 0); got != tc.want {
				t.Errorf("Sparkline(%v) = %q, want %q", tc.vals, got, tc.want)
			}
		})
	}
}

func TestSparklineWidth(t *testing.T) {
	vals := make([]float64, 100)
	for i := range vals {
		vals[i] = float64(i)
	}
	got := Sparkline(vals, 10)
	if n := utf8.RuneCountInString(got); n != 10 {
		t.Fatalf("width %d, want 10: %q", n, got)
	}
	if got != "▁▂▃▃▄▅▆▆▇█" { // bucket means 4.5, 14.5, … 94.5
		t.Errorf("ramp of 100 in 10 = %q", got)
	}
	// Short series are not stretched.
	if got := Sparkline([]float64{1, 2}, 10); utf8.RuneCountInString(got) != 2 {
		t.Errorf("short series drawn as %q", got)
	}
}

func TestDownsample(t *testing.T) {
	nan := math.NaN()
	got := Downsample([]float64{1, 3, nan, nan, 5, nan}, 3)
	want := []float64{2, nan, 5}
	if !slices.EqualFunc(got, want, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
		t.Errorf("Downsample = %v, want %v", got, want)
	}
	got = Downsample([]float64{math.Inf(1), 1, math.Inf(-1), 1}, 2)
	if !math.IsInf(got[0], 1) || !math.IsInf(got[1], -1) {
		t.Errorf("infinities do not propagate: %v", got)
	}
}

func TestSparklinePairSharedScale(t *testing.T) {
	c, e := SparklinePair([]float64{0, 0, 0}, []float64{7, 7, 7}, 0)
	if c != "▁▁▁" || e != "███" {
		t.Errorf("shared scale: control %q experiment %q", c, e)
	}
	// Alone, each constant series would be drawn at mid height.
	if Sparkline([]float64{7, 7}, 0) != "▄▄" {
		t.Error("constant series alone is not at mid height")
	}
	c, e = SparklinePair([]float64{math.NaN()}, []float64{1, math.Inf(1)}, 0)
	if c != " " || e != "▄█" {
		t.Errorf("NaN/Inf pair: control %q experiment %q", c, e)
	}
}
