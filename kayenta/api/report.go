package api

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/report"
	"github.com/ctlproject/ctl/kayenta/storage"
)

// reportContentSecurityPolicy forbids the report page any load: it is one
// self-contained document (inline CSS and SVG, no script).
const reportContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// report is GET /report/{executionId}[?storageAccountName=]: the
// HTML report of a stored canary execution, or of a standalone canary
// analysis (kayenta/report), an addition of ctl that Kayenta does not have.
// The id is looked up as a canary execution first, then as a standalone
// analysis (the analysisId of `ctl canary smoke -o json` and `ctl canary run
// --interval/--lifetime`), in the same storage account.
//
//   - Unknown id (neither): 404 with Kayenta's {"message"} JSON (400 for a
//     malformed id or an unknown storage account), like GET /canary/{id}.
//   - Execution not complete yet: 200 with a page that says so and reloads
//     itself every report.PendingRefreshSeconds seconds (a meta refresh), so a
//     browser tab opened at the start shows the verdict once there is one.
//     A page rather than 409, because the URL is meant to be opened by people.
//   - Execution ended without a result (terminal, canceled): 200, the page
//     shows the status and exception.
//   - Complete: 200, the full report; if its metricSetPairList cannot be read
//     (deleted), the page still shows the results, without series.
//   - Standalone analysis: the report of its last judgement's execution with
//     the score and window of each interval and the analysis verdict
//     (report.FromAnalysis). While it runs, the page reloads itself as above;
//     before its first judgement it says so and names the next stage; ended
//     without a judgement, it shows the status and exception.
//
// The bearer token, when configured, is required as on every other route.
func (a *API) report(r *http.Request) (any, error) {
	id := r.PathValue("executionId")
	acct := r.URL.Query().Get("storageAccountName")
	ex, err := a.o.Service.Get(r.Context(), id, acct)
	if errors.Is(err, canary.ErrNotFound) {
		an, aerr := a.o.Service.GetAnalysis(r.Context(), id, acct)
		if errors.Is(aerr, canary.ErrNotFound) {
			return nil, err // unknown in both: the execution's 404
		}
		if aerr != nil {
			return nil, aerr
		}
		return a.analysisPage(r, an, acct)
	}
	if err != nil {
		return nil, err
	}
	var pairs []judge.MetricSetPair
	note := ""
	if ex.Result != nil && ex.MetricSetPairListID != "" {
		if acct == "" {
			acct = ex.StorageAccountName
		}
		pairs, note, err = a.loadPairs(r, acct, ex.MetricSetPairListID)
		if err != nil {
			return nil, err
		}
	}
	return renderReport(report.FromExecution(id, ex, pairs, note))
}

// analysisPage renders the report of a standalone analysis: its last
// judgement's execution and pairs, read as for an execution's page. A
// judgement whose execution is gone is shown as the analysis stored it.
func (a *API) analysisPage(r *http.Request, an *canary.Analysis, acct string) (htmlPage, error) {
	var last *canary.Execution
	var pairs []judge.MetricSetPair
	note := ""
	if res := an.CanaryAnalysisExecutionResult; res != nil && len(res.CanaryExecutionResults) > 0 {
		er := res.CanaryExecutionResults[len(res.CanaryExecutionResults)-1]
		if er.ExecutionID != "" {
			ex, err := a.o.Service.Get(r.Context(), er.ExecutionID, acct)
			switch {
			case err == nil:
				last = ex
			case !errors.Is(err, canary.ErrNotFound):
				return nil, err
			}
		}
		listID, hasResult, pairsAcct := er.MetricSetPairListID, er.Result != nil, er.StorageAccountName
		if last != nil {
			listID, hasResult, pairsAcct = last.MetricSetPairListID, last.Result != nil, last.StorageAccountName
		}
		if acct != "" || pairsAcct == "" {
			pairsAcct = acct
		}
		if hasResult && listID != "" {
			var err error
			if pairs, note, err = a.loadPairs(r, pairsAcct, listID); err != nil {
				return nil, err
			}
		}
	}
	return renderReport(report.FromAnalysis(an, last, pairs, note))
}

func renderReport(rep report.Report) (htmlPage, error) {
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, rep); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// loadPairs reads a metric set pair list. A list that is gone or unreadable
// is not an error of the page: note says what happened.
func (a *API) loadPairs(r *http.Request, acct, id string) ([]judge.MetricSetPair, string, error) {
	store, err := a.o.Service.Accounts().Store(acct, config.ObjectStore)
	if err != nil {
		store, err = a.o.Service.Accounts().Store("", config.ObjectStore)
		if err != nil {
			return nil, "", err
		}
	}
	b, err := store.Store.Get(r.Context(), storage.MetricSetPairList, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, "(not found: no series to draw)", nil
	}
	if err != nil {
		return nil, "", err
	}
	pairs, err := judge.ParseMetricSetPairList(b, "metricSetPairList "+id)
	if err != nil {
		return nil, "(unreadable: " + err.Error() + ")", nil
	}
	return pairs, "", nil
}
