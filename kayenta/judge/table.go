package judge

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes r as indented Kayenta CanaryJudgeResult JSON and a newline.
func WriteJSON(w io.Writer, r *CanaryJudgeResult) error {
	if r == nil {
		return fmt.Errorf("no judge result to write")
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes r as a human-readable table: one row per metric with its
// classification, the control and experiment means, the mean ratio and the 98%
// confidence interval of the shift, then the group scores, the summary score
// and any warnings.
func WriteTable(w io.Writer, r *CanaryJudgeResult) error {
	if r == nil {
		return fmt.Errorf("no judge result to write")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tCLASSIFICATION\tCONTROL MEAN\tEXPERIMENT MEAN\tRATIO\tCI (98%)")
	for i := range r.Results {
		res := &r.Results[i]
		cls := string(res.Classification)
		var flags []string
		if res.Critical {
			flags = append(flags, "critical")
		}
		if res.Muted {
			flags = append(flags, "muted")
		}
		if len(flags) > 0 {
			cls += " (" + strings.Join(flags, ", ") + ")"
		}
		ratio, ci := "-", "-"
		if md := res.ResultMetadata; !md.IsZero() {
			ratio = tableNum(float64(md.Ratio))
			if md.CILower.Set {
				ci = "[" + tableNum(md.CILower.V) + ", " + tableNum(md.CIUpper.V) + "]"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", metricLabel(res), cls,
			tableMean(res.ControlMetadata.Stats), tableMean(res.ExperimentMetadata.Stats), ratio, ci)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var sb strings.Builder
	if len(r.GroupScores) > 0 {
		sb.WriteString("\nGROUP SCORES:")
		for _, g := range r.GroupScores {
			fmt.Fprintf(&sb, " %s=%s", g.Name, tableNum(float64(g.Score)))
		}
		sb.WriteByte('\n')
	}
	fmt.Fprintf(&sb, "SCORE: %s (%s)", tableNum(float64(r.Score.Score)), r.Score.Classification)
	if r.Score.ClassificationReason != "" {
		sb.WriteString(" — " + r.Score.ClassificationReason)
	}
	sb.WriteByte('\n')
	if len(r.Warnings) > 0 {
		sb.WriteString("WARNINGS:\n")
		for _, msg := range r.Warnings {
			sb.WriteString("  - " + msg + "\n")
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func metricLabel(r *CanaryAnalysisResult) string {
	if len(r.Tags) == 0 {
		return r.Name
	}
	keys := make([]string, 0, len(r.Tags))
	for k := range r.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + r.Tags[k]
	}
	return r.Name + "{" + strings.Join(parts, ",") + "}"
}

func tableMean(s Stats) string {
	if s.Count == 0 {
		return "-"
	}
	return tableNum(float64(s.Mean))
}

func tableNum(v float64) string {
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
