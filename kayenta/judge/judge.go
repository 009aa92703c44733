package judge

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MinConfidentPoints is the sample size below which a side gets a warning
// (Kayenta's standalone analysis warns below 50 points).
const MinConfidentPoints = 50

// fewPointsWarning is Kayenta's wording for the run-level warning.
const fewPointsWarning = "One of the metrics returned fewer than 50 data points, which can reduce confidence in the final canary score."

// Validate reports thresholds that cannot be meant: NaN or infinite values,
// or a marginal threshold above the pass threshold.
func (t Thresholds) Validate() error {
	for _, v := range []struct {
		name string
		v    float64
	}{{"pass", t.Pass}, {"marginal", t.Marginal}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return fmt.Errorf("%s threshold must be a finite number, got %v", v.name, v.v)
		}
	}
	if t.Marginal > t.Pass {
		return fmt.Errorf("marginal threshold %v is above the pass threshold %v; use a marginal threshold at or below the pass threshold", t.Marginal, t.Pass)
	}
	return nil
}

// Judge runs NetflixACAJudge-v1.0 over pairs with cfg and the request's score
// thresholds t, as Kayenta's POST /judges/judge does, and returns a result that
// marshals to Kayenta's CanaryJudgeResult JSON.
//
// Each pair is preprocessed (NaN strategy, optional IQR outlier removal),
// summarized and classified (see Classifier.Classify); the results are scored
// (see Score). It fails, as Kayenta's judge stage does, when a pair names a
// metric that the config lacks, or when the config names another judge.
func Judge(cfg *CanaryConfig, pairs []MetricSetPair, t Thresholds) (*CanaryJudgeResult, error) {
	if cfg == nil {
		return nil, errors.New("no canary config")
	}
	if cfg.JudgeName != "" && cfg.JudgeName != JudgeName {
		return nil, fmt.Errorf("unable to resolve canary judge %q: only %s is implemented; set judge.name to %q or leave it empty", cfg.JudgeName, JudgeName, JudgeName)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	byName := make(map[string]int, len(cfg.Metrics))
	for i := len(cfg.Metrics) - 1; i >= 0; i-- { // first match wins, as in Kayenta
		byName[cfg.Metrics[i].Name] = i
	}

	res := &CanaryJudgeResult{JudgeName: JudgeName, Results: make([]CanaryAnalysisResult, len(pairs))}
	res.Warnings = append(res.Warnings, cfg.Warnings...)
	w := newJudgeWorkspace()
	inputs := make([]ScoreInput, len(pairs))
	fewPoints := false
	for i := range pairs {
		p := &pairs[i]
		mi, ok := byName[p.Name]
		if !ok {
			return nil, fmt.Errorf("metric set pair [%d] %q: the canary config has no metric named %q; add it to the config or remove the pair", i, p.Name, p.Name)
		}
		m := &cfg.Metrics[mi]
		r := &res.Results[i]
		w.classifyPair(r, p, m)
		if r.ExperimentMetadata.Stats.Count < MinConfidentPoints || r.ControlMetadata.Stats.Count < MinConfidentPoints {
			fewPoints = true
		}
		if r.Classification == Error && w.lastErr != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("metric %s: classification failed: %v", describePair(p), w.lastErr))
		}
		inputs[i] = ScoreInput{
			Classification: r.Classification,
			Reason:         r.ClassificationReason,
			Groups:         r.Groups,
			Critical:       r.Critical,
			Muted:          r.Muted,
		}
	}
	if fewPoints {
		res.Warnings = append(res.Warnings, fewPointsWarning)
	}
	sc := Score(inputs, cfg.GroupWeights, t)
	res.GroupScores = sc.GroupScores
	res.Score = sc.Score
	return res, nil
}

// describePair names a pair for messages: the quoted name plus its tags when
// present ("cpu" {instance=a}).
func describePair(p *MetricSetPair) string {
	if len(p.Tags) == 0 {
		return strconv.Quote(p.Name)
	}
	return strconv.Quote(p.Name) + " " + MetricLabel("", p.Tags)
}

// MetricLabel is a metric's name with its tags, as name{k=v,...} with keys
// sorted; just the name when it has no tags.
func MetricLabel(name string, tags map[string]string) string {
	if len(tags) == 0 {
		return name
	}
	keys := slices.Sorted(maps.Keys(tags))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// judgeWorkspace holds buffers reused for every metric of a judgement.
type judgeWorkspace struct {
	pre       preprocessor
	exp, ctrl []float64
	cls       *Classifier
	lastErr   error
}

func newJudgeWorkspace() *judgeWorkspace {
	return &judgeWorkspace{cls: NewClassifier()}
}

var emptyGroups = []string{}

// classifyPair fills r for pair p with metric config m (NetflixACAJudge.classifyMetric).
func (w *judgeWorkspace) classifyPair(r *CanaryAnalysisResult, p *MetricSetPair, m *CanaryMetricConfig) {
	s := m.Settings
	w.exp = w.pre.run(w.exp, p.Values.Experiment, s)
	w.ctrl = w.pre.run(w.ctrl, p.Values.Control, s)

	r.Name = p.Name
	r.ID = p.ID
	r.Tags = p.Tags
	r.Groups = m.Groups
	if r.Groups == nil {
		r.Groups = emptyGroups
	}
	r.ExperimentMetadata.Stats = Summarize(w.exp)
	r.ControlMetadata.Stats = Summarize(w.ctrl)
	r.Muted = s.Muted

	mc := w.cls.Classify(p.Name, w.ctrl, w.exp, s)
	w.lastErr = mc.Err
	r.Classification = mc.Classification
	r.ClassificationReason = mc.Reason
	r.Critical = mc.Critical
	if mc.Classification == Error {
		r.ResultMetadata = ResultMetadata{} // absent, as in Kayenta
		return
	}
	md := ResultMetadata{Ratio: Float(mc.Deviation), present: true}
	if mc.TestRan {
		md.CILower = Some(mc.Test.Lower)
		md.CIUpper = Some(mc.Test.Upper)
		md.Estimate = Some(mc.Test.Estimate)
		md.PValue = Some(mc.Test.PValue)
		md.EffectSize = Some(mc.EffectSize)
	}
	if mc.Noise {
		md.Warnings = append(md.Warnings, "both sides are constant; fixed pseudo-random noise (scale 1e-5 of each value) was added before the test, as Kayenta adds random noise")
	}
	if n := r.ControlMetadata.Stats.Count; n < MinConfidentPoints {
		md.Warnings = append(md.Warnings, fewPointsMessage("control", n))
	}
	if n := r.ExperimentMetadata.Stats.Count; n < MinConfidentPoints {
		md.Warnings = append(md.Warnings, fewPointsMessage("experiment", n))
	}
	r.ResultMetadata = md
}

func fewPointsMessage(side string, n int) string {
	return fmt.Sprintf("%s has %d data points after preprocessing, fewer than %d; this can reduce confidence in the result", side, n, MinConfidentPoints)
}
