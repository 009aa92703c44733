package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/ctlproject/ctl/kayenta/judge"
)

// ANSI colours of the terminal summary.
const (
	ansiReset = "\x1b[0m"
	ansiGood  = "\x1b[32m"
	ansiBad   = "\x1b[31m"
	ansiWarn  = "\x1b[33m"
	ansiCtl   = "\x1b[36m"
	ansiExp   = "\x1b[35m"
	ansiBold  = "\x1b[1m"
	columnPad = 2
)

func toneANSI(c string) string {
	switch tone(c) {
	case "good":
		return ansiGood
	case "bad":
		return ansiBad
	case "warn":
		return ansiWarn
	}
	return ""
}

// cell is a table cell: its text and, when colours are on, its ANSI colour.
type cell struct{ text, color string }

// WriteSummary writes a verdict for a terminal: a table with one row per
// metric (classification, control and experiment means, mean ratio and the
// 98% confidence interval of the shift), a table of sparklines of the control
// and experiment series of each metric (drawn on a scale shared by both, whose
// range is printed; a space marks a missing value), the group scores, the
// summary score with its classification and reason, and any warnings. pairs
// may be nil (no sparklines). color adds ANSI colours; pass it only when the
// writer is a terminal.
func WriteSummary(w io.Writer, res *judge.CanaryJudgeResult, pairs []judge.MetricSetPair, color bool) error {
	if res == nil {
		return fmt.Errorf("no judge result to write")
	}
	var sb strings.Builder
	paint := func(c, s string) string {
		if !color || c == "" || s == "" {
			return s
		}
		return c + s + ansiReset
	}
	rows := [][]cell{{{"METRIC", ""}, {"CLASSIFICATION", ""}, {"CONTROL MEAN", ""}, {"EXPERIMENT MEAN", ""}, {"RATIO", ""}, {"CI (98%)", ""}}}
	for i := range res.Results {
		r := &res.Results[i]
		ratio, ci := ratioAndCI(r)
		rows = append(rows, []cell{{judge.MetricLabel(r.Name, r.Tags), ""}, {classLabel(r), toneANSI(string(r.Classification))},
			{mean(r.ControlMetadata.Stats), ""}, {mean(r.ExperimentMetadata.Stats), ""}, {ratio, ""}, {ci, ""}})
	}
	writeTable(&sb, rows, paint)

	if pairs != nil && len(res.Results) > 0 {
		sb.WriteByte('\n')
		rows = [][]cell{{{"SERIES", ""}, {"CONTROL", ""}, {"EXPERIMENT", ""}, {"RANGE", ""}}}
		for i := range res.Results {
			r := &res.Results[i]
			row := []cell{{judge.MetricLabel(r.Name, r.Tags), ""}, {"-", ""}, {"-", ""}, {"-", ""}}
			if p := pairFor(r, i, pairs); p != nil {
				c, e := SparklinePair(p.Values.Control, p.Values.Experiment, DefaultSparkWidth)
				row[1] = cell{c, ansiCtl}
				row[2] = cell{e, ansiExp}
				if !hasData(p.Values.Control) {
					row[1] = cell{"no data", ""}
				}
				if !hasData(p.Values.Experiment) {
					row[2] = cell{"no data", ""}
				}
				if lo, hi := finiteRange(p.Values.Control, p.Values.Experiment); lo == lo {
					row[3].text = Num(lo) + " … " + Num(hi)
				} else {
					row[3].text = "no data"
				}
			}
			rows = append(rows, row)
		}
		writeTable(&sb, rows, paint)
	}

	if len(res.GroupScores) > 0 {
		sb.WriteString("\nGROUP SCORES:")
		for _, g := range res.GroupScores {
			fmt.Fprintf(&sb, " %s=%s", g.Name, Num(float64(g.Score)))
		}
		sb.WriteByte('\n')
	}
	verdict := fmt.Sprintf("%s (%s)", Num(float64(res.Score.Score)), res.Score.Classification)
	fmt.Fprintf(&sb, "%s %s", paint(ansiBold, "SCORE:"), paint(toneANSI(string(res.Score.Classification)), verdict))
	if res.Score.ClassificationReason != "" {
		sb.WriteString(" — " + res.Score.ClassificationReason)
	}
	sb.WriteByte('\n')
	if len(res.Warnings) > 0 {
		sb.WriteString(paint(ansiWarn, "WARNINGS:") + "\n")
		for _, msg := range res.Warnings {
			sb.WriteString("  - " + msg + "\n")
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// writeTable aligns rows in columns two spaces apart (widths in runes, so
// block characters and colours don't upset it); the last column is not padded.
func writeTable(sb *strings.Builder, rows [][]cell, paint func(c, s string) string) {
	var widths []int
	for _, row := range rows {
		for j, c := range row {
			if j >= len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], utf8.RuneCountInString(c.text))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		for j, c := range row {
			line.WriteString(paint(c.color, c.text))
			if j < len(row)-1 {
				line.WriteString(strings.Repeat(" ", widths[j]-utf8.RuneCountInString(c.text)+columnPad))
			}
		}
		sb.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// hasData reports whether vals has a value that is not NaN.
func hasData(vals []float64) bool {
	for _, v := range vals {
		if !math.IsNaN(v) {
			return true
		}
	}
	return false
}
