package promstore

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// call sends a GET (params in the URL) or a POST (form body) and returns
// status, Content-Type and body.
func call(t *testing.T, method, u string, params url.Values) (int, string, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		if len(params) > 0 {
			u += "?" + params.Encode()
		}
		resp, err = http.Get(u)
	} else {
		resp, err = http.Post(u, "application/x-www-form-urlencoded", strings.NewReader(params.Encode()))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestAPIResponses(t *testing.T) {
	t.Parallel()
	e := newExposition(t, "# TYPE g gauge\ng{k=\"v\"} 1.5\n")
	s := startStore(t, Options{ScrapeInterval: 100 * time.Millisecond, Targets: []Target{{Job: "api", URL: e.srv.URL}}})
	waitScrapes(t, s, e.srv.URL, 2)
	u := s.URL()
	const ok, badReq = 200, 400
	errBody := func(typ, msg string) string {
		return `{"status":"error","errorType":"` + typ + `","error":"` + msg + `"}`
	}

	for _, tc := range []struct {
		name   string
		method string
		path   string
		params url.Values
		status int
		body   string // exact, or a prefix when it ends in "…"
	}{
		// Exact encodings of each result type, as Prometheus writes them.
		{"vector", "GET", "/api/v1/query", url.Values{"query": {"vector(1)"}, "time": {"1700000000.5"}}, ok,
			`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.5,"1"]}]}}`},
		{"vector POST", "POST", "/api/v1/query", url.Values{"query": {"vector(1)"}, "time": {"2023-11-14T22:13:20Z"}}, ok,
			`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"1"]}]}}`},
		{"matrix", "POST", "/api/v1/query_range", url.Values{"query": {"vector(2)"}, "start": {"1700000000"}, "end": {"1700000002"}, "step": {"1s"}}, ok,
			`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"2"],[1700000001,"2"],[1700000002,"2"]]}]}}`},
		{"matrix GET, float step", "GET", "/api/v1/query_range", url.Values{"query": {"vector(2)"}, "start": {"1700000000"}, "end": {"1700000001"}, "step": {"0.5"}}, ok,
			`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"2"],[1700000000.5,"2"],[1700000001,"2"]]}]}}`},
		{"scalar", "GET", "/api/v1/query", url.Values{"query": {"1+1"}, "time": {"1700000000"}}, ok,
			`{"status":"success","data":{"resultType":"scalar","result":[1700000000,"2"]}}`},
		{"string", "GET", "/api/v1/query", url.Values{"query": {`"hello"`}, "time": {"1700000000"}}, ok,
			`{"status":"success","data":{"resultType":"string","result":[1700000000,"hello"]}}`},
		{"NaN and Inf", "GET", "/api/v1/query", url.Values{"query": {"vector(0/0) or label_replace(vector(1/0), \"x\", \"y\", \"\", \"\") or label_replace(vector(-1/0), \"x\", \"z\", \"\", \"\")"}, "time": {"1700000000"}}, ok,
			`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"NaN"]},{"metric":{"x":"y"},"value":[1700000000,"+Inf"]},{"metric":{"x":"z"},"value":[1700000000,"-Inf"]}]}}`},
		{"empty vector", "GET", "/api/v1/query", url.Values{"query": {"nothing_here"}}, ok,
			`{"status":"success","data":{"resultType":"vector","result":[]}}`},
		{"empty matrix", "GET", "/api/v1/query_range", url.Values{"query": {"nothing_here"}, "start": {"1700000000"}, "end": {"1700000060"}, "step": {"15"}}, ok,
			`{"status":"success","data":{"resultType":"matrix","result":[]}}`},
		{"scraped series", "GET", "/api/v1/query", url.Values{"query": {"g"}}, ok,
			`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"g","instance":"` + e.srv.Listener.Addr().String() + `","job":"api","k":"v"},"value":[…`},
		{"infos", "GET", "/api/v1/query", url.Values{"query": {"rate(g[1m])"}}, ok,
			`{"status":"success","data":{"resultType":"vector","result":[…`},

		// Errors, with Prometheus's messages.
		{"bad PromQL", "GET", "/api/v1/query", url.Values{"query": {"sum("}}, badReq,
			errBody("bad_data", `invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis`)},
		{"no query", "GET", "/api/v1/query", nil, badReq,
			errBody("bad_data", `invalid parameter \"query\": unknown position: parse error: no expression found in input`)},
		{"bad time", "GET", "/api/v1/query", url.Values{"query": {"1"}, "time": {"yesterday"}}, badReq,
			errBody("bad_data", `invalid parameter \"time\": invalid time value for 'time': cannot parse \"yesterday\" to a valid timestamp`)},
		{"bad start", "GET", "/api/v1/query_range", url.Values{"query": {"1"}, "start": {"x"}, "end": {"1"}, "step": {"1"}}, badReq,
			errBody("bad_data", `invalid parameter \"start\": cannot parse \"x\" to a valid timestamp`)},
		{"end before start", "GET", "/api/v1/query_range", url.Values{"query": {"1"}, "start": {"10"}, "end": {"1"}, "step": {"1"}}, badReq,
			errBody("bad_data", `invalid parameter \"end\": end timestamp must not be before start time`)},
		{"zero step", "GET", "/api/v1/query_range", url.Values{"query": {"1"}, "start": {"1"}, "end": {"10"}, "step": {"0"}}, badReq,
			errBody("bad_data", `invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer`)},
		{"bad step", "GET", "/api/v1/query_range", url.Values{"query": {"1"}, "start": {"1"}, "end": {"10"}, "step": {"often"}}, badReq,
			errBody("bad_data", `invalid parameter \"step\": cannot parse \"often\" to a valid duration`)},
		{"too many points", "GET", "/api/v1/query_range", url.Values{"query": {"1"}, "start": {"0"}, "end": {"20000"}, "step": {"1"}}, badReq,
			errBody("bad_data", `exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)`)},
		{"bad timeout", "GET", "/api/v1/query", url.Values{"query": {"1"}, "timeout": {"soon"}}, badReq,
			errBody("bad_data", `invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration`)},
		{"execution error", "GET", "/api/v1/query", url.Values{"query": {`label_replace(vector(1), "x", "y", "x", "[")`}}, 422,
			`{"status":"error","errorType":"execution","error":"…`},
		{"timeout", "GET", "/api/v1/query", url.Values{"query": {`g`}, "timeout": {"0.000000001"}}, 503,
			`{"status":"error","errorType":"timeout","error":"…`},

		// Metadata.
		{"names", "GET", "/api/v1/label/__name__/values", nil, ok,
			`{"status":"success","data":["g","scrape_duration_seconds","scrape_samples_scraped","up"]}`},
		{"names matching", "GET", "/api/v1/label/__name__/values", url.Values{"match[]": {`{job="api",__name__=~"g|up"}`}}, ok,
			`{"status":"success","data":["g","up"]}`},
		{"values of a missing label", "GET", "/api/v1/label/nope/values", nil, ok,
			`{"status":"success","data":[]}`},
		{"escaped label name", "GET", "/api/v1/label/U__k/values", nil, ok,
			`{"status":"success","data":["v"]}`},
		{"labels", "POST", "/api/v1/labels", url.Values{"match[]": {"g"}}, ok,
			`{"status":"success","data":["__name__","instance","job","k"]}`},
		{"series", "GET", "/api/v1/series", url.Values{"match[]": {"g", `up{job="api"}`}}, ok,
			`{"status":"success","data":[{"__name__":"g","instance":"` + e.srv.Listener.Addr().String() + `","job":"api","k":"v"},{"__name__":"up","instance":"` + e.srv.Listener.Addr().String() + `","job":"api"}]}`},
		{"series without match", "GET", "/api/v1/series", nil, badReq,
			errBody("bad_data", "no match[] parameter provided")},
		{"series matching everything", "GET", "/api/v1/series", url.Values{"match[]": {`{k=~".*"}`}}, badReq,
			errBody("bad_data", "match[] must contain at least one non-empty matcher")},
		{"bad matcher", "GET", "/api/v1/series", url.Values{"match[]": {`{`}}, badReq,
			`{"status":"error","errorType":"bad_data","error":"1:2: parse error: …`},
		{"buildinfo", "GET", "/api/v1/status/buildinfo", nil, ok,
			`{"status":"success","data":{"version":"3.16.0","revision":"","branch":"ctl-promstore","buildUser":"","buildDate":"","goVersion":"go…`},
		{"targets", "GET", "/api/v1/targets", nil, ok,
			`{"status":"success","data":{"activeTargets":[{"discoveredLabels":{"__address__":"` + e.srv.Listener.Addr().String() + `","__metrics_path__":"/metrics","__scheme__":"http","__scrape_interval__":"100ms","__scrape_timeout__":"100ms","job":"api"},"labels":{"instance":"` + e.srv.Listener.Addr().String() + `","job":"api"},"scrapePool":"api","scrapeUrl":"` + e.srv.URL + `/metrics","globalUrl":"` + e.srv.URL + `/metrics","lastError":"","lastScrape":"…`},
	} {
		status, ct, body := call(t, tc.method, u+tc.path, tc.params)
		want := tc.body
		match := body == want
		if prefix, ok := strings.CutSuffix(want, "…"); ok {
			match = strings.HasPrefix(body, prefix)
		}
		if status != tc.status || ct != "application/json" || !match {
			t.Errorf("%s: %s %s %v\n got HTTP %d %s %s\nwant HTTP %d %s", tc.name, tc.method, tc.path, tc.params, status, ct, body, tc.status, want)
		}
	}

	// rate() of a gauge: a result with Prometheus's info annotation.
	_, _, body := call(t, "GET", u+"/api/v1/query", url.Values{"query": {"rate(g[1m])"}})
	if !strings.Contains(body, `"infos":["PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"g\" (1:6)"]`) {
		t.Errorf("rate(g[1m]) has no info annotation: %s", body)
	}

	for path, want := range map[string]string{"/-/healthy": "Prometheus Server is Healthy.\n", "/-/ready": "Prometheus Server is Ready.\n"} {
		status, _, body := get(t, u+path)
		if status != 200 || body != want {
			t.Errorf("%s = %d %q", path, status, body)
		}
	}
	if status, _, _ := get(t, u+"/api/v1/nothing"); status != 404 {
		t.Errorf("unknown endpoint: %d", status)
	}
	req, _ := http.NewRequest(http.MethodPut, u+"/api/v1/query", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT /api/v1/query: %d", resp.StatusCode)
	}
}
