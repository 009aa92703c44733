package judge

// When both samples are constant, Kayenta's MannWhitneyClassifier adds Gaussian
// noise N(0, (v·1e-5)²) to each side (v is that side's value) so the rank test
// can run, which makes the result random from run to run. This judge replaces
// the random draws with a fixed pseudo-random sequence: a SplitMix64 generator
// seeded with noiseSeed is started afresh for every such metric, its
// experiment values get the first len(experiment) draws and its control values
// the next len(control). Each draw is the Irwin–Hall approximation
// U₁+…+U₁₂−6 of a standard normal (mean 0, variance 1, no transcendental
// functions, so the noise is bit-identical on every platform). The result
// therefore depends only on the data, never on the run, the machine or the
// order of the metrics.

// noiseSeed spells "Kayenta" in ASCII.
const noiseSeed = 0x4b6179656e7461

// noiseScale is Kayenta's scaling factor: stdev = value × 1e-5.
const noiseScale = 1e-5

type splitMix64 struct{ s uint64 }

func (r *splitMix64) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uniform returns a value in [0, 1) with 53 random bits.
func (r *splitMix64) uniform() float64 {
	return float64(r.next()>>11) * 0x1p-53
}

// normal returns an Irwin–Hall approximately standard normal value.
func (r *splitMix64) normal() float64 {
	var s float64
	for k := 0; k < 12; k++ {
		s += r.uniform()
	}
	return s - 6
}

// addConstantNoise writes noisy copies of the constant samples exp and ctrl
// into dstExp and dstCtrl (reusing their storage) and returns them.
func addConstantNoise(dstExp, dstCtrl, exp, ctrl []float64) ([]float64, []float64) {
	r := splitMix64{s: noiseSeed}
	dstExp = appendNoisy(growFloats(dstExp, len(exp)), exp, &r)
	dstCtrl = appendNoisy(growFloats(dstCtrl, len(ctrl)), ctrl, &r)
	return dstExp, dstCtrl
}

func appendNoisy(dst, values []float64, r *splitMix64) []float64 {
	if len(values) == 0 {
		return dst
	}
	stdev := values[0] * noiseScale // 0 for a zero side, which then stays constant
	for _, v := range values {
		dst = append(dst, v+float64(stdev*r.normal()))
	}
	return dst
}
