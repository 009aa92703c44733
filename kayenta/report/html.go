package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/ctlproject/ctl/kayenta/judge"
)

// Report is what WriteHTML shows.
type Report struct {
	// Title heads the page (and is its <title>).
	Title string
	// Details are facts shown under the title, in order (execution id,
	// canary config, scopes, analysis window…).
	Details []Detail
	// Pending, when set, says the analysis has no verdict yet (or none at
	// all); the page shows it instead of a score. Refresh, when positive,
	// makes the browser reload the page after so many seconds (a meta
	// refresh, no script), for a page of a running execution.
	Pending string
	Refresh int
	// Score, Classification and Reason are the summary score.
	Score          float64
	Classification string
	Reason         string
	// Results are the per-metric results; GroupScores and Warnings as in the
	// judge result.
	Results     []judge.CanaryAnalysisResult
	GroupScores []judge.CanaryJudgeGroupScore
	Warnings    []string
	// Pairs are the metric set pairs the results were judged from (the time
	// series of each metric). Each result is drawn from the pair with its id,
	// else its name and tags.
	Pairs []judge.MetricSetPair
}

// Detail is one labelled fact of a report.
type Detail struct{ Name, Value string }

// New returns the report of a judge result and its pairs.
func New(title string, res *judge.CanaryJudgeResult, pairs []judge.MetricSetPair) Report {
	r := Report{Title: title, Pairs: pairs}
	if res != nil {
		r.Score = float64(res.Score.Score)
		r.Classification = string(res.Score.Classification)
		r.Reason = res.Score.ClassificationReason
		r.Results = res.Results
		r.GroupScores = res.GroupScores
		r.Warnings = res.Warnings
	}
	return r
}

//go:embed report.html.tmpl
var pageSource string

// page is parsed on first use, not at init: every ctl command links this
// package, and parsing costs about 0.3 ms.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Parse(pageSource))
})

// page data.
type pageData struct {
	Report
	ScoreText, Tone string
	Metrics         []metricView
	Counts          []countView
	GroupText       []Detail
}

type metricView struct {
	Anchor, Label, Classification, Tone string
	Critical, Muted                     bool
	Reason                              string
	Rows                                []Detail
	Warnings                            []string
	Chart                               chart
}

type countView struct {
	Classification, Tone string
	N                    int
}

// WriteHTML writes r as one self-contained HTML page: inline CSS and, per
// metric, an inline SVG chart of control against experiment over time (from
// the pair's scopes startTimeMillis and stepMillis when both sides have them,
// else by sample index), drawn here. The page loads nothing (no scripts,
// fonts, images or other URLs) and everything in it is escaped.
func WriteHTML(w io.Writer, r Report) error {
	d := pageData{Report: r, ScoreText: Num(r.Score), Tone: tone(r.Classification)}
	if d.Title == "" {
		d.Title = "Canary report"
	}
	for _, g := range r.GroupScores {
		d.GroupText = append(d.GroupText, Detail{g.Name, Num(float64(g.Score))})
	}
	counts := map[judge.Classification]int{}
	for i := range r.Results {
		res := &r.Results[i]
		counts[res.Classification]++
		label := judge.MetricLabel(res.Name, res.Tags)
		ratio, ci := ratioAndCI(res)
		mv := metricView{Anchor: fmt.Sprintf("m%d", i+1), Label: label, Classification: string(res.Classification),
			Tone: tone(string(res.Classification)), Critical: res.Critical, Muted: res.Muted, Reason: res.ClassificationReason,
			Rows: []Detail{
				{"Control mean", mean(res.ControlMetadata.Stats)},
				{"Experiment mean", mean(res.ExperimentMetadata.Stats)},
				{"Ratio", ratio},
				{"98% interval", ci},
			},
			Chart: buildChart(label, pairFor(res, i, r.Pairs))}
		md := res.ResultMetadata
		if md.Estimate.Set {
			mv.Rows = append(mv.Rows, Detail{"Shift estimate", Num(md.Estimate.V)})
		}
		if md.PValue.Set {
			mv.Rows = append(mv.Rows, Detail{"p-value", Num(md.PValue.V)})
		}
		mv.Rows = append(mv.Rows, Detail{"Points (control / experiment)",
			fmt.Sprintf("%d / %d", res.ControlMetadata.Stats.Count, res.ExperimentMetadata.Stats.Count)})
		if len(res.Groups) > 0 {
			mv.Rows = append(mv.Rows, Detail{"Groups", strings.Join(res.Groups, ", ")})
		}
		mv.Warnings = md.Warnings
		d.Metrics = append(d.Metrics, mv)
	}
	for _, c := range []judge.Classification{judge.Pass, judge.High, judge.Low, judge.Nodata, judge.NodataFailMetric, judge.Error} {
		if counts[c] > 0 {
			d.Counts = append(d.Counts, countView{string(c), tone(string(c)), counts[c]})
		}
	}
	var buf bytes.Buffer
	if err := page().Execute(&buf, d); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
