package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/metrics"
	"github.com/ctlproject/ctl/kayenta/storage"
)

// ---- canary configs ----

// configSummary is an entry of GET /canaryConfig.
type configSummary struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	UpdatedTimestamp    int64    `json:"updatedTimestamp"`
	UpdatedTimestampIso string   `json:"updatedTimestampIso"`
	Applications        []string `json:"applications"`
}

// configHeader is the part of a canary config the API validates and indexes.
type configHeader struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	Applications        []string `json:"applications"`
	CreatedTimestamp    *int64   `json:"createdTimestamp"`
	UpdatedTimestamp    *int64   `json:"updatedTimestamp"`
	CreatedTimestampIso string   `json:"createdTimestampIso"`
	UpdatedTimestampIso string   `json:"updatedTimestampIso"`
	Metrics             []struct {
		Name string `json:"name"`
	} `json:"metrics"`
}

// configNameRE is Kayenta's pattern, comma included (it sits inside the class).
var configNameRE = regexp.MustCompile(`^[A-Z,a-z,0-9,\-,\_]*$`)

func (a *API) configStore(r *http.Request) (*canary.StoreAccount, error) {
	return a.o.Service.Accounts().Store(r.URL.Query().Get("configurationAccountName"), config.ConfigurationStore)
}

func (a *API) loadConfig(ctx context.Context, store *canary.StoreAccount, id string) (json.RawMessage, error) {
	b, err := store.Store.Get(ctx, storage.CanaryConfig, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, notFound("No canary config with id '%s' found in account %s.", id, store.Name)
	}
	return b, err
}

func (a *API) summaries(ctx context.Context, store *canary.StoreAccount) ([]configSummary, error) {
	infos, err := store.Store.List(ctx, storage.CanaryConfig)
	if err != nil {
		return nil, err
	}
	out := []configSummary{}
	for _, info := range infos {
		b, err := store.Store.Get(ctx, storage.CanaryConfig, info.ID)
		if err != nil {
			continue // deleted meanwhile
		}
		var h configHeader
		if json.Unmarshal(b, &h) != nil {
			continue
		}
		updated := info.Updated.UnixMilli()
		if h.UpdatedTimestamp != nil {
			updated = *h.UpdatedTimestamp
		}
		out = append(out, configSummary{ID: info.ID, Name: h.Name, UpdatedTimestamp: updated,
			UpdatedTimestampIso: metrics.FormatMillis(updated), Applications: h.Applications})
	}
	return out, nil
}

func (a *API) listConfigs(r *http.Request) (any, error) {
	store, err := a.configStore(r)
	if err != nil {
		return nil, err
	}
	all, err := a.summaries(r.Context(), store)
	if err != nil {
		return nil, err
	}
	apps := r.URL.Query()["application"]
	if len(apps) == 0 {
		return all, nil
	}
	out := []configSummary{}
	for _, c := range all {
		if slices.ContainsFunc(c.Applications, func(s string) bool { return slices.Contains(apps, s) }) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (a *API) getConfig(r *http.Request) (any, error) {
	store, err := a.configStore(r)
	if err != nil {
		return nil, err
	}
	return a.loadConfig(r.Context(), store, r.PathValue("id"))
}

// prepareConfig validates a config body as CanaryConfigController does and
// sets its id and timestamps.
func (a *API) prepareConfig(r *http.Request, store *canary.StoreAccount, id string, creating bool) ([]byte, *configHeader, error) {
	var raw map[string]any
	if err := decode(r, &raw); err != nil {
		return nil, nil, err
	}
	b, _ := json.Marshal(raw)
	var h configHeader
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, nil, badRequest("Canary config: %v", err)
	}
	if h.Name == "" {
		return nil, nil, badRequest("Canary config cannot be saved without a name.")
	}
	if !configNameRE.MatchString(h.Name) {
		return nil, nil, badRequest("Canary config name must contain only letters, numbers, dashes (-) or underscores (_).")
	}
	if len(h.Applications) == 0 {
		return nil, nil, badRequest("At least one application must be specified.")
	}
	if a.o.MetricNameValidation {
		seen := map[string]bool{}
		for _, m := range h.Metrics {
			if m.Name == "" {
				return nil, nil, badRequest("Metric config name must not be empty.")
			}
			if seen[m.Name] {
				return nil, nil, badRequest("Metric config name must be unique. '%s' is duplicated.", m.Name)
			}
			seen[m.Name] = true
		}
	}
	if _, err := judge.ParseCanaryConfig(b, "canaryConfig"); err != nil {
		return nil, nil, badRequest("%v", err)
	}
	if id == "" {
		id = h.ID
	}
	if id == "" {
		id = metrics.NewUUID()
	}
	if err := storage.ValidateID(id); err != nil {
		return nil, nil, badRequest("%v", err)
	}
	// A name may be used once per application (the store's collision check).
	all, err := a.summaries(r.Context(), store)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range all {
		if c.ID == id {
			if creating {
				return nil, nil, badRequest("Canary config with id '%s' already exists.", id)
			}
			continue
		}
		if c.Name == h.Name && slices.ContainsFunc(c.Applications, func(s string) bool { return slices.Contains(h.Applications, s) }) {
			return nil, nil, badRequest("Canary config with name '%s' already exists in the scope of applications %s.", h.Name, strings.Join(h.Applications, ", "))
		}
	}
	now := a.o.Service.Clock().Now().UnixMilli()
	if creating && h.CreatedTimestamp == nil {
		raw["createdTimestamp"], raw["createdTimestampIso"] = now, metrics.FormatMillis(now)
	}
	if !creating || h.UpdatedTimestamp == nil {
		raw["updatedTimestamp"], raw["updatedTimestampIso"] = now, metrics.FormatMillis(now)
	}
	raw["id"] = id
	h.ID = id
	out, err := json.Marshal(raw)
	return out, &h, err
}

func (a *API) createConfig(r *http.Request) (any, error) {
	store, err := a.configStore(r)
	if err != nil {
		return nil, err
	}
	b, h, err := a.prepareConfig(r, store, "", true)
	if err != nil {
		return nil, err
	}
	if err := store.Store.Put(r.Context(), storage.CanaryConfig, h.ID, h.Name+".json", b); err != nil {
		return nil, err
	}
	return map[string]string{"canaryConfigId": h.ID}, nil
}

func (a *API) updateConfig(r *http.Request) (any, error) {
	store, err := a.configStore(r)
	if err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if _, err := store.Store.Get(r.Context(), storage.CanaryConfig, id); errors.Is(err, storage.ErrNotFound) {
		return nil, badRequest("Canary config '%s' does not exist.", id)
	} else if err != nil {
		return nil, err
	}
	b, h, err := a.prepareConfig(r, store, id, false)
	if err != nil {
		return nil, err
	}
	if err := store.Store.Put(r.Context(), storage.CanaryConfig, id, h.Name+".json", b); err != nil {
		return nil, err
	}
	return map[string]string{"canaryConfigId": id}, nil
}

func (a *API) deleteConfig(r *http.Request) (any, error) {
	store, err := a.configStore(r)
	if err != nil {
		return nil, err
	}
	if err := store.Store.Delete(r.Context(), storage.CanaryConfig, r.PathValue("id")); err != nil {
		return nil, err
	}
	return &response{code: http.StatusNoContent}, nil
}

// ---- canary executions ----

// storedConfigRequest loads the canary config named by the configId path
// value and decodes the request body into req, for the routes that start
// work from a stored config.
func (a *API) storedConfigRequest(r *http.Request, req any) (store *canary.StoreAccount, id string, cfg json.RawMessage, err error) {
	if store, err = a.configStore(r); err != nil {
		return nil, "", nil, err
	}
	id = r.PathValue("configId")
	if cfg, err = a.loadConfig(r.Context(), store, id); err != nil {
		return nil, "", nil, err
	}
	return store, id, cfg, decode(r, req)
}

func (a *API) startCanary(r *http.Request) (any, error) {
	var req canary.ExecutionRequest
	store, id, cfg, err := a.storedConfigRequest(r, &req)
	if err != nil {
		return nil, err
	}
	return a.start(r, id, cfg, req, store.Name)
}

func (a *API) startAdHoc(r *http.Request) (any, error) {
	cfg, req, err := decodeAdHoc[canary.ExecutionRequest](r)
	if err != nil {
		return nil, err
	}
	return a.start(r, "ad-hoc", cfg, req, "")
}

// decodeAdHoc decodes the body of the ad-hoc routes: {"canaryConfig",
// "executionRequest"}, both required.
func decodeAdHoc[R any](r *http.Request) (json.RawMessage, R, error) {
	var body struct {
		CanaryConfig     json.RawMessage `json:"canaryConfig"`
		ExecutionRequest *R              `json:"executionRequest"`
	}
	var zero R
	if err := decode(r, &body); err != nil {
		return nil, zero, err
	}
	if len(body.CanaryConfig) == 0 || string(body.CanaryConfig) == "null" {
		return nil, zero, badRequest("canaryConfig is required.")
	}
	if body.ExecutionRequest == nil {
		return nil, zero, badRequest("executionRequest is required.")
	}
	return body.CanaryConfig, *body.ExecutionRequest, nil
}

func (a *API) start(r *http.Request, configID string, cfg json.RawMessage, req canary.ExecutionRequest, configAccount string) (any, error) {
	q := r.URL.Query()
	exID, err := a.o.Service.Start(r.Context(), canary.StartRequest{
		Application: q.Get("application"), ParentPipelineExecutionID: q.Get("parentPipelineExecutionId"),
		CanaryConfigID: configID, Config: cfg, Request: req, MetricsAccountName: q.Get("metricsAccountName"),
		StorageAccountName: q.Get("storageAccountName"), ConfigurationAccountName: configAccount,
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"canaryExecutionId": exID}, nil
}

func (a *API) getExecution(r *http.Request) (any, error) {
	return a.o.Service.Get(r.Context(), r.PathValue("id"), r.URL.Query().Get("storageAccountName"))
}

func (a *API) listExecutions(r *http.Request) (any, error) {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit", 20)
	if err != nil {
		return nil, err
	}
	page, err := queryInt(r, "page", 1)
	if err != nil {
		return nil, err
	}
	if limit < 1 || page < 1 {
		return nil, badRequest("limit and page must be positive.")
	}
	app := q.Get("application")
	if app == "" {
		app = "ad-hoc"
	}
	var statuses []string
	if s := q.Get("statuses"); s != "" {
		for _, st := range strings.Split(s, ",") {
			statuses = append(statuses, strings.ToLower(strings.TrimSpace(st)))
		}
	}
	out, err := a.o.Service.List(r.Context(), canary.ListFilter{Application: app, Statuses: statuses, Limit: limit, Page: page, StorageAccount: q.Get("storageAccountName")})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []*canary.Execution{}
	}
	return out, nil
}

func (a *API) cancel(r *http.Request) (any, error) {
	id := r.PathValue("id")
	err := a.o.Service.Cancel(r.Context(), id, r.URL.Query().Get("storageAccountName"))
	if errors.Is(err, canary.ErrNotFound) {
		err = a.o.Service.CancelAnalysis(r.Context(), id, r.URL.Query().Get("storageAccountName"))
	}
	if err != nil {
		return nil, err
	}
	return &response{code: http.StatusAccepted}, nil
}

// ---- judges ----

func (a *API) judge(r *http.Request) (any, error) {
	configID, err := required(r, "canaryConfigId")
	if err != nil {
		return nil, err
	}
	pairListID, err := required(r, "metricSetPairListId")
	if err != nil {
		return nil, err
	}
	pass, err := queryFloat(r, "passThreshold")
	if err != nil {
		return nil, err
	}
	marginal, err := queryFloat(r, "marginalThreshold")
	if err != nil {
		return nil, err
	}
	cstore, err := a.configStore(r)
	if err != nil {
		return nil, err
	}
	raw, err := a.loadConfig(r.Context(), cstore, configID)
	if err != nil {
		return nil, err
	}
	cfg, err := judge.ParseCanaryConfig(raw, "canaryConfig "+configID)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	sstore, err := a.o.Service.Accounts().Store(r.URL.Query().Get("storageAccountName"), config.ObjectStore)
	if err != nil {
		return nil, err
	}
	b, err := sstore.Store.Get(r.Context(), storage.MetricSetPairList, pairListID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, notFound("No metric set pair list with id '%s' found in account %s.", pairListID, sstore.Name)
	}
	if err != nil {
		return nil, err
	}
	pairs, err := judge.ParseMetricSetPairList(b, "metricSetPairList "+pairListID)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	res, err := judge.Judge(cfg, pairs, judge.Thresholds{Pass: pass, Marginal: marginal})
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return res, nil
}

// ---- metrics ----

type dryRunner interface {
	DryRun(metrics.Query) (string, error)
}

type metricNamer interface {
	MetricNames(ctx context.Context, filter string) ([]string, error)
}

func (a *API) metadata(r *http.Request) (any, error) {
	acct, err := a.o.Service.Accounts().MetricsAccount(r.URL.Query().Get("metricsAccountName"))
	if err != nil {
		return nil, err
	}
	namer, ok := acct.Source.(metricNamer)
	if !ok {
		return []any{}, nil
	}
	names, err := namer.MetricNames(r.Context(), r.URL.Query().Get("filter"))
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, len(names))
	for i, n := range names {
		out[i] = map[string]string{"name": n}
	}
	return out, nil
}

// fetchPrometheus is POST /fetch/prometheus/query: one metric for one
// scope, stored as a MetricSetList (or, with dryRun, the PromQL only).
func (a *API) fetchPrometheus(r *http.Request) (any, error) {
	q := r.URL.Query()
	setName, err := required(r, "metricSetName")
	if err != nil {
		return nil, err
	}
	metricName, err := required(r, "metricName")
	if err != nil {
		return nil, err
	}
	stepStr, err := required(r, "step")
	if err != nil {
		return nil, err
	}
	var step int64
	if _, err := fmt.Sscan(stepStr, &step); err != nil || step <= 0 {
		return nil, badRequest("step must be a positive number of seconds, got %q.", stepStr)
	}
	acct, err := a.o.Service.Accounts().MetricsAccount(q.Get("metricsAccountName"))
	if err != nil {
		return nil, err
	}
	qc := map[string]any{"type": "prometheus", "metricName": metricName}
	if v := q.Get("resourceType"); v != "" {
		qc["resourceType"] = v
	}
	if v := q["labelBindings"]; len(v) > 0 {
		qc["labelBindings"] = splitList(v)
	}
	if v := q["groupByFields"]; len(v) > 0 {
		qc["groupByFields"] = splitList(v)
	}
	if v := q.Get("customFilter"); v != "" {
		qc["customInlineTemplate"] = v
	}
	qcJSON, _ := json.Marshal(qc)
	scope := metrics.Scope{Scope: q.Get("scope"), Location: q.Get("location"), Step: step, ExtendedScopeParams: map[string]string{}}
	if v := q.Get("project"); v != "" {
		scope.ExtendedScopeParams["project"] = v
	}
	for _, k := range []string{"start", "end"} {
		v := q.Get(k)
		if v == "" {
			if q.Get("dryRun") == "true" {
				continue
			}
			return nil, badRequest("Required request parameter '%s' is not present.", k)
		}
		t, err := metrics.ParseInstant(v)
		if err != nil {
			return nil, badRequest("%s: %v", k, err)
		}
		if k == "start" {
			scope.Start = t
		} else {
			scope.End = t
		}
	}
	query := metrics.Query{MetricName: setName, QueryConfig: qcJSON, Scope: scope}
	if q.Get("dryRun") == "true" {
		dr, ok := acct.Source.(dryRunner)
		if !ok {
			return nil, badRequest("Account %s cannot build queries.", acct.Name)
		}
		promql, err := dr.DryRun(query)
		if err != nil {
			return nil, err
		}
		return map[string]string{"query": promql}, nil
	}
	store, err := a.o.Service.Accounts().Store(q.Get("storageAccountName"), config.ObjectStore)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
	defer cancel()
	sets, err := acct.Source.Fetch(ctx, query)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(sets)
	if err != nil {
		return nil, err
	}
	id := metrics.NewUUID()
	if err := store.Store.Put(r.Context(), storage.MetricSetList, id, "", b); err != nil {
		return nil, err
	}
	return map[string]string{"metricSetListId": id}, nil
}

func splitList(v []string) []string {
	var out []string
	for _, s := range v {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// ---- stored metric sets ----

func (a *API) objectStore(r *http.Request) (*canary.StoreAccount, error) {
	name := r.URL.Query().Get("accountName")
	if name == "" {
		name = r.URL.Query().Get("storageAccountName")
	}
	return a.o.Service.Accounts().Store(name, config.ObjectStore)
}

func (a *API) listObjects(t storage.ObjectType) handler {
	return func(r *http.Request) (any, error) {
		store, err := a.objectStore(r)
		if err != nil {
			return nil, err
		}
		infos, err := store.Store.List(r.Context(), t)
		if err != nil {
			return nil, err
		}
		sort.Slice(infos, func(i, j int) bool { return infos[i].Updated.After(infos[j].Updated) })
		out := []map[string]any{}
		for _, info := range infos {
			out = append(out, map[string]any{"id": info.ID, "name": info.Name, "updatedTimestamp": info.Updated.UnixMilli(),
				"updatedTimestampIso": metrics.FormatInstant(info.Updated)})
		}
		return out, nil
	}
}

func (a *API) getObject(t storage.ObjectType) handler {
	return func(r *http.Request) (any, error) {
		store, err := a.objectStore(r)
		if err != nil {
			return nil, err
		}
		b, err := store.Store.Get(r.Context(), t, r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return json.RawMessage(b), nil
	}
}

func (a *API) storeObject(t storage.ObjectType, key string) handler {
	return func(r *http.Request) (any, error) {
		store, err := a.objectStore(r)
		if err != nil {
			return nil, err
		}
		var list []json.RawMessage
		if err := decode(r, &list); err != nil {
			return nil, err
		}
		b, _ := json.Marshal(list)
		if t == storage.MetricSetPairList {
			if _, err := judge.ParseMetricSetPairList(b, "body"); err != nil {
				return nil, badRequest("%v", err)
			}
		}
		id := metrics.NewUUID()
		if err := store.Store.Put(r.Context(), t, id, "", b); err != nil {
			return nil, err
		}
		return map[string]string{key: id}, nil
	}
}

func (a *API) deleteObject(t storage.ObjectType) handler {
	return func(r *http.Request) (any, error) {
		store, err := a.objectStore(r)
		if err != nil {
			return nil, err
		}
		if err := store.Store.Delete(r.Context(), t, r.PathValue("id")); err != nil {
			return nil, err
		}
		return &response{code: http.StatusNoContent}, nil
	}
}

func (a *API) getPair(r *http.Request) (any, error) {
	store, err := a.objectStore(r)
	if err != nil {
		return nil, err
	}
	b, err := store.Store.Get(r.Context(), storage.MetricSetPairList, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	var pairs []json.RawMessage
	if err := json.Unmarshal(b, &pairs); err != nil {
		return nil, err
	}
	want := r.PathValue("pairId")
	for _, p := range pairs {
		var h struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(p, &h) == nil && h.ID == want {
			return p, nil
		}
	}
	return nil, notFound("No metric set pair with id '%s' in list '%s'.", want, r.PathValue("id"))
}

// ---- standalone canary analysis ----

func (a *API) startAnalysis(r *http.Request) (any, error) {
	var req canary.AnalysisRequest
	store, id, cfg, err := a.storedConfigRequest(r, &req)
	if err != nil {
		return nil, err
	}
	return a.analysis(r, id, cfg, req, store.Name)
}

func (a *API) startAnalysisAdHoc(r *http.Request) (any, error) {
	cfg, req, err := decodeAdHoc[canary.AnalysisRequest](r)
	if err != nil {
		return nil, err
	}
	return a.analysis(r, "", cfg, req, "")
}

func (a *API) analysis(r *http.Request, configID string, cfg json.RawMessage, req canary.AnalysisRequest, configAccount string) (any, error) {
	// ctl's *Duration fields are checked now, so that a malformed or
	// conflicting one is a 400 and nothing is stored. What Kayenta checks
	// only once the analysis runs (a missing lifetime) still fails it then.
	if err := req.Validate(); err != nil {
		return nil, badRequest("%v", err)
	}
	q := r.URL.Query()
	id, err := a.o.Service.StartAnalysis(r.Context(), canary.StartAnalysisRequest{
		User: q.Get("user"), Application: q.Get("application"), ParentPipelineExecutionID: q.Get("parentPipelineExecutionId"),
		CanaryConfigID: configID, Config: cfg, Request: req, MetricsAccountName: q.Get("metricsAccountName"),
		StorageAccountName: q.Get("storageAccountName"), ConfigurationAccountName: configAccount,
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"canaryAnalysisExecutionId": id}, nil
}

func (a *API) getAnalysis(r *http.Request) (any, error) {
	return a.o.Service.GetAnalysis(r.Context(), r.PathValue("id"), r.URL.Query().Get("storageAccountName"))
}
