package server_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctlproject/ctl/internal/testinfra"
	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/server"
)

// The fixture: a real Prometheus holding 30 minutes of request counters,
// backfilled 3 hours in the past, for a baseline, a healthy canary (same
// error rate) and a faulty canary (30% errors), and a real S3 (versitygw).

var windowStart, windowLen = testinfra.CanaryWindowStart, testinfra.CanaryWindowLen

func openMetrics() string { return testinfra.CanaryHistory(windowStart, windowLen) }

const canaryConfigJSON = `{
  "name": "error-ratio",
  "applications": ["guestbook"],
  "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
  "metrics": [{
    "name": "error ratio",
    "query": {"type": "prometheus",
      "customInlineTemplate": "PromQL:sum(rate(requests_total{version=\"${scope}\",code=\"500\"}[1m])) / sum(rate(requests_total{version=\"${scope}\"}[1m]))"},
    "groups": ["errors"],
    "scopeName": "default",
    "analysisConfigurations": {"canary": {"direction": "increase", "critical": true}}
  }],
  "classifier": {"groupWeights": {"errors": 100}}
}`

type fixture struct {
	prom *testinfra.Prometheus
	s3   *testinfra.S3
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{prom: testinfra.StartPrometheus(t, testinfra.WithOpenMetrics(openMetrics())), s3: testinfra.StartS3(t)}
	f.s3.CreateBucket(t, "kayenta")
	return f
}

// kayentaYML is what `ctl deploy` generates, written by hand here.
func (f *fixture) kayentaYML(promURL string, extra string) string {
	return fmt.Sprintf(`server.port: 0
kayenta:
  prometheus:
    enabled: true
    accounts:
      - name: my-prometheus
        endpoint: {baseUrl: %s}
  aws:
    enabled: true
    accounts:
      - name: my-s3
        bucket: kayenta
        rootFolder: kayenta
        region: %s
        endpoint: %s
        explicitCredentials: {accessKey: %s, secretKey: %s}
        supportedTypes: [OBJECT_STORE, CONFIGURATION_STORE]
  s3.enabled: true
  standaloneCanaryAnalysis.enabled: true
  metrics.retry: {attempts: 2, backoffPeriodMultiplierMs: 10}
ctl.executions: {fetchTimeout: 3s, leaseTTL: 2s}
%s`, promURL, f.s3.Region, f.s3.Endpoint, f.s3.AccessKey, f.s3.SecretKey, extra)
}

// serve starts the service in this process and returns its base URL and a stop function.
func serve(t testing.TB, yml string) (string, func()) {
	t.Helper()
	return serveWith(t, yml, server.Options{})
}

// serveWith is serve with server options (a fake clock, a token).
func serveWith(t testing.TB, yml string, o server.Options) (string, func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kayenta.yml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	stop := sync.OnceFunc(func() { // a test may stop it before its cleanup does
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("server did not stop within 20s")
		}
	})
	t.Cleanup(stop)
	return "http://" + ln.Addr().String(), stop
}

// call does one request the way Argo Rollouts' Kayenta provider does
// (plain client, 15 s timeout, no escaping) and decodes the JSON answer.
func call(t testing.TB, method, url string, body any, out any) int {
	t.Helper()
	code, err := doJSON(testClient, method, url, body, out)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return code
}

// argoMeasure is Argo Rollouts' Kayenta provider: look the config up by
// application, start with empty account names, poll until complete, read
// result.judgeResult.score.score (truncated to an int).
func argoMeasure(t *testing.T, base, experiment string) (int, map[string]any) {
	t.Helper()
	var configs []map[string]any
	if code := call(t, "GET", fmt.Sprintf("%s/canaryConfig?application=%s&configurationAccountName=%s", base, "guestbook", ""), nil, &configs); code != 200 {
		t.Fatalf("GET /canaryConfig: %d", code)
	}
	id := ""
	for _, c := range configs {
		if c["name"] == "error-ratio" {
			id = c["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("Canary config not found in %v", configs)
	}
	start, end := windowStart.Format(time.RFC3339), windowStart.Add(windowLen).Format(time.RFC3339)
	body := map[string]any{"scopes": map[string]any{"default": map[string]any{
		"controlScope":    map[string]any{"scope": "baseline", "location": "", "step": 60, "start": start, "end": end},
		"experimentScope": map[string]any{"scope": experiment, "location": "", "step": 60, "start": start, "end": end},
	}}, "thresholds": map[string]any{"pass": 95, "marginal": 75}}
	var started map[string]any
	url := fmt.Sprintf("%s/canary/%s?application=%s&metricsAccountName=%s&configurationAccountName=%s&storageAccountName=%s", base, id, "guestbook", "", "", "")
	if code := call(t, "POST", url, body, &started); code != 200 {
		t.Fatalf("POST /canary: %d %v", code, started)
	}
	exID := fmt.Sprintf("%v", started["canaryExecutionId"])
	return pollScore(t, base, exID)
}

func pollScore(t testing.TB, base, exID string) (int, map[string]any) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var st map[string]any
		if code := call(t, "GET", base+"/canary/"+exID, nil, &st); code != 200 {
			t.Fatalf("GET /canary/%s: %d %v", exID, code, st)
		}
		complete, ok := st["complete"].(bool)
		if !ok {
			t.Fatalf("Missing Complete Status: %v", st)
		}
		if complete {
			res, _ := st["result"].(map[string]any)
			jr, _ := res["judgeResult"].(map[string]any)
			sc, _ := jr["score"].(map[string]any)
			score, ok := sc["score"].(float64)
			if !ok {
				return -1, st
			}
			return int(score), st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("execution %s not complete after 60s", exID)
	return 0, nil
}

func TestArgoRolloutsHealthyPassesFaultyFails(t *testing.T) {
	f := newFixture(t)
	base, _ := serve(t, f.kayentaYML(f.prom.URL, ""))
	storeConfigID(t, base)

	score, st := argoMeasure(t, base, "canary-healthy")
	if score < 95 {
		t.Errorf("healthy canary scored %d, want >= 95 (Successful): %v", score, st)
	}
	if st["status"] != "succeeded" || st["metricSetPairListId"] == "" {
		t.Errorf("status %v", st["status"])
	}
	score, st = argoMeasure(t, base, "canary-faulty")
	if score >= 75 {
		t.Errorf("faulty canary scored %d, want < 75 (Failed): %v", score, st)
	}
	jr := st["result"].(map[string]any)["judgeResult"].(map[string]any)
	r0 := jr["results"].([]any)[0].(map[string]any)
	if r0["classification"] != "High" || r0["critical"] != true {
		t.Errorf("faulty metric: %v", r0)
	}
	// Stored in S3 at Kayenta's keys.
	keys := listKeys(t, f)
	for _, prefix := range []string{"kayenta/canary_config/", "kayenta/canary_execution/", "kayenta/metric_pairs/", "kayenta/canary_archive/"} {
		if !hasPrefix(keys, prefix) {
			t.Errorf("no S3 key under %s: %v", prefix, keys)
		}
	}
}

func listKeys(t *testing.T, f *fixture) []string {
	out, err := f.s3.Client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: ptr("kayenta")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	return keys
}

func hasPrefix(keys []string, p string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }
