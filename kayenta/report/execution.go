package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

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
	var cfg struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(ex.Config, &cfg)
	title := "Canary report"
	if cfg.Name != "" {
		title += ": " + cfg.Name
	}
	var res *judge.CanaryJudgeResult
	if ex.Result != nil {
		res = ex.Result.JudgeResult
	}
	r := New(title, res, pairs)
	add := func(name, value string) {
		if value != "" {
			r.Details = append(r.Details, Detail{name, value})
		}
	}
	add("Execution", id)
	add("Status", ex.Status)
	add("Application", ex.Application)
	cfgLabel := cfg.Name
	if ex.CanaryConfigID != "" {
		cfgLabel = strings.TrimSpace(cfgLabel + " (" + ex.CanaryConfigID + ")")
	}
	add("Canary config", cfgLabel)
	if req := ex.CanaryExecutionRequest; req != nil {
		names := make([]string, 0, len(req.Scopes))
		for k := range req.Scopes {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			sp := req.Scopes[k]
			label := "Scopes"
			if len(names) > 1 {
				label += " (" + k + ")"
			}
			add(label, fmt.Sprintf("control %s, experiment %s", scopeText(sp.ControlScope.Scope, sp.ControlScope.Location),
				scopeText(sp.ExperimentScope.Scope, sp.ExperimentScope.Location)))
			if !sp.ExperimentScope.Start.IsZero() {
				add(strings.Replace(label, "Scopes", "Window", 1), sp.ExperimentScope.Start.UTC().Format("2006-01-02 15:04:05")+
					" – "+sp.ExperimentScope.End.UTC().Format("2006-01-02 15:04:05 UTC"))
			}
		}
		if t := req.Thresholds; t != nil {
			add("Thresholds", fmt.Sprintf("pass %s, marginal %s", Num(t.Pass), Num(t.Marginal)))
		}
	}
	if ex.Result != nil {
		add("Canary duration", ex.Result.CanaryDuration)
	}
	add("Metrics account", ex.MetricsAccountName)
	add("Storage account", ex.StorageAccountName)
	add("Metric set pair list", strings.TrimSpace(ex.MetricSetPairListID+" "+pairsNote))
	add("Started", ex.StartTimeIso)
	add("Ended", ex.EndTimeIso)

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

func scopeText(scope, location string) string {
	if scope == "" {
		scope = "(none)"
	}
	if location != "" {
		return scope + " in " + location
	}
	return scope
}
