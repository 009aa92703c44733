package judge

import (
	"encoding/json"
	"math"
)

// JudgeName is the name of the judge this package implements.
const JudgeName = "NetflixACAJudge-v1.0"

// Classification is a metric classification label.
type Classification string

// Metric classifications, as Kayenta writes them.
const (
	Pass             Classification = "Pass"
	High             Classification = "High"
	Low              Classification = "Low"
	Nodata           Classification = "Nodata"
	NodataFailMetric Classification = "NodataFailMetric"
	Error            Classification = "Error"
)

// Valid reports whether c is one of the six metric classifications.
func (c Classification) Valid() bool {
	switch c {
	case Pass, High, Low, Nodata, NodataFailMetric, Error:
		return true
	}
	return false
}

// ScoreClassification labels the summary score.
type ScoreClassification string

// Summary score classifications.
const (
	ScorePass     ScoreClassification = "Pass"
	ScoreMarginal ScoreClassification = "Marginal"
	ScoreFail     ScoreClassification = "Fail"
)

// Direction is a metric's analysisConfigurations.canary.direction.
type Direction string

// Directions. Anything else in a config means Either.
const (
	Increase Direction = "increase"
	Decrease Direction = "decrease"
	Either   Direction = "either"
)

// NaNStrategy is a metric's analysisConfigurations.canary.nanStrategy.
type NaNStrategy string

// NaN strategies. Anything else in a config means NaNRemove.
const (
	NaNRemove  NaNStrategy = "remove"
	NaNReplace NaNStrategy = "replace"
)

// EffectSizeMeasure is analysisConfigurations.canary.effectSize.measure.
type EffectSizeMeasure string

// Effect-size measures. Anything else in a config means MeanRatio.
const (
	MeanRatioMeasure EffectSizeMeasure = "meanRatio"
	CLESMeasure      EffectSizeMeasure = "cles"
)

// OutlierStrategy is analysisConfigurations.canary.outliers.strategy.
type OutlierStrategy string

// Outlier strategies. Anything else in a config means OutliersKeep.
const (
	OutliersKeep   OutlierStrategy = "keep"
	OutliersRemove OutlierStrategy = "remove"
)

// CanaryConfig is the part of a Kayenta canary configuration
// (canary/CanaryConfig.java) that the judge reads. Build it with
// ParseCanaryConfig or LoadCanaryConfigFile, which apply Kayenta's defaults.
type CanaryConfig struct {
	Name        string
	ID          string
	Description string
	// JudgeName is judge.name; empty means the default judge (this one).
	JudgeName string
	Metrics   []CanaryMetricConfig
	// GroupWeights is classifier.groupWeights (group → weight, not validated, as in Kayenta).
	GroupWeights map[string]float64
	// ScoreThresholds is classifier.scoreThresholds. Kayenta ignores it when
	// judging (only the request thresholds count); it is kept for callers that
	// want to offer it as a default. Nil when absent.
	ScoreThresholds *Thresholds
	// Warnings lists non-fatal findings from loading, such as unknown enum
	// values that fall back to Kayenta's defaults. Judge copies them into the
	// result's warnings.
	Warnings []string
}

// CanaryMetricConfig is one entry of a canary config's metrics.
type CanaryMetricConfig struct {
	Name      string
	Query     json.RawMessage // provider-specific query, kept verbatim
	Groups    []string
	ScopeName string
	Settings  MetricSettings // analysisConfigurations.canary with defaults applied
}

// MetricSettings are a metric's analysisConfigurations.canary settings.
type MetricSettings struct {
	Direction    Direction
	NaNStrategy  NaNStrategy
	Critical     bool
	MustHaveData bool
	Muted        bool
	EffectSize   EffectSizeSettings
	Outliers     OutlierSettings
}

// EffectSizeSettings are effect-size thresholds. For meanRatio they are ratios
// of means; for cles they are probabilities.
type EffectSizeSettings struct {
	Measure          EffectSizeMeasure
	AllowedIncrease  float64
	AllowedDecrease  float64
	CriticalIncrease float64
	CriticalDecrease float64
}

// OutlierSettings control outlier removal.
type OutlierSettings struct {
	Strategy OutlierStrategy
	Factor   float64
}

// Default outlier factor (outliers.outlierFactor).
const DefaultOutlierFactor = 3.0

// DefaultMetricSettings returns Kayenta's defaults for a metric with no
// analysisConfigurations.canary at all.
func DefaultMetricSettings() MetricSettings {
	return MetricSettings{
		Direction:   Either,
		NaNStrategy: NaNRemove,
		EffectSize:  defaultEffectSize(MeanRatioMeasure),
		Outliers:    OutlierSettings{Strategy: OutliersKeep, Factor: DefaultOutlierFactor},
	}
}

func defaultEffectSize(m EffectSizeMeasure) EffectSizeSettings {
	d := 1.0
	if m == CLESMeasure {
		d = 0.5
	}
	return EffectSizeSettings{Measure: m, AllowedIncrease: d, AllowedDecrease: d, CriticalIncrease: d, CriticalDecrease: d}
}

// Thresholds are the request's score thresholds (CanaryClassifierThresholdsConfig).
type Thresholds struct {
	Pass     float64 `json:"pass"`
	Marginal float64 `json:"marginal"`
}

// MetricSetPair is one entry of a Kayenta MetricSetPairList: the control and
// experiment time series of one metric and tag set.
type MetricSetPair struct {
	Name       string            `json:"name"`
	ID         string            `json:"id,omitempty"`
	Tags       map[string]string `json:"tags,omitzero"`
	Values     PairValues        `json:"values"`
	Scopes     json.RawMessage   `json:"scopes,omitempty"`
	Attributes json.RawMessage   `json:"attributes,omitempty"`
}

// PairValues holds the two series. NaN marks a missing sample.
type PairValues struct {
	Control    []float64
	Experiment []float64
}

// MarshalJSON writes {"control":[…],"experiment":[…]} with NaN and the
// infinities as strings, as Kayenta does.
func (v PairValues) MarshalJSON() ([]byte, error) {
	b := append([]byte(nil), `{"control":`...)
	b = appendFloatArray(b, v.Control)
	b = append(b, `,"experiment":`...)
	b = appendFloatArray(b, v.Experiment)
	return append(b, '}'), nil
}

// UnmarshalJSON reads the values object; see ParseMetricSetPairList for the rules.
func (v *PairValues) UnmarshalJSON(b []byte) error {
	pv, err := parsePairValues(b)
	if err != nil {
		return err
	}
	*v = pv
	return nil
}

func appendFloatArray(b []byte, vs []float64) []byte {
	b = append(b, '[')
	for i, x := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONFloat(b, x)
	}
	return append(b, ']')
}

// CanaryJudgeResult is Kayenta's judge result (canary/results/CanaryJudgeResult.java).
// Warnings is an addition of this implementation; it is omitted when empty.
type CanaryJudgeResult struct {
	JudgeName   string                  `json:"judgeName"`
	Results     []CanaryAnalysisResult  `json:"results"`
	GroupScores []CanaryJudgeGroupScore `json:"groupScores"`
	Score       CanaryJudgeScore        `json:"score"`
	Warnings    []string                `json:"warnings,omitempty"`
}

// CanaryAnalysisResult is one metric's result (CanaryAnalysisResult.java).
type CanaryAnalysisResult struct {
	Name                 string            `json:"name"`
	ID                   string            `json:"id,omitempty"`
	Tags                 map[string]string `json:"tags,omitzero"`
	Classification       Classification    `json:"classification"`
	ClassificationReason string            `json:"classificationReason,omitempty"`
	Groups               []string          `json:"groups"`
	ExperimentMetadata   SideMetadata      `json:"experimentMetadata"`
	ControlMetadata      SideMetadata      `json:"controlMetadata"`
	// ResultMetadata is omitted for Error, as in Kayenta.
	ResultMetadata ResultMetadata `json:"resultMetadata,omitzero"`
	Critical       bool           `json:"critical"`
	Muted          bool           `json:"muted"`
}

// SideMetadata is experimentMetadata / controlMetadata.
type SideMetadata struct {
	Stats Stats `json:"stats"`
}

// ResultMetadata is resultMetadata. Kayenta writes only ratio; the other
// fields are additions of this implementation and are omitted when the
// Mann-Whitney test did not run (no data, identical data).
type ResultMetadata struct {
	// Ratio is the deviation: mean(experiment)/mean(control), NaN when either
	// mean is 0, or 1.0 when the test did not run.
	Ratio Float `json:"ratio"`
	// CILower and CIUpper are the 98% confidence limits for the shift of the
	// experiment relative to the control.
	CILower OptFloat `json:"ciLower,omitzero"`
	CIUpper OptFloat `json:"ciUpper,omitzero"`
	// Estimate is the location-shift estimate; Tolerance × |Estimate| is the bound
	// the limits are compared against.
	Estimate OptFloat `json:"estimate,omitzero"`
	// PValue is the two-sided Mann-Whitney p-value (normal approximation with
	// tie and continuity correction). Kayenta computes none; it is informational.
	PValue OptFloat `json:"pValue,omitzero"`
	// EffectSize is the configured effect size (meanRatio or cles) that was
	// compared with the effect-size thresholds.
	EffectSize OptFloat `json:"effectSize,omitzero"`
	// Warnings are notes about this metric, such as a side with fewer than 50 points.
	Warnings []string `json:"warnings,omitempty"`

	present bool
}

// IsZero reports whether the metadata is absent (Error results).
func (m ResultMetadata) IsZero() bool { return !m.present }

// OptFloat is an optional Float, omitted from JSON when unset.
type OptFloat struct {
	V   float64
	Set bool
}

// Some returns a set OptFloat.
func Some(v float64) OptFloat { return OptFloat{V: v, Set: true} }

// IsZero reports whether o is unset.
func (o OptFloat) IsZero() bool { return !o.Set }

// MarshalJSON implements json.Marshaler.
func (o OptFloat) MarshalJSON() ([]byte, error) {
	if !o.Set {
		return []byte("null"), nil
	}
	return appendJSONFloat(nil, o.V), nil
}

// UnmarshalJSON implements json.Unmarshaler; null leaves o unset.
func (o *OptFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*o = OptFloat{}
		return nil
	}
	var f Float
	if err := f.UnmarshalJSON(b); err != nil {
		return err
	}
	*o = Some(float64(f))
	return nil
}

// Value returns the value, or NaN when unset.
func (o OptFloat) Value() float64 {
	if !o.Set {
		return math.NaN()
	}
	return o.V
}

// UnmarshalJSON lets a result read back mark its metadata as present.
func (m *ResultMetadata) UnmarshalJSON(b []byte) error {
	type plain ResultMetadata
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*m = ResultMetadata(p)
	m.present = true
	return nil
}

// CanaryJudgeGroupScore is a group's score. Classification and its reason are
// always empty strings, as in Kayenta.
type CanaryJudgeGroupScore struct {
	Name                 string `json:"name"`
	Score                Float  `json:"score"`
	Classification       string `json:"classification"`
	ClassificationReason string `json:"classificationReason"`
}

// CanaryJudgeScore is the summary score.
type CanaryJudgeScore struct {
	Score                Float               `json:"score"`
	Classification       ScoreClassification `json:"classification"`
	ClassificationReason string              `json:"classificationReason"`
}
