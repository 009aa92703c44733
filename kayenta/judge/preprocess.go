package judge

import (
	"math"
	"slices"
)

// RemoveNaNs returns the values that are not NaN, in order (nanStrategy "remove").
func RemoveNaNs(values []float64) []float64 {
	return appendWithoutNaNs(make([]float64, 0, len(values)), values)
}

// ReplaceNaNs returns values with every NaN replaced by 0 (nanStrategy "replace").
func ReplaceNaNs(values []float64) []float64 {
	return appendReplacingNaNs(make([]float64, 0, len(values)), values)
}

func appendWithoutNaNs(dst, values []float64) []float64 {
	for _, v := range values {
		if v == v {
			dst = append(dst, v)
		}
	}
	return dst
}

func appendReplacingNaNs(dst, values []float64) []float64 {
	for _, v := range values {
		if v != v {
			v = 0
		}
		dst = append(dst, v)
	}
	return dst
}

// OutlierDetector marks outliers in a sample; the mask is parallel to values.
type OutlierDetector interface {
	Detect(values []float64) []bool
}

// IQRDetector is Kayenta's interquartile-range outlier detector. A value is an
// outlier when it lies outside [Q1 − Factor·IQR, Q3 + Factor·IQR]; with
// ReduceSensitivity the fences widen to [min(P1, Q1 − Factor·IQR),
// max(P99, Q3 + Factor·IQR)]. Percentiles use the R-7 estimator. The judge uses
// Factor = outliers.outlierFactor (default 3) and ReduceSensitivity = true.
type IQRDetector struct {
	Factor            float64
	ReduceSensitivity bool
}

// Detect implements OutlierDetector.
func (d IQRDetector) Detect(values []float64) []bool {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	lo, hi := d.fences(sorted)
	mask := make([]bool, len(values))
	for i, v := range values {
		mask[i] = v < lo || v > hi
	}
	return mask
}

// fences returns the lower and upper fence for an ascending sample (NaN, NaN when
// empty, which marks nothing).
func (d IQRDetector) fences(sorted []float64) (lo, hi float64) {
	p75 := percentileSorted(sorted, 75)
	p25 := percentileSorted(sorted, 25)
	iqr := p75 - p25
	lo = p25 - float64(d.Factor*iqr)
	hi = p75 + float64(d.Factor*iqr)
	if d.ReduceSensitivity {
		lo = math.Min(percentileSorted(sorted, 1), lo)
		hi = math.Max(percentileSorted(sorted, 99), hi)
	}
	return lo, hi
}

// KSigmaDetector marks values more than K population standard deviations away
// from the mean. Kayenta ships it but the judge does not use it.
type KSigmaDetector struct {
	K float64
}

// Detect implements OutlierDetector.
func (d KSigmaDetector) Detect(values []float64) []bool {
	mask := make([]bool, len(values))
	if len(values) == 0 {
		return mask
	}
	m := Mean(values)
	var accum, accum2 float64
	for _, v := range values {
		dev := v - m
		accum += float64(dev * dev)
		accum2 += dev
	}
	n := float64(len(values))
	sd := math.Sqrt((accum - float64(accum2*accum2)/n) / n)
	for i, v := range values {
		mask[i] = math.Abs(v-m) > float64(d.K*sd)
	}
	return mask
}

// RemoveOutliers returns the values that det does not mark, in order.
func RemoveOutliers(values []float64, det OutlierDetector) []float64 {
	mask := det.Detect(values)
	out := make([]float64, 0, len(values))
	for i, v := range values {
		if !mask[i] {
			out = append(out, v)
		}
	}
	return out
}

// Preprocess applies a metric's preprocessing to one side, as NetflixACAJudge
// does before computing statistics: NaNs are removed or replaced with 0 per
// nanStrategy, then, when outliers.strategy is "remove", IQR outliers
// (reduced sensitivity, factor outliers.outlierFactor) are dropped.
func Preprocess(values []float64, s MetricSettings) []float64 {
	var p preprocessor
	return slices.Clone(p.run(nil, values, s))
}

// preprocessor reuses its buffers across calls.
type preprocessor struct {
	sorted []float64
	sorter radixSorter
}

// run writes the preprocessed values into dst[:0] and returns it.
func (p *preprocessor) run(dst, values []float64, s MetricSettings) []float64 {
	dst = growFloats(dst, len(values))
	if s.NaNStrategy == NaNReplace {
		dst = appendReplacingNaNs(dst, values)
	} else {
		dst = appendWithoutNaNs(dst, values)
	}
	if s.Outliers.Strategy != OutliersRemove || len(dst) == 0 {
		return dst
	}
	p.sorted = append(growFloats(p.sorted, len(dst)), dst...)
	p.sorter.sort(p.sorted)
	lo, hi := IQRDetector{Factor: s.Outliers.Factor, ReduceSensitivity: true}.fences(p.sorted)
	kept := dst[:0]
	for _, v := range dst {
		if !(v < lo || v > hi) {
			kept = append(kept, v)
		}
	}
	return kept
}
