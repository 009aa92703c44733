package report

import (
	"math"
	"strings"
)

// sparkBlocks are the eight levels of a sparkline, lowest first.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// DefaultSparkWidth is the widest sparkline WriteSummary draws; longer series
// are averaged into this many buckets.
const DefaultSparkWidth = 30

// Sparkline draws vals as a line of block characters scaled to their own
// finite minimum and maximum (see SparklinePair for a shared scale). At most
// width characters are drawn (width <= 0 means one per value); longer series
// are averaged bucket by bucket, ignoring NaN. A NaN (or an all-NaN bucket)
// is a space, +Inf the top block and -Inf the bottom one. A constant series
// is drawn at mid height.
func Sparkline(vals []float64, width int) string {
	vals = Downsample(vals, width)
	lo, hi := finiteRange(vals)
	return spark(vals, lo, hi)
}

// SparklinePair draws the control and experiment series on one shared scale
// (the finite range of both), so that their levels can be compared.
func SparklinePair(control, experiment []float64, width int) (string, string) {
	control, experiment = Downsample(control, width), Downsample(experiment, width)
	lo, hi := finiteRange(control, experiment)
	return spark(control, lo, hi), spark(experiment, lo, hi)
}

func spark(vals []float64, lo, hi float64) string {
	var sb strings.Builder
	top := len(sparkBlocks) - 1
	for _, v := range vals {
		switch {
		case math.IsNaN(v):
			sb.WriteByte(' ')
		case math.IsInf(v, 1):
			sb.WriteRune(sparkBlocks[top])
		case math.IsInf(v, -1):
			sb.WriteRune(sparkBlocks[0])
		case !(hi > lo): // constant: mid height
			sb.WriteRune(sparkBlocks[top/2])
		default:
			i := int(math.Round((v - lo) / (hi - lo) * float64(top)))
			sb.WriteRune(sparkBlocks[max(0, min(top, i))])
		}
	}
	return sb.String()
}

// finiteRange returns the smallest and largest finite value of the series,
// or (NaN, NaN) when there is none.
func finiteRange(series ...[]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo > hi {
		return math.NaN(), math.NaN()
	}
	return lo, hi
}

// Downsample averages vals into width buckets when it is longer (width <= 0
// keeps it). NaN values are ignored; an all-NaN bucket is NaN. Infinities
// propagate (+Inf and -Inf in one bucket give NaN).
func Downsample(vals []float64, width int) []float64 {
	n := len(vals)
	if width <= 0 || n <= width {
		return vals
	}
	out := make([]float64, width)
	for i := range width {
		a, b := i*n/width, (i+1)*n/width
		sum, cnt := 0.0, 0
		for _, v := range vals[a:b] {
			if !math.IsNaN(v) {
				sum += v
				cnt++
			}
		}
		if cnt == 0 {
			out[i] = math.NaN()
		} else {
			out[i] = sum / float64(cnt)
		}
	}
	return out
}
