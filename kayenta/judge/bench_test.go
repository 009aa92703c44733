package judge

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// benchInput builds a config with `metrics` metrics and one pair per metric with
// `points` points per side: a mix of continuous data with and without a shift,
// Poisson counts (heavy ties), zero-inflated error counts and a few NaNs, with
// a fixed seed.
func benchInput(metrics, points int) (*CanaryConfig, []MetricSetPair) {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := &CanaryConfig{GroupWeights: map[string]float64{"latency": 50, "errors": 30}}
	pairs := make([]MetricSetPair, metrics)
	for i := range pairs {
		name := fmt.Sprintf("metric-%04d", i)
		s := DefaultMetricSettings()
		group := []string{"latency", "errors", "system"}[i%3]
		if i%5 == 0 {
			s.Outliers.Strategy = OutliersRemove
		}
		if i%7 == 0 {
			s.EffectSize = defaultEffectSize(CLESMeasure)
		}
		cfg.Metrics = append(cfg.Metrics, CanaryMetricConfig{Name: name, Groups: []string{group}, Settings: s})
		shift := []float64{0, 0, 0.02, 0.1, -0.05}[i%5]
		gen := func(shift float64) []float64 {
			v := make([]float64, points)
			for k := range v {
				switch i % 4 {
				case 0, 1:
					v[k] = 100 * (1 + shift) * math.Exp(0.2*rng.NormFloat64())
				case 2:
					v[k] = float64(poisson(rng, 4*(1+shift)))
				default:
					if rng.Float64() < 0.8 {
						v[k] = 0
					} else {
						v[k] = rng.ExpFloat64() * (1 + shift)
					}
				}
				if rng.Float64() < 0.01 {
					v[k] = math.NaN()
				}
			}
			return v
		}
		pairs[i] = MetricSetPair{Name: name, ID: fmt.Sprint(i), Values: PairValues{Control: gen(0), Experiment: gen(shift)}}
	}
	return cfg, pairs
}

func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// BenchmarkJudge1000x1000 judges 1,000 metric pairs of 1,000 points per side.
func BenchmarkJudge1000x1000(b *testing.B) {
	cfg, pairs := benchInput(1000, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Judge(cfg, pairs, Thresholds{Pass: 95, Marginal: 75}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "µs/pair")
}

// BenchmarkMannWhitney1000 is one test on 1,000 + 1,000 continuous points, the
// figure to compare with hack/judge/bench-r.sh.
func BenchmarkMannWhitney1000(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := make([]float64, 1000), make([]float64, 1000)
	for i := range x {
		x[i] = rng.NormFloat64() + 0.1
		y[i] = rng.NormFloat64()
	}
	var w mwWorkspace
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.test(x, y, DefaultConfLevel); err != nil {
			b.Fatal(err)
		}
	}
}

// TestJudgeAllocationsDoNotGrowWithPoints checks that buffers are reused: 20
// times more points per pair may only cost the few reallocations of the
// workspace buffers, never allocations per point.
func TestJudgeAllocationsDoNotGrowWithPoints(t *testing.T) {
	const metrics = 40
	count := func(points int) float64 {
		rng := rand.New(rand.NewPCG(9, 10))
		cfg := &CanaryConfig{}
		var pairs []MetricSetPair
		for i := 0; i < metrics; i++ {
			name := fmt.Sprintf("m%d", i)
			s := DefaultMetricSettings()
			if i%2 == 0 {
				s.Outliers.Strategy = OutliersRemove
			}
			cfg.Metrics = append(cfg.Metrics, CanaryMetricConfig{Name: name, Groups: []string{"g"}, Settings: s})
			pv := PairValues{Control: make([]float64, points), Experiment: make([]float64, points)}
			for k := 0; k < points; k++ {
				pv.Control[k] = 100 + rng.NormFloat64()
				pv.Experiment[k] = 200 + rng.NormFloat64() // always High
				if i%3 == 0 {
					pv.Control[k] = math.Round(pv.Control[k]) // ties
				}
			}
			pairs = append(pairs, MetricSetPair{Name: name, Values: pv})
		}
		return testing.AllocsPerRun(3, func() {
			if _, err := Judge(cfg, pairs, Thresholds{Pass: 95, Marginal: 75}); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := count(100), count(2000)
	t.Logf("allocations per judgement of %d pairs: %v (100 points), %v (2000 points)", metrics, small, large)
	if large > small+16 {
		t.Errorf("allocations grow with points: %v for 100 points, %v for 2000", small, large)
	}
	if large > 4*metrics {
		t.Errorf("%v allocations for %d metrics", large, metrics)
	}
}
