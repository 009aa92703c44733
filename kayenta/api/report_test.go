package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/storage"
)

// reportFixture serves the API over an in-memory store account "mem"; it
// returns the store, a GET of a path that returns the status, header and
// body, and the judge's test pair list with its judgement.
func reportFixture(t *testing.T) (storage.Store, func(path string) (int, http.Header, string), []byte, *judge.CanaryJudgeResult) {
	t.Helper()
	store := storage.NewMemory("mem")
	svc := canary.New(canary.Options{Accounts: &canary.Accounts{Stores: []canary.StoreAccount{
		{Name: "mem", Types: []config.SupportedType{config.ObjectStore, config.ConfigurationStore}, Store: store}}}})
	t.Cleanup(svc.Close)
	srv := httptest.NewServer(New(Options{Service: svc, Config: &config.Config{}}))
	t.Cleanup(srv.Close)

	pairsJSON, err := os.ReadFile("../judge/testdata/judge/pairs.json")
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := judge.ParseMetricSetPairList(pairsJSON, "pairs.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := judge.LoadCanaryConfigFile("../judge/testdata/judge/canary-config.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := judge.Judge(cfg, pairs, judge.Thresholds{Pass: 95, Marginal: 75})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, http.Header, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	return store, get, pairsJSON, res
}

// TestReportRoute serves GET /report/{executionId} from executions written
// straight into an in-memory store.
func TestReportRoute(t *testing.T) {
	ctx := context.Background()
	store, get, pairsJSON, res := reportFixture(t)
	put := func(id string, ex canary.Execution) {
		b, _ := json.Marshal(ex)
		if err := store.Put(ctx, storage.CanaryExecution, id, "", b); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Put(ctx, storage.MetricSetPairList, "pl-1", "", pairsJSON); err != nil {
		t.Fatal(err)
	}
	put("done", canary.Execution{Application: "checkout", Status: canary.StatusSucceeded, Complete: true, StorageAccountName: "mem",
		Config: json.RawMessage(`{"name":"checkout-canary"}`), MetricSetPairListID: "pl-1", Result: &canary.Result{JudgeResult: res}})
	put("gone-pairs", canary.Execution{Status: canary.StatusSucceeded, Complete: true, MetricSetPairListID: "pl-deleted", Result: &canary.Result{JudgeResult: res}})
	put("running", canary.Execution{Status: canary.StatusRunning})

	code, h, body := get("/report/done")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("done: %d %v", code, h)
	}
	if n := strings.Count(body, `<svg class="metric-chart"`); n != len(res.Results) {
		t.Errorf("done: %d charts for %d metrics", n, len(res.Results))
	}
	for _, s := range []string{"Canary report: checkout-canary", "<dd>done</dd>", `<path class="exp" d="M`, "Canary Failed"} {
		if !strings.Contains(body, s) {
			t.Errorf("done: page lacks %q", s)
		}
	}

	code, _, body = get("/report/gone-pairs")
	if code != 200 || !strings.Contains(body, "pl-deleted (not found: no series to draw)") || !strings.Contains(body, "No metric set pair was stored") {
		t.Errorf("gone-pairs: %d", code)
	}

	code, _, body = get("/report/running")
	if code != 200 || !strings.Contains(body, "is not complete yet (status running)") || !strings.Contains(body, `http-equiv="refresh"`) {
		t.Errorf("running: %d\n%s", code, body)
	}

	for _, tc := range []struct{ path, msg string }{
		{"/report/nope", "nope"},
		{"/report/done?storageAccountName=other", "Unable to resolve account other"},
	} {
		code, h, body = get(tc.path)
		var e struct {
			Message string `json:"message"`
		}
		want := 404
		if strings.Contains(tc.path, "storageAccountName") {
			want = 400
		}
		if code != want || h.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: %d %s", tc.path, code, body)
		}
	}
}

func TestReportRouteToken(t *testing.T) {
	svc := canary.New(canary.Options{Accounts: &canary.Accounts{Stores: []canary.StoreAccount{
		{Name: "mem", Types: []config.SupportedType{config.ObjectStore}, Store: storage.NewMemory("mem")}}}})
	defer svc.Close()
	srv := httptest.NewServer(New(Options{Service: svc, Config: &config.Config{}, AuthToken: "s3cret"}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/report/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
}

// TestReportRouteAnalysis serves GET /report/{id} for standalone analyses
// written straight into an in-memory store, with the execution and pair list
// of their last judgement.
func TestReportRouteAnalysis(t *testing.T) {
	ctx := context.Background()
	store, get, pairsJSON, res := reportFixture(t)
	put := func(typ storage.ObjectType, id string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Put(ctx, typ, id, "", b); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Put(ctx, storage.MetricSetPairList, "pl-2", "", pairsJSON); err != nil {
		t.Fatal(err)
	}
	cfgJSON := json.RawMessage(`{"name":"checkout-canary"}`)
	t0 := time.Date(2025, 4, 8, 12, 0, 0, 0, time.UTC)
	judged := func(i int, id, list string) canary.ExecutionResult {
		return canary.ExecutionResult{ExecutionID: id, ExecutionStatus: "SUCCEEDED", MetricSetPairListID: list, StorageAccountName: "mem",
			JudgementStartTimeMillis: t0.UnixMilli(), JudgementEndTimeMillis: t0.Add(time.Duration(i) * 5 * time.Minute).UnixMilli(),
			Result: &canary.Result{JudgeResult: res}}
	}
	put(storage.CanaryExecution, "sa-ex-2", canary.Execution{PipelineID: "sa-ex-2", ParentPipelineExecutionID: "sa-done", Status: canary.StatusTerminal,
		Complete: true, StorageAccountName: "mem", Config: cfgJSON, MetricSetPairListID: "pl-2", Result: &canary.Result{JudgeResult: res}})
	put(storage.StandaloneExecution, "sa-done", canary.Analysis{PipelineID: "sa-done", Status: canary.StatusTerminal, Complete: true,
		StorageAccountName: "mem", CanaryConfig: cfgJSON, Exception: &canary.Exception{Message: "Canary score is not above the marginal score threshold."},
		Plan: &canary.AnalysisPlan{Start: t0, Interval: 5 * time.Minute, Count: 3},
		CanaryAnalysisExecutionResult: &canary.AnalysisResult{CanaryScoreMessage: "Final canary score 0.0 is not above the marginal score threshold.",
			CanaryExecutionResults: []canary.ExecutionResult{judged(1, "sa-ex-1", "pl-1"), judged(2, "sa-ex-2", "pl-2")}}})
	// The last judgement's execution is gone: the page shows the judgement
	// as the analysis stored it, with the series of its pair list.
	put(storage.StandaloneExecution, "sa-gone", canary.Analysis{PipelineID: "sa-gone", Status: canary.StatusSucceeded, Complete: true,
		StorageAccountName: "mem", CanaryConfig: cfgJSON, Plan: &canary.AnalysisPlan{Start: t0, Interval: 5 * time.Minute, Count: 1},
		CanaryAnalysisExecutionResult: &canary.AnalysisResult{CanaryExecutionResults: []canary.ExecutionResult{judged(1, "sa-ex-deleted", "pl-2")}}})
	put(storage.StandaloneExecution, "sa-running", canary.Analysis{PipelineID: "sa-running", Status: canary.StatusRunning, StorageAccountName: "mem",
		CanaryConfig: cfgJSON, Plan: &canary.AnalysisPlan{Start: t0, Interval: 5 * time.Minute, Count: 3, RealTime: true, NextIndex: 1},
		StageStatus:                   []canary.StageStatus{{Type: "wait", Name: "Interval Wait #1", Status: canary.StatusRunning}},
		CanaryAnalysisExecutionResult: &canary.AnalysisResult{CanaryExecutionResults: []canary.ExecutionResult{}}})

	for _, path := range []string{"/report/sa-done", "/report/sa-done?storageAccountName=mem"} {
		code, h, body := get(path)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("%s: %d %v\n%s", path, code, h, body)
		}
		if n := strings.Count(body, `<svg class="metric-chart"`); n != len(res.Results) {
			t.Errorf("%s: %d charts for %d metrics", path, n, len(res.Results))
		}
		for _, s := range []string{"Canary report: checkout-canary", "<dd>sa-ex-2</dd>", "<dd>sa-done (terminal)</dd>",
			"<dt>Interval 1/3</dt><dd>score 0 (Fail), window 12:00:00–12:05:00 UTC</dd>",
			"<dt>Interval 2/3</dt><dd>score 0 (Fail), window 12:00:00–12:10:00 UTC</dd>",
			"The analysis stopped after interval 2/3: Canary score is not above the marginal score threshold.", `<path class="exp" d="M`} {
			if !strings.Contains(body, s) {
				t.Errorf("%s: page lacks %q", path, s)
			}
		}
		if strings.Contains(body, "Interval 3/3") || strings.Contains(body, `http-equiv="refresh"`) {
			t.Errorf("%s: an interval not run, or a reload", path)
		}
	}

	code, _, body := get("/report/sa-gone")
	if code != 200 || strings.Count(body, `<svg class="metric-chart"`) != len(res.Results) || !strings.Contains(body, "<dd>sa-ex-deleted</dd>") ||
		!strings.Contains(body, "<dt>Interval 1/1</dt>") {
		t.Errorf("sa-gone: %d\n%s", code, body)
	}

	code, _, body = get("/report/sa-running")
	if code != 200 || !strings.Contains(body, `<meta http-equiv="refresh" content="10">`) ||
		!strings.Contains(body, "Standalone analysis sa-running has no judgement yet (status running)") ||
		!strings.Contains(body, "Next stage: Interval Wait #1 (running, until 12:05:00 UTC).") {
		t.Errorf("sa-running: %d\n%s", code, body)
	}

	for _, path := range []string{"/report/unknown", "/report/unknown?storageAccountName=mem"} {
		code, h, body := get(path)
		var e struct {
			Message string `json:"message"`
		}
		if code != 404 || h.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(body), &e) != nil ||
			!strings.Contains(e.Message, "canary execution unknown") {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	if code, _, body := get("/report/sa-done?storageAccountName=other"); code != 400 || !strings.Contains(body, "Unable to resolve account other") {
		t.Errorf("unknown account: %d %s", code, body)
	}
}
