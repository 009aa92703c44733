package judge

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// nodataThreshold is WeightedSumScorer's NODATA_THRESHOLD in percent.
const nodataThreshold = 50

// ScoreInput is what the scorer needs from one metric result.
type ScoreInput struct {
	Classification Classification
	Reason         string
	Groups         []string
	Critical       bool
	Muted          bool
}

// ScoreResult is the scorer's output.
type ScoreResult struct {
	GroupScores []CanaryJudgeGroupScore
	Score       CanaryJudgeScore
}

// Score computes group scores and the summary score as Kayenta's ScoringHelper,
// WeightedSumScorer and ThresholdScoreClassifier do:
//
//   - muted results are ignored;
//   - a group's score is 100·Pass/(Pass+High+Low+NodataFailMetric) over the
//     metrics in it (Nodata and Error do not count); a group with none of those
//     is a no-data group with score 0;
//   - an unmuted critical result that is not Pass fails the canary (score 0,
//     reason "Canary Failed: <its reason>"), checked first;
//   - then, if 50% or more of the unmuted results are Nodata, score 0 with
//     "Canary Failed: 50% or more metrics returned NODATA";
//   - otherwise the summary is Σ effective·(weight/100) over the groups present,
//     where a no-data group counts 100 and a group without a configured weight
//     gets (100 − Σ all configured weights)/(number of such groups), rounded
//     HALF_UP to two decimals;
//   - the summary is "Pass" at or above t.Pass, "Marginal" at or above
//     t.Marginal, else "Fail".
//
// Group scores are listed in the order their groups first appear in results
// (Kayenta's order is a hash-map order).
func Score(results []ScoreInput, groupWeights map[string]float64, t Thresholds) ScoreResult {
	type group struct {
		name                             string
		pass, high, low, nodataFail, all int
	}
	var groups []*group
	index := map[string]*group{}
	unmuted := 0
	nodata := 0
	var critFailure *ScoreInput
	for i := range results {
		r := &results[i]
		if r.Muted {
			continue
		}
		unmuted++
		if r.Classification == Nodata {
			nodata++
		}
		if critFailure == nil && r.Critical && r.Classification != Pass {
			critFailure = r
		}
		for _, g := range r.Groups {
			gs := index[g]
			if gs == nil {
				gs = &group{name: g}
				index[g] = gs
				groups = append(groups, gs)
			}
			gs.all++
			switch r.Classification {
			case Pass:
				gs.pass++
			case High:
				gs.high++
			case Low:
				gs.low++
			case NodataFailMetric:
				gs.nodataFail++
			}
		}
	}

	var out ScoreResult
	out.GroupScores = make([]CanaryJudgeGroupScore, 0, len(groups))
	scores := make([]float64, len(groups))
	noData := make([]bool, len(groups))
	for i, g := range groups {
		total := g.high + g.low + g.pass + g.nodataFail
		if total == 0 {
			noData[i] = true
		} else {
			scores[i] = float64(g.pass) / float64(total) * 100
		}
		out.GroupScores = append(out.GroupScores, CanaryJudgeGroupScore{Name: g.name, Score: Float(scores[i])})
	}

	var summary float64
	var reason string
	switch {
	case critFailure != nil:
		reason = "Canary Failed: " + critFailure.Reason
	case unmuted > 0 && float64(nodata)/float64(unmuted)*100 >= nodataThreshold:
		reason = fmt.Sprintf("Canary Failed: %d%% or more metrics returned %s", nodataThreshold, strings.ToUpper(string(Nodata)))
	default:
		var weightSum float64
		for _, w := range groupWeights {
			weightSum += w
		}
		unweighted := 0
		for _, g := range groups {
			if _, ok := groupWeights[g.name]; !ok {
				unweighted++
			}
		}
		calculated := 0.0
		if unweighted > 0 {
			calculated = (100 - weightSum) / float64(unweighted)
		}
		for i, g := range groups {
			effective := scores[i]
			if noData[i] {
				effective = 100
			}
			w, ok := groupWeights[g.name]
			if !ok {
				w = calculated
			}
			summary += float64(effective * (w / 100))
		}
		summary = roundHalfUp2(summary)
	}

	out.Score = CanaryJudgeScore{Score: Float(summary), ClassificationReason: reason}
	switch {
	case summary >= t.Pass:
		out.Score.Classification = ScorePass
	case summary >= t.Marginal:
		out.Score.Classification = ScoreMarginal
	default:
		out.Score.Classification = ScoreFail
	}
	return out
}

// roundHalfUp2 rounds like Commons Math MathUtils.round(x, 2):
// new BigDecimal(Double.toString(x)).setScale(2, ROUND_HALF_UP).doubleValue(),
// so it rounds the shortest decimal form of x, half away from zero.
func roundHalfUp2(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	neg := x < 0
	s := strconv.FormatFloat(math.Abs(x), 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) <= 2 {
		return x
	}
	roundUp := frac[2] >= '5'
	digits := []byte(intPart + frac[:2])
	if roundUp {
		i := len(digits) - 1
		for ; i >= 0; i-- {
			if digits[i] == '9' {
				digits[i] = '0'
				continue
			}
			digits[i]++
			break
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		}
	}
	n := len(digits)
	r, _ := strconv.ParseFloat(string(digits[:n-2])+"."+string(digits[n-2:]), 64)
	if neg {
		r = -r
	}
	return r
}
