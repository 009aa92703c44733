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

	"github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/storage"
)

// TestReportRoute serves GET /report/{executionId} from executions written
// straight into an in-memory store.
func TestReportRoute(t *testing.T) {
	ctx := context.Background()
	store := storage.NewMemory("mem")
	svc := canary.New(canary.Options{Accounts: &canary.Accounts{Stores: []canary.StoreAccount{
		{Name: "mem", Types: []config.SupportedType{config.ObjectStore, config.ConfigurationStore}, Store: store}}}})
	defer svc.Close()
	srv := httptest.NewServer(New(Options{Service: svc, Config: &config.Config{}}))
	defer srv.Close()

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

	get := func(path string) (int, http.Header, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}

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
