package judge

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestMannWhitneyErrors(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		conf float64
		want string
	}{
		{"empty x", nil, []float64{1}, 0.98, "not enough (non-missing) 'x' observations"},
		{"empty y", []float64{1}, nil, 0.98, "not enough 'y' observations"},
		{"bad conf", []float64{1}, []float64{2}, 1, "conf.level must be"},
		{"NaN", []float64{1, math.NaN()}, []float64{2}, 0.98, "NaN or infinite"},
		{"Inf", []float64{1}, []float64{2, math.Inf(1)}, 0.98, "NaN or infinite"},
		{"all tied", []float64{2, 2}, []float64{1, 1, 1}, 0.98, ErrAllTied.Error()},
		{"overflowing interval", []float64{1.5e308, -1.5e308}, []float64{1.5e308, 0}, 0.98, "not finite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MannWhitney(tc.x, tc.y, tc.conf)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := MannWhitney([]float64{3, 3}, []float64{1, 1}, 0.98); !errors.Is(err, ErrAllTied) {
		t.Errorf("both constant: %v", err)
	}
}

func TestMannWhitneyEndpointShortcut(t *testing.T) {
	// R: wilcox.test(1, 2:60, conf.int=TRUE, exact=FALSE)$conf.int is c(mumin, mumax)
	// because the statistic never crosses the quantiles: the interval is the
	// whole search range.
	y := make([]float64, 59)
	for i := range y {
		y[i] = float64(i + 2)
	}
	r, err := MannWhitney([]float64{1}, y, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lower != 1-60 || r.Upper != 1-2 {
		t.Errorf("CI = [%v, %v], want [-59, -1]", r.Lower, r.Upper)
	}
}

func TestMannWhitneyReusesBuffers(t *testing.T) {
	var w mwWorkspace
	x := []float64{5, 1, 4, 2, 3, 9, 7}
	y := []float64{2, 2, 1, 0, 3}
	first, err := w.test(x, y, 0.98)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.test([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, []float64{10, 11}, 0.98); err != nil {
		t.Fatal(err)
	}
	again, err := w.test(x, y, 0.98)
	if err != nil || again != first {
		t.Errorf("reused workspace: %+v vs %+v (%v)", again, first, err)
	}
	if x[0] != 5 || y[0] != 2 {
		t.Error("inputs were modified")
	}
	allocs := testing.AllocsPerRun(20, func() { w.test(x, y, 0.98) })
	if allocs != 0 {
		t.Errorf("a warm test allocates %v times", allocs)
	}
}

// TestRankStatsPathsAgree checks the branch-free merge against the exact
// run-grouping merge on many samples and shifts, including ties that only
// appear after subtracting d.
func TestRankStatsPathsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	gens := []func() float64{
		func() float64 { return rng.NormFloat64() },
		func() float64 { return math.Round(rng.NormFloat64()*4) / 4 },
		func() float64 { return float64(rng.IntN(3)) },
		func() float64 { return 1e16 + float64(rng.IntN(64)) }, // spacing 2: x - d collides
		func() float64 { return rng.ExpFloat64() * 1e-300 },
	}
	var w mwWorkspace
	fast := 0
	for trial := 0; trial < 400; trial++ {
		g := gens[trial%len(gens)]
		x := make([]float64, 1+rng.IntN(60))
		y := make([]float64, 1+rng.IntN(60))
		for i := range x {
			x[i] = g()
		}
		for i := range y {
			y[i] = g()
		}
		w.load(x, y)
		for k := 0; k < 10; k++ {
			var d float64
			switch k % 3 {
			case 0:
				d = x[rng.IntN(len(x))] - y[rng.IntN(len(y))] // lands on ties
			case 1:
				d = (rng.Float64() - 0.5) * 4 * (math.Abs(x[0]) + 1)
			default:
				d = 0.3
			}
			got := w.rankStats(d)
			want := w.rankStatsRuns(d)
			if got != want {
				t.Fatalf("x=%v y=%v d=%v: rankStats %+v, runs %+v", x, y, d, got, want)
			}
			if len(w.xv) == len(w.xs) {
				fast++
			}
		}
	}
	if fast < 1000 {
		t.Errorf("the fast path was tried only %d times", fast)
	}
}
