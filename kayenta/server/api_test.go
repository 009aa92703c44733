package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// API safety: Kayenta's 400/404 rules and {"message"} bodies, the body size
// limit, the bearer token, /metrics, listing, cancel, re-judging and secret
// hiding, on an in-process service over the real Prometheus and S3.

// raw does one request and returns the status and the body.
func raw(t testing.TB, method, url string, header http.Header, body []byte) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp.StatusCode, b
}

// wantError checks a Kayenta error answer: the status and a JSON
// {"message"} containing every one of msgs.
func wantError(t *testing.T, what string, code int, body []byte, wantCode int, msgs ...string) {
	t.Helper()
	var e struct {
		Message *string `json:"message"`
	}
	if code != wantCode {
		t.Errorf("%s: status %d, want %d: %s", what, code, wantCode, body)
		return
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Message == nil || *e.Message == "" {
		t.Errorf("%s: body %s is not {\"message\": …}", what, body)
		return
	}
	for _, m := range msgs {
		if !strings.Contains(*e.Message, m) {
			t.Errorf("%s: message %q does not contain %q", what, *e.Message, m)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// executionBody is a CanaryExecutionRequest over the whole backfill.
func executionBody(experiment string) map[string]any {
	s, e := windowStart.UTC().Format(time.RFC3339), windowStart.Add(windowLen).UTC().Format(time.RFC3339)
	return map[string]any{"scopes": map[string]any{"default": map[string]any{
		"controlScope":    map[string]any{"scope": "baseline", "location": "", "step": 60, "start": s, "end": e},
		"experimentScope": map[string]any{"scope": experiment, "location": "", "step": 60, "start": s, "end": e},
	}}, "thresholds": map[string]any{"pass": 95, "marginal": 75}}
}

func configWith(t testing.TB, edit func(map[string]any)) map[string]any {
	t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal([]byte(canaryConfigJSON), &cfg); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(cfg)
	}
	return cfg
}

func TestAPISafety(t *testing.T) {
	f := newFixture(t)
	proxy := startSlowProxy(t, f.prom.URL)
	yml, bucket := f.useBucket(t, f.kayentaYML(proxy.URL+"/api-test", "ctl.limits: {maxRequestBytes: 8KiB}\n"))
	base, _ := serve(t, yml)
	configID := storeConfigID(t, base)
	start := base + "/canary/" + configID + "?application=guestbook"

	t.Run("validation", func(t *testing.T) {
		code, body := raw(t, "POST", start, nil, []byte(`{"scopes": {"default": `))
		wantError(t, "truncated JSON", code, body, 400, "Malformed JSON")
		code, body = raw(t, "POST", base+"/canaryConfig", nil, []byte(`{"name": "x",}`))
		wantError(t, "bad JSON config", code, body, 400)
		code, body = raw(t, "POST", start, nil, []byte(`{"scopes": [1, 2]}`))
		wantError(t, "scopes as a list", code, body, 400, "scopes")

		code, body = raw(t, "POST", start+"&metricsAccountName=no-such-prometheus", nil, mustJSON(t, executionBody("canary-healthy")))
		wantError(t, "unknown metrics account", code, body, 400, "Unable to resolve account no-such-prometheus.")
		code, body = raw(t, "POST", start+"&storageAccountName=no-such-store", nil, mustJSON(t, executionBody("canary-healthy")))
		wantError(t, "unknown storage account", code, body, 400, "Unable to resolve account no-such-store.")

		req := executionBody("canary-healthy")
		delete(req, "thresholds")
		code, body = raw(t, "POST", start, nil, mustJSON(t, req))
		wantError(t, "no thresholds", code, body, 400, "Execution request must contain thresholds")

		req = executionBody("canary-healthy")
		req["scopes"] = map[string]any{"other": req["scopes"].(map[string]any)["default"]}
		code, body = raw(t, "POST", start, nil, mustJSON(t, req))
		wantError(t, "metric scope not in the request", code, body, 400, "default")

		adHoc := map[string]any{"canaryConfig": configWith(t, func(c map[string]any) {
			c["judge"] = map[string]any{"name": "NoSuchJudge-v9", "judgeConfigurations": map[string]any{}}
		}), "executionRequest": executionBody("canary-healthy")}
		code, body = raw(t, "POST", base+"/canary?application=guestbook", nil, mustJSON(t, adHoc))
		wantError(t, "unknown judge", code, body, 400, "NoSuchJudge-v9")

		code, body = raw(t, "POST", base+"/canary/no-such-config", nil, mustJSON(t, executionBody("canary-healthy")))
		wantError(t, "unknown config id", code, body, 404, "no-such-config")
		code, body = raw(t, "GET", base+"/canaryConfig/no-such-config", nil, nil)
		wantError(t, "GET unknown config", code, body, 404)
		code, body = raw(t, "GET", base+"/canary/0b8f6a62-3c1e-4f4e-9a57-000000000000", nil, nil)
		wantError(t, "unknown execution", code, body, 404)

		big := configWith(t, func(c map[string]any) { c["description"] = strings.Repeat("x", 9000) })
		code, body = raw(t, "POST", base+"/canaryConfig", nil, mustJSON(t, big))
		wantError(t, "body over maxRequestBytes", code, body, 413)
		// Nothing was stored by the rejected requests.
		var list []map[string]any
		call(t, "GET", base+"/canary/executions?application=guestbook", nil, &list)
		if len(list) != 0 {
			t.Errorf("rejected requests left %d executions", len(list))
		}
	})

	t.Run("metrics", func(t *testing.T) {
		code, body := raw(t, "GET", base+"/metrics", nil, nil)
		if code != 200 || !strings.Contains(string(body), "kayenta_http_requests_total{") {
			t.Errorf("/metrics: %d, kayenta_http_requests_total missing:\n%.2000s", code, body)
		}
	})

	t.Run("credentials hide secrets", func(t *testing.T) {
		code, body := raw(t, "GET", base+"/credentials", nil, nil)
		if code != 200 || !strings.Contains(string(body), "my-s3") {
			t.Fatalf("/credentials: %d %s", code, body)
		}
		if strings.Contains(string(body), f.s3.SecretKey) {
			t.Errorf("/credentials shows the S3 secret key: %s", body)
		}
	})

	t.Run("list newest first, cancel, re-judge", func(t *testing.T) {
		proxy.setDelay(0)
		var ids []string
		for _, exp := range []string{"canary-faulty", "canary-healthy", "canary-faulty"} {
			// Distinct build times, so that the order is defined.
			for t0 := time.Now().UnixMilli(); time.Now().UnixMilli() < t0+2; {
				time.Sleep(time.Millisecond)
			}
			ids = append(ids, startExecution(t, base, configID, exp, windowStart, windowLen))
		}
		// Another application's execution is not listed under guestbook.
		var started map[string]string
		if code := call(t, "POST", base+"/canary/"+configID+"?application=other-app", executionBody("canary-healthy"), &started); code != 200 {
			t.Fatalf("POST for other-app: %d", code)
		}
		other := started["canaryExecutionId"]
		waitComplete(t, base, other, 30*time.Second)
		// Cancelling a finished execution is accepted and changes nothing.
		code, body := raw(t, "PUT", base+"/pipelines/"+other+"/cancel", nil, nil)
		if code != 202 {
			t.Errorf("cancel of a finished execution: %d %s", code, body)
		}
		if st := getExecution(t, base, other); st["status"] != "succeeded" {
			t.Errorf("a finished execution became %v after a cancel", st["status"])
		}
		var finished []map[string]any
		for _, id := range ids {
			finished = append(finished, waitComplete(t, base, id, 30*time.Second))
		}
		var list []map[string]any
		if code := call(t, "GET", base+"/canary/executions?application=guestbook", nil, &list); code != 200 {
			t.Fatalf("GET /canary/executions: %d", code)
		}
		var got []any
		for _, e := range list {
			got = append(got, e["pipelineId"])
		}
		want := []any{ids[2], ids[1], ids[0]}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("GET /canary/executions order %v, want newest first %v", got, want)
		}
		for i := 1; i < len(list); i++ {
			if list[i-1]["buildTimeMillis"].(float64) < list[i]["buildTimeMillis"].(float64) {
				t.Errorf("entry %d is older than entry %d", i-1, i)
			}
		}
		var none []map[string]any
		if code := call(t, "GET", base+"/canary/executions?application=nobody", nil, &none); code != 200 || len(none) != 0 {
			t.Errorf("application=nobody: %d %v", code, none)
		}

		// POST /judges/judge on a finished execution's pair list gives its score.
		for i, st := range finished {
			score, ok := scoreOf(st)
			if st["status"] != "succeeded" || !ok {
				t.Fatalf("execution %d: %v", i, st)
			}
			var jr map[string]any
			u := fmt.Sprintf("%s/judges/judge?canaryConfigId=%s&metricSetPairListId=%s&passThreshold=95&marginalThreshold=75", base, configID, st["metricSetPairListId"])
			if code := call(t, "POST", u, nil, &jr); code != 200 {
				t.Fatalf("POST /judges/judge: %d %v", code, jr)
			}
			again, _ := jr["score"].(map[string]any)["score"].(float64)
			orig := st["result"].(map[string]any)["judgeResult"].(map[string]any)
			if again != score || fmt.Sprint(jr["results"]) != fmt.Sprint(orig["results"]) {
				t.Errorf("execution %d: re-judged score %v, want %v\n got %v\nwant %v", i, again, score, jr["results"], orig["results"])
			}
		}
		code, body = raw(t, "POST", base+"/judges/judge?canaryConfigId="+configID+"&passThreshold=95&marginalThreshold=75", nil, nil)
		wantError(t, "judge without metricSetPairListId", code, body, 400, "metricSetPairListId")
	})

	t.Run("cancel a running execution", func(t *testing.T) {
		proxy.setDelay(time.Hour)
		defer proxy.setDelay(0)
		id := startExecution(t, base, configID, "canary-healthy", windowStart.Add(time.Minute), 20*time.Minute)
		proxy.waitHit(t, 20*time.Second, "of the execution to cancel", func(h fetchHit) bool {
			return h.start.Equal(windowStart.Add(time.Minute))
		})
		code, body := raw(t, "PUT", base+"/pipelines/"+id+"/cancel", nil, nil)
		if code != 202 {
			t.Fatalf("PUT /pipelines/%s/cancel: %d %s", id, code, body)
		}
		st := getExecution(t, base, id)
		if st["status"] != "canceled" || st["complete"] != true {
			t.Fatalf("after cancel: %v", st)
		}
		// The worker lets go of its fetches and of the execution's lease
		// (it releases it when it returns), and writes nothing over the cancel.
		deadline := time.Now().Add(10 * time.Second)
		for proxy.inflight.Load() != 0 || len(f.s3Keys(t, bucket, "kayenta/leases/canary-"+id)) != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("10s after the cancel: %d fetches held, lease %v", proxy.inflight.Load(), f.s3Keys(t, bucket, "kayenta/leases/canary-"+id))
			}
			time.Sleep(10 * time.Millisecond)
		}
		if st := getExecution(t, base, id); st["status"] != "canceled" {
			t.Errorf("status after the worker stopped: %v", st["status"])
		}
		code, body = raw(t, "PUT", base+"/pipelines/no-such-execution/cancel", nil, nil)
		wantError(t, "cancel unknown", code, body, 404)
	})
}

const apiToken = "s3cr3t-t0ken"

// serveWithToken serves with ctl.auth.tokenFile holding apiToken.
func serveWithToken(t *testing.T) string {
	t.Helper()
	f := newFixture(t)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(apiToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yml, _ := f.useBucket(t, f.kayentaYML(f.prom.URL, "ctl.auth: {tokenFile: "+tokenFile+"}\n"))
	base, _ := serve(t, yml)
	return base
}

func TestAPIAuthToken(t *testing.T) {
	base := serveWithToken(t)
	const token = apiToken
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

	code, body := raw(t, "GET", base+"/canaryConfig", nil, nil)
	wantError(t, "no token", code, body, 401)
	code, body = raw(t, "GET", base+"/canaryConfig", bearer("wrong"), nil)
	wantError(t, "wrong token", code, body, 401)
	code, body = raw(t, "POST", base+"/canaryConfig", nil, mustJSON(t, configWith(t, nil)))
	wantError(t, "POST without token", code, body, 401)
	if code, body := raw(t, "GET", base+"/canaryConfig", bearer(token), nil); code != 200 {
		t.Errorf("right token: %d %s", code, body)
	}
	if code, body := raw(t, "POST", base+"/canaryConfig", bearer(token), mustJSON(t, configWith(t, nil))); code != 200 {
		t.Errorf("POST with the right token: %d %s", code, body)
	}
	if code, body := raw(t, "GET", base+"/credentials", bearer(token), nil); code != 200 || strings.Contains(string(body), token) {
		t.Errorf("/credentials: %d, token shown: %v", code, strings.Contains(string(body), token))
	}
}

// TestAPIHealthWithoutToken: probes (Kubernetes liveness/readiness, load
// balancers) and scrapers carry no token, so /health and /metrics stay open
// when ctl.auth.tokenFile is set (api.Options.AuthToken's contract).
func TestAPIHealthWithoutToken(t *testing.T) {
	base := serveWithToken(t)
	for _, path := range []string{"/health", "/metrics"} {
		if code, body := raw(t, "GET", base+path, nil, nil); code != 200 {
			t.Errorf("GET %s without a token: %d %.300s", path, code, body)
		}
	}
}
