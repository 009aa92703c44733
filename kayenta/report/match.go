package report

import (
	"math"
	"strconv"
	"strings"

	"github.com/ctlproject/ctl/kayenta/judge"
)

// pairFor finds the pair a result was judged from: by id, then by name and
// tags, then by position. Nil when there is none.
func pairFor(res *judge.CanaryAnalysisResult, i int, pairs []judge.MetricSetPair) *judge.MetricSetPair {
	if res.ID != "" {
		for j := range pairs {
			if pairs[j].ID == res.ID {
				return &pairs[j]
			}
		}
	}
	label := judge.MetricLabel(res.Name, res.Tags)
	for j := range pairs {
		if judge.MetricLabel(pairs[j].Name, pairs[j].Tags) == label {
			return &pairs[j]
		}
	}
	if i < len(pairs) && pairs[i].Name == res.Name {
		return &pairs[i]
	}
	return nil
}

// Num formats a number for the summary and the page: 4 significant digits,
// NaN, +Inf and -Inf spelled out.
func Num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func mean(s judge.Stats) string {
	if s.Count == 0 {
		return "-"
	}
	return Num(float64(s.Mean))
}

func classLabel(r *judge.CanaryAnalysisResult) string {
	cls := string(r.Classification)
	var flags []string
	if r.Critical {
		flags = append(flags, "critical")
	}
	if r.Muted {
		flags = append(flags, "muted")
	}
	if len(flags) > 0 {
		cls += " (" + strings.Join(flags, ", ") + ")"
	}
	return cls
}

func ratioAndCI(r *judge.CanaryAnalysisResult) (ratio, ci string) {
	ratio, ci = "-", "-"
	if md := r.ResultMetadata; !md.IsZero() {
		ratio = Num(float64(md.Ratio))
		if md.CILower.Set && md.CIUpper.Set {
			ci = "[" + Num(md.CILower.V) + ", " + Num(md.CIUpper.V) + "]"
		}
	}
	return ratio, ci
}

// tone is the colour family of a classification: good, bad, warn or "".
func tone(c string) string {
	switch c {
	case "Pass":
		return "good"
	case "High", "Low", "Error", "Fail":
		return "bad"
	case "Nodata", "NodataFailMetric", "Marginal":
		return "warn"
	}
	return ""
}
