package judge

import (
	"math"
	"slices"
)

// Judge constants hard-coded in NetflixACAJudge-v1.0.
const (
	DefaultTolerance = 0.25
	DefaultConfLevel = 0.98
)

// Kayenta's labels for the two sides in reasons.
const (
	experimentLabel = "Canary"
	controlLabel    = "Baseline"
)

// MetricClassification is the outcome of classifying one metric.
type MetricClassification struct {
	Classification Classification
	// Reason is Kayenta's classificationReason ("" when Kayenta gives none).
	Reason string
	// Deviation is resultMetadata.ratio.
	Deviation float64
	Critical  bool
	// TestRan reports whether the Mann-Whitney test ran; Test, EffectSize and
	// Bound are meaningful only then.
	TestRan    bool
	Test       MannWhitneyResult
	EffectSize float64
	Bound      float64 // Tolerance × |Test.Estimate|
	// Noise reports that both sides were constant and deterministic noise was
	// added before the test (see the package documentation).
	Noise bool
	// Err is why the classification is Error.
	Err error
}

// Classifier is Kayenta's MannWhitneyClassifier. The zero value is not ready;
// use NewClassifier. A Classifier reuses internal buffers and is not safe for
// concurrent use.
type Classifier struct {
	// Tolerance is the fraction of |estimate| the confidence interval must
	// clear (0.25 in the judge).
	Tolerance float64
	// ConfLevel is the confidence level of the interval (0.98 in the judge).
	ConfLevel float64

	mw        mwWorkspace
	noisyExp  []float64
	noisyCtrl []float64
}

// NewClassifier returns a classifier with the judge's tolerance (0.25) and
// confidence level (0.98).
func NewClassifier() *Classifier {
	return &Classifier{Tolerance: DefaultTolerance, ConfLevel: DefaultConfLevel}
}

// Classify classifies already-preprocessed control and experiment values of the
// metric called name, following MannWhitneyClassifier.classify:
//
//  1. a side without data gives Nodata (NodataFailMetric when mustHaveData and
//     not critical), or Pass with nanStrategy replace;
//  2. identical samples (as multisets) give Pass;
//  3. a single distinct value across both sides gives Pass;
//  4. otherwise the Mann-Whitney confidence interval of the shift is compared with
//     ±Tolerance·|estimate| and the effect size with its thresholds: High, Low or
//     Pass; a critical metric whose effect also passes the critical threshold is
//     marked critical.
//
// Values that are NaN or infinite at step 4 make the result Error, as do
// failures of the test itself.
func (c *Classifier) Classify(name string, control, experiment []float64, s MetricSettings) MetricClassification {
	if len(experiment) == 0 || len(control) == 0 {
		if s.NaNStrategy == NaNReplace {
			return MetricClassification{Classification: Pass, Deviation: 1}
		}
		reason := "Missing data for " + name
		if s.MustHaveData && !s.Critical {
			return MetricClassification{Classification: NodataFailMetric, Reason: reason, Deviation: 1}
		}
		return MetricClassification{Classification: Nodata, Reason: reason, Deviation: 1, Critical: s.Critical}
	}

	// Sorted copies: the identical check compares them, the test reuses them.
	c.mw.load(experiment, control)
	if slices.Equal(c.mw.xs, c.mw.ys) {
		return MetricClassification{
			Classification: Pass,
			Reason:         "The " + experimentLabel + " and " + controlLabel + " data are identical",
			Deviation:      1,
		}
	}
	if c.mw.xs[0] == c.mw.xs[len(c.mw.xs)-1] && c.mw.ys[0] == c.mw.ys[len(c.mw.ys)-1] && c.mw.xs[0] == c.mw.ys[0] {
		// One distinct value across both sides.
		return MetricClassification{Classification: Pass, Deviation: 1}
	}

	cmp := c.compare(name, control, experiment, s)
	if cmp.Classification == Error {
		return cmp // critical=false, as Kayenta's catch block builds it
	}
	nanEffect := math.IsNaN(cmp.EffectSize)
	switch {
	case s.Critical && cmp.Classification == High && (nanEffect || cmp.EffectSize >= s.EffectSize.CriticalIncrease):
		cmp.Reason = "The metric " + name + " was classified as " + string(High) + " (Critical)"
		cmp.Critical = true
	case s.Critical && cmp.Classification == Low && (nanEffect || cmp.EffectSize <= s.EffectSize.CriticalDecrease):
		cmp.Reason = "The metric " + name + " was classified as " + string(Low) + " (Critical)"
		cmp.Critical = true
	}
	return cmp
}

// compare runs the Mann-Whitney test and applies the direction, tolerance and
// effect-size rules.
func (c *Classifier) compare(name string, control, experiment []float64, s MetricSettings) MetricClassification {
	var out MetricClassification
	if !allFinite(experiment) || !allFinite(control) {
		out.Classification = Error
		out.Reason = "Metric Classification Failed"
		out.Err = errNonFinite
		return out
	}
	exp, ctrl := experiment, control
	// Both sides constant (and different, or step 3 would have passed): Kayenta
	// adds random Gaussian noise scaled to each side's value; we add
	// deterministic noise (see the package documentation).
	if c.mw.xs[0] == c.mw.xs[len(c.mw.xs)-1] && c.mw.ys[0] == c.mw.ys[len(c.mw.ys)-1] {
		out.Noise = true
		c.noisyExp, c.noisyCtrl = addConstantNoise(c.noisyExp, c.noisyCtrl, experiment, control)
		exp, ctrl = c.noisyExp, c.noisyCtrl
		c.mw.load(exp, ctrl)
	}

	// c.mw holds the sorted samples (loaded by Classify, or the noisy ones).
	res, err := c.mw.testLoaded(c.ConfLevel)
	if err != nil {
		out.Classification = Error
		out.Reason = "Metric Classification Failed"
		out.Err = err
		return out
	}
	out.TestRan = true
	out.Test = res
	out.Bound = c.Tolerance * math.Abs(res.Estimate)
	out.Deviation = MeanRatio(ctrl, exp)
	if s.EffectSize.Measure == CLESMeasure {
		// c.mw still holds the sorted (possibly noisy) samples of this test.
		r := c.mw.rankStats(0)
		out.EffectSize = clesFromRanks(r.twiceRankSumX, len(exp), len(ctrl))
	} else {
		out.EffectSize = out.Deviation
	}
	nanEffect := math.IsNaN(out.EffectSize)
	// Kayenta reads any direction other than increase/decrease as either.
	isHigh := s.Direction != Decrease &&
		res.Lower > out.Bound &&
		(nanEffect || out.EffectSize >= s.EffectSize.AllowedIncrease)
	isLow := s.Direction != Increase &&
		res.Upper < -out.Bound &&
		(nanEffect || out.EffectSize <= s.EffectSize.AllowedDecrease)
	switch {
	case isHigh:
		out.Classification = High
		out.Reason = name + " was classified as " + string(High)
	case isLow:
		out.Classification = Low
		out.Reason = name + " was classified as " + string(Low)
	default:
		out.Classification = Pass
	}
	return out
}
