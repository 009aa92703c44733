// Package report presents a canary verdict to people: a terminal summary
// (WriteSummary: per metric the classification, the control and experiment
// means, the mean ratio, the 98% interval and a sparkline of each series, then
// the score) and a single self-contained HTML page (WriteHTML: the same
// figures and, per metric, an inline SVG chart of control against experiment
// over time, drawn server-side; no scripts, fonts or external resources, so
// the page works offline and can be mailed or archived as one file).
//
// The service serves the page for a stored execution (FromExecution) or a
// standalone analysis (FromAnalysis: its last judgement with the score of each
// interval) at GET /report/{id} (kayenta/api/report.go); `ctl canary judge`,
// `ctl canary run` and `ctl canary smoke --report-html FILE` write it.
package report
