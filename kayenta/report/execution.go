package report

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/judge"
)

// PendingRefreshSeconds is how often the page of a running execution reloads.
const PendingRefreshSeconds = 10

// FromExecution returns the report of a stored canary execution (id is its
// id). pairs are the series of its metricSetPairList; nil when the list could
// not be read (pairsNote then says why, shown with the details). An execution
// that is not complete gives a page saying so, which reloads itself; one that
// ended without a result (terminal, canceled) gives a page with its status
// and exception.
func FromExecution(id string, ex *canary.Execution, pairs []judge.MetricSetPair, pairsNote string) Report {
	name := configName(ex.Config)
	var res *judge.CanaryJudgeResult
	if ex.Result != nil {
		res = ex.Result.JudgeResult
	}
	r := New(pageTitle(name), res, pairs)
	r.add("Execution", id)
	r.add("Status", ex.Status)
	r.add("Application", ex.Application)
	r.add("Canary config", configLabel(name, ex.CanaryConfigID))
	if req := ex.CanaryExecutionRequest; req != nil {
		names := slices.Sorted(maps.Keys(req.Scopes))
		for _, k := range names {
			sp := req.Scopes[k]
			label := "Scopes"
			if len(names) > 1 {
				label += " (" + k + ")"
			}
			r.add(label, scopesText(sp.ControlScope.Scope, sp.ControlScope.Location, sp.ExperimentScope.Scope, sp.ExperimentScope.Location))
			if !sp.ExperimentScope.Start.IsZero() {
				r.add(strings.Replace(label, "Scopes", "Window", 1), spanText(sp.ExperimentScope.Start, sp.ExperimentScope.End))
			}
		}
		r.add("Thresholds", thresholdsText(req.Thresholds))
	}
	if ex.Result != nil {
		r.add("Canary duration", ex.Result.CanaryDuration)
	}
	r.add("Metrics account", ex.MetricsAccountName)
	r.add("Storage account", ex.StorageAccountName)
	r.add("Metric set pair list", strings.TrimSpace(ex.MetricSetPairListID+" "+pairsNote))
	r.add("Started", ex.StartTimeIso)
	r.add("Ended", ex.EndTimeIso)

	switch {
	case !ex.Complete && !canary.Complete(ex.Status):
		r.Pending = fmt.Sprintf("Execution %s is not complete yet (status %s): there is no verdict to show.", id, ex.Status)
		r.Refresh = PendingRefreshSeconds
	case res == nil:
		msg := fmt.Sprintf("Execution %s ended with status %s and no judge result.", id, ex.Status)
		if ex.Exception != nil && ex.Exception.Message != "" {
			msg += " " + ex.Exception.Message
		}
		r.Pending = msg
	}
	return r
}

// add appends the detail name: value unless value is empty.
func (r *Report) add(name, value string) {
	if value != "" {
		r.Details = append(r.Details, Detail{name, value})
	}
}

// pageTitle is the title of the report of the canary config called name.
func pageTitle(name string) string {
	if name == "" {
		return "Canary report"
	}
	return "Canary report: " + name
}

// configName is the name in a canary config's JSON, "" when it has none.
func configName(cfg json.RawMessage) string {
	var c struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(cfg, &c)
	return c.Name
}

// configLabel is "name (id)", or whichever of the two is set.
func configLabel(name, id string) string {
	if id == "" {
		return name
	}
	return strings.TrimSpace(name + " (" + id + ")")
}

// scopesText is "control <scope> in <location>, experiment …".
func scopesText(ctlScope, ctlLocation, expScope, expLocation string) string {
	return fmt.Sprintf("control %s, experiment %s", scopeText(ctlScope, ctlLocation), scopeText(expScope, expLocation))
}

func scopeText(scope, location string) string {
	if scope == "" {
		scope = "(none)"
	}
	if location != "" {
		return scope + " in " + location
	}
	return scope
}

// thresholdsText is "pass 95, marginal 75"; "" without thresholds.
func thresholdsText(t *judge.Thresholds) string {
	if t == nil {
		return ""
	}
	return fmt.Sprintf("pass %s, marginal %s", Num(t.Pass), Num(t.Marginal))
}

// spanText is "2006-01-02 15:04:05 – 2006-01-02 15:05:05 UTC".
func spanText(start, end time.Time) string {
	return start.UTC().Format("2006-01-02 15:04:05") + " – " + end.UTC().Format("2006-01-02 15:04:05 UTC")
}
