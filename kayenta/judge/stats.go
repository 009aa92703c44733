package judge

import (
	"math"
	"slices"
)

// Stats are the descriptive statistics Kayenta reports for each side of a metric
// (experimentMetadata.stats / controlMetadata.stats), computed after preprocessing.
type Stats struct {
	Min   Float `json:"min"`
	Max   Float `json:"max"`
	Mean  Float `json:"mean"`
	Std   Float `json:"std"` // sample standard deviation (n-1)
	Count int   `json:"count"`
}

// Summarize returns Kayenta's summary statistics of values. An empty slice gives
// all zeros. Mean and variance follow Apache Commons Math (two-pass, corrected),
// as Kayenta's DescriptiveStatistics does.
func Summarize(values []float64) Stats {
	if len(values) == 0 {
		return Stats{}
	}
	lo, hi := values[0], values[0]
	for _, v := range values[1:] {
		// Commons Math Min/Max: NaN never replaces a value (not reached after preprocessing).
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return Stats{
		Min:   Float(lo),
		Max:   Float(hi),
		Mean:  Float(Mean(values)),
		Std:   Float(math.Sqrt(Variance(values))),
		Count: len(values),
	}
}

// Mean is Commons Math's Mean: sum/n plus a second-pass correction. NaN if empty.
func Mean(values []float64) float64 {
	n := float64(len(values))
	if len(values) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, v := range values {
		sum += v
	}
	xbar := sum / n
	var corr float64
	for _, v := range values {
		corr += v - xbar
	}
	return xbar + corr/n
}

// Variance is Commons Math's bias-corrected variance (n-1): 0 for one value,
// NaN for none.
func Variance(values []float64) float64 {
	switch len(values) {
	case 0:
		return math.NaN()
	case 1:
		return 0
	}
	m := Mean(values)
	var accum, accum2 float64
	for _, v := range values {
		dev := v - m
		accum += float64(dev * dev) // float64(): no fused multiply-add, as in Java
		accum2 += dev
	}
	n := float64(len(values))
	return (accum - float64(accum2*accum2)/n) / (n - 1)
}

// Percentile returns the p-th percentile (0 < p <= 100) of values with the R-7
// (linear interpolation) estimator of Apache Commons Math, as Kayenta uses. It is
// NaN for an empty slice. values need not be sorted.
func Percentile(values []float64, p float64) float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	return percentileSorted(s, p)
}

// percentileSorted is Percentile on an ascending slice.
func percentileSorted(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	q := p / 100
	var pos float64
	switch q {
	case 0:
		pos = 0
	case 1:
		pos = float64(n)
	default:
		pos = 1 + float64(float64(n-1)*q)
	}
	fpos := math.Floor(pos)
	dif := pos - fpos
	if pos < 1 {
		return sorted[0]
	}
	if pos >= float64(n) {
		return sorted[n-1]
	}
	i := int(fpos)
	lower, upper := sorted[i-1], sorted[i]
	return lower + float64(dif*(upper-lower))
}

// MeanRatio is Kayenta's mean-ratio effect size mean(experiment)/mean(control);
// NaN when either mean is 0 or either side is empty.
func MeanRatio(control, experiment []float64) float64 {
	if len(control) == 0 || len(experiment) == 0 {
		return math.NaN()
	}
	c, e := Mean(control), Mean(experiment)
	if c == 0 || e == 0 {
		return math.NaN()
	}
	return e / c
}

// CLES is the common-language effect size (2·R1 − m(m+1)) / (2nm), where R1 is the
// experiment's rank sum over the pooled average ranks, m = len(experiment) and
// n = len(control). It is 0.5 when the samples are identical, 1 when every
// experiment value is larger. NaN if either side is empty or holds NaN.
func CLES(control, experiment []float64) float64 {
	if len(control) == 0 || len(experiment) == 0 || hasNaN(control) || hasNaN(experiment) {
		return math.NaN()
	}
	var w mwWorkspace
	w.load(experiment, control)
	r := w.rankStats(0)
	return clesFromRanks(r.twiceRankSumX, len(experiment), len(control))
}

func clesFromRanks(twiceR1 int64, m, n int) float64 {
	mf, nf := float64(m), float64(n)
	return (float64(twiceR1) - mf*(mf+1)) / (2 * nf * mf)
}

// CohenD is Cohen's d with the pooled sample standard deviation,
// |mean(control) − mean(experiment)| / s_pooled (Kayenta's EffectSizes.cohenD).
func CohenD(control, experiment []float64) float64 {
	n1, n2 := float64(len(control)), float64(len(experiment))
	pooled := math.Sqrt((float64((n1-1)*Variance(control)) + float64((n2-1)*Variance(experiment))) / (n1 + n2 - 2))
	return math.Abs(Mean(control)-Mean(experiment)) / pooled
}

func hasNaN(v []float64) bool {
	for _, x := range v {
		if x != x {
			return true
		}
	}
	return false
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
