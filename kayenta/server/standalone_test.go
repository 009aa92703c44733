package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctlproject/ctl/kayenta/server"
)

// Standalone canary analysis (kayenta.md §4) through HTTP, against the real
// Prometheus and S3 of the fixture, in compressed time: the service runs on
// a fakeClock whose Sleep moves virtual time forward at once, so the seed
// pipeline's 3-minute real-time analysis takes well under a second.

// fakeClock is a canary.Clock in compressed time. Now starts at a fixed
// instant; Sleep advances it by d at once (unless ctx is done).
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  time.Duration
	sleeps int
}

func newFakeClock(start time.Time) *fakeClock { return &fakeClock{now: start} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps++
	if d > 0 {
		c.now = c.now.Add(d)
		c.slept += d
	}
	return nil
}

// totals returns the number of Sleep calls and the virtual time slept.
func (c *fakeClock) totals() (int, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sleeps, c.slept
}

var bucketSeq atomic.Int64

// useBucket creates a fresh bucket on the fixture's S3 and points yml (from
// kayentaYML) at it, so tests that count objects or run side by side do not
// see each other's executions.
func (f *fixture) useBucket(t testing.TB, yml string) (string, string) {
	t.Helper()
	name := fmt.Sprintf("kayenta-%d-%d", time.Now().UnixNano()%1e6, bucketSeq.Add(1))
	f.s3.CreateBucket(t, name)
	out := strings.Replace(yml, "bucket: kayenta\n", "bucket: "+name+"\n", 1)
	if out == yml {
		t.Fatal("kayentaYML has no 'bucket: kayenta' line to replace")
	}
	return out, name
}

// storeConfigID stores canaryConfigJSON and returns its id.
func storeConfigID(t testing.TB, base string) string {
	t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal([]byte(canaryConfigJSON), &cfg); err != nil {
		t.Fatal(err)
	}
	var created map[string]any
	if code := call(t, "POST", base+"/canaryConfig", cfg, &created); code != 200 {
		t.Fatalf("POST /canaryConfig: %d %v", code, created)
	}
	id, _ := created["canaryConfigId"].(string)
	if id == "" {
		t.Fatalf("POST /canaryConfig: no canaryConfigId in %v", created)
	}
	return id
}

// seedRequest is the seed pipeline's canary stage (automated-canary.json)
// as a CanaryAnalysisExecutionRequest: lifetime 3 min, interval 1 min,
// marginal 75, pass 95, real time (no endTimeIso), step 60.
func seedRequest(experiment string) map[string]any {
	return map[string]any{
		"scopes": []any{map[string]any{
			"scopeName": "default", "controlScope": "baseline", "controlLocation": "default",
			"experimentScope": experiment, "experimentLocation": "default", "step": 60, "extendedScopeParams": map[string]any{},
		}},
		"thresholds":           map[string]any{"marginal": 75, "pass": 95},
		"lifetimeDurationMins": 3,
		"analysisIntervalMins": 1,
		"beginAfterMins":       0,
	}
}

// analysisStart is where compressed-time analyses begin: inside the
// backfilled window, with room for the lifetime and a warmup after it.
//
// At step 60 a 1-minute window holds 2 points per series, and two samples
// of the same error rate then differ "significantly" about one time in four
// (Mann-Whitney with n=2 puts all four differences on one side): the seed
// pipeline's first judgement is that fragile in production too. The
// fixture's data are seeded, so the windows are the same on every run; every
// window the tests use from minute 10 to 16 of the backfill passes for the
// healthy canary (checked: 1-minute windows starting at minutes 5, 6, 8, 17,
// 18, 21 score 0).
var analysisStart = windowStart.Add(10 * time.Minute)

// standaloneServer starts an in-process service on a fake clock at
// analysisStart, on its own bucket, and stores the canary config.
func standaloneServer(t *testing.T, f *fixture) (base, configID string, clock *fakeClock) {
	t.Helper()
	clock = newFakeClock(analysisStart)
	yml, _ := f.useBucket(t, f.kayentaYML(f.prom.URL, ""))
	base, _ = serveWith(t, yml, server.Options{Clock: clock})
	return base, storeConfigID(t, base), clock
}

func startAnalysis(t *testing.T, base, configID string, req map[string]any) string {
	t.Helper()
	var started map[string]any
	url := base + "/standalone_canary_analysis/" + configID + "?application=guestbook&user=tester"
	if code := call(t, "POST", url, req, &started); code != 200 {
		t.Fatalf("POST %s: %d %v", url, code, started)
	}
	id, _ := started["canaryAnalysisExecutionId"].(string)
	if id == "" {
		t.Fatalf("no canaryAnalysisExecutionId in %v", started)
	}
	return id
}

// pollAnalysis polls GET /standalone_canary_analysis/{id} until complete.
func pollAnalysis(t *testing.T, base, id string) *analysisStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var st analysisStatus
		if code := call(t, "GET", base+"/standalone_canary_analysis/"+id, nil, &st); code != 200 {
			t.Fatalf("GET /standalone_canary_analysis/%s: %d", id, code)
		}
		if st.Complete {
			return &st
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("analysis %s not complete after 60s", id)
	return nil
}

// analysisStatus is the part of CanaryAnalysisExecutionStatusResponse the
// tests read.
type analysisStatus struct {
	Application     string `json:"application"`
	User            string `json:"user"`
	PipelineID      string `json:"pipelineId"`
	Complete        bool   `json:"complete"`
	ExecutionStatus string `json:"executionStatus"`
	Status          string `json:"status"`
	Exception       *struct {
		Message string `json:"message"`
	} `json:"exception"`
	StageStatus []struct {
		Type, Name, Status, ExecutionID string
	} `json:"stageStatus"`
	CanaryConfigID string `json:"canaryConfigId"`
	Result         *struct {
		DidPassThresholds      bool      `json:"didPassThresholds"`
		HasWarnings            bool      `json:"hasWarnings"`
		CanaryScoreMessage     string    `json:"canaryScoreMessage"`
		CanaryScores           []float64 `json:"canaryScores"`
		CanaryExecutionResults []struct {
			ExecutionID           string   `json:"executionId"`
			ExecutionStatus       string   `json:"executionStatus"`
			JudgementStartTimeIso string   `json:"judgementStartTimeIso"`
			JudgementEndTimeIso   string   `json:"judgementEndTimeIso"`
			Warnings              []string `json:"warnings"`
			MetricSetPairListID   string   `json:"metricSetPairListId"`
			BuildTimeIso          string   `json:"buildTimeIso"`
			Result                *struct {
				JudgeResult struct {
					Score struct {
						Score float64 `json:"score"`
					} `json:"score"`
				} `json:"judgeResult"`
			} `json:"result"`
		} `json:"canaryExecutionResults"`
	} `json:"canaryAnalysisExecutionResult"`
}

func (st *analysisStatus) dump() string {
	b, _ := json.MarshalIndent(st, "", "  ")
	return string(b)
}

type window struct{ start, end time.Time }

func (w window) String() string {
	return w.start.UTC().Format(time.RFC3339) + ".." + w.end.UTC().Format(time.RFC3339)
}

// windows returns the judgement windows of a finished analysis.
func (st *analysisStatus) windows(t *testing.T) []window {
	t.Helper()
	var out []window
	for _, r := range st.Result.CanaryExecutionResults {
		s, err := time.Parse(time.RFC3339, r.JudgementStartTimeIso)
		if err != nil {
			t.Fatalf("judgementStartTimeIso: %v", err)
		}
		e, err := time.Parse(time.RFC3339, r.JudgementEndTimeIso)
		if err != nil {
			t.Fatalf("judgementEndTimeIso: %v", err)
		}
		out = append(out, window{s, e})
	}
	return out
}

// wantRealTime checks that every judgement of a real-time analysis was
// started (virtual clock) only once its window had passed.
func wantRealTime(t *testing.T, st *analysisStatus) {
	t.Helper()
	for i, r := range st.Result.CanaryExecutionResults {
		built, err := time.Parse(time.RFC3339, r.BuildTimeIso)
		if err != nil {
			t.Fatalf("judgement %d: buildTimeIso: %v", i+1, err)
		}
		if end := st.windows(t)[i].end; built.Before(end) {
			t.Errorf("judgement %d started at %s, before its window ended at %s", i+1, r.BuildTimeIso, r.JudgementEndTimeIso)
		}
	}
}

func wantWindows(t *testing.T, st *analysisStatus, want []window) {
	t.Helper()
	got := st.windows(t)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("judgement windows\n got %v\nwant %v", got, want)
	}
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }

// stageNames lists the stage names in order.
// wantStagesSucceeded checks the analysis's stages, in order, all succeeded.
func wantStagesSucceeded(t *testing.T, st *analysisStatus, want ...string) {
	t.Helper()
	if got := st.stageNames(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stages %v, want %v", got, want)
	}
	for _, s := range st.StageStatus {
		if s.Status != "succeeded" {
			t.Errorf("stage %s: %s", s.Name, s.Status)
		}
	}
}

func (st *analysisStatus) stageNames() []string {
	var out []string
	for _, s := range st.StageStatus {
		out = append(out, s.Name)
	}
	return out
}

func TestStandaloneSeedPipeline(t *testing.T) {
	f := newFixture(t)

	t.Run("healthy", func(t *testing.T) {
		base, configID, clock := standaloneServer(t, f)
		id := startAnalysis(t, base, configID, seedRequest("canary-healthy"))
		st := pollAnalysis(t, base, id)
		if st.Status != "succeeded" || st.ExecutionStatus != "SUCCEEDED" || st.Exception != nil {
			t.Fatalf("status %s/%s, want succeeded:\n%s", st.Status, st.ExecutionStatus, st.dump())
		}
		r := st.Result
		if r == nil || len(r.CanaryExecutionResults) != 3 || len(r.CanaryScores) != 3 {
			t.Fatalf("want 3 judgements:\n%s", st.dump())
		}
		wantWindows(t, st, []window{
			{analysisStart, analysisStart.Add(minutes(1))},
			{analysisStart, analysisStart.Add(minutes(2))},
			{analysisStart, analysisStart.Add(minutes(3))},
		})
		for i, s := range r.CanaryScores {
			if s < 95 {
				t.Errorf("canaryScores[%d] = %v, want >= 95", i, s)
			}
			if got := r.CanaryExecutionResults[i].Result.JudgeResult.Score.Score; got != s {
				t.Errorf("canaryScores[%d] = %v but judgement %d scored %v", i, s, i+1, got)
			}
		}
		if !r.DidPassThresholds {
			t.Errorf("didPassThresholds false: %s", r.CanaryScoreMessage)
		}
		if !strings.HasPrefix(r.CanaryScoreMessage, "Final canary score ") || !strings.HasSuffix(r.CanaryScoreMessage, " met or exceeded the pass score threshold.") {
			t.Errorf("canaryScoreMessage %q", r.CanaryScoreMessage)
		}
		// Step 60 over 1–3 minutes is a handful of points: Kayenta warns.
		if !r.HasWarnings || len(r.CanaryExecutionResults[0].Warnings) == 0 {
			t.Errorf("want the fewer-than-50-data-points warning:\n%s", st.dump())
		}
		// Each judgement is a stored canary execution of the service.
		seen := map[string]bool{}
		for i, cr := range r.CanaryExecutionResults {
			if cr.ExecutionStatus != "SUCCEEDED" || cr.MetricSetPairListID == "" || seen[cr.ExecutionID] {
				t.Errorf("judgement %d: %+v", i+1, cr)
			}
			seen[cr.ExecutionID] = true
			var ex map[string]any
			if code := call(t, "GET", base+"/canary/"+cr.ExecutionID, nil, &ex); code != 200 || ex["status"] != "succeeded" || ex["parentPipelineExecutionId"] != id {
				t.Errorf("GET /canary/%s: %d %v", cr.ExecutionID, code, ex)
			}
		}
		// Real time: one interval wait per judgement, 3 virtual minutes in all.
		wantStagesSucceeded(t, st, "Interval Wait #1", "Run Canary #1", "Interval Wait #2", "Run Canary #2", "Interval Wait #3", "Run Canary #3", "Generate Canary Analysis Result")
		wantRealTime(t, st)
		if _, slept := clock.totals(); slept < minutes(3) || slept >= minutes(4) {
			t.Errorf("slept %v of virtual time, want the 3m lifetime", slept)
		}
		if st.User != "tester" || st.Application != "guestbook" || st.CanaryConfigID != configID {
			t.Errorf("user %q application %q canaryConfigId %q", st.User, st.Application, st.CanaryConfigID)
		}
	})

	t.Run("faulty stops early", func(t *testing.T) {
		base, configID, _ := standaloneServer(t, f)
		id := startAnalysis(t, base, configID, seedRequest("canary-faulty"))
		st := pollAnalysis(t, base, id)
		if st.Status != "terminal" || st.ExecutionStatus != "TERMINAL" {
			t.Fatalf("status %s/%s, want terminal:\n%s", st.Status, st.ExecutionStatus, st.dump())
		}
		if st.Exception == nil || st.Exception.Message != "Canary score is not above the marginal score threshold." {
			t.Errorf("exception %+v", st.Exception)
		}
		r := st.Result
		if r == nil || len(r.CanaryExecutionResults) != 1 || len(r.CanaryScores) != 1 {
			t.Fatalf("want exactly 1 judgement (early stop):\n%s", st.dump())
		}
		wantWindows(t, st, []window{{analysisStart, analysisStart.Add(minutes(1))}})
		if r.CanaryScores[0] > 75 {
			t.Errorf("first score %v, want <= marginal 75", r.CanaryScores[0])
		}
		if r.DidPassThresholds {
			t.Error("didPassThresholds true for a faulty canary")
		}
		if !strings.HasSuffix(r.CanaryScoreMessage, " is not above the marginal score threshold.") {
			t.Errorf("canaryScoreMessage %q", r.CanaryScoreMessage)
		}
		for _, s := range st.StageStatus {
			if s.Name == "Run Canary #2" || s.Name == "Run Canary #3" {
				if s.Status == "succeeded" || s.ExecutionID != "" {
					t.Errorf("stage %s ran after the early stop: %+v", s.Name, s)
				}
			}
		}
	})
}

func TestStandaloneModes(t *testing.T) {
	f := newFixture(t)

	t.Run("endTimeIso", func(t *testing.T) {
		// A fixed window: no waits, N = lifetime/interval = 6/2 = 3.
		base, configID, clock := standaloneServer(t, f)
		s := windowStart.Add(10 * time.Minute)
		req := seedRequest("canary-healthy")
		sc := req["scopes"].([]any)[0].(map[string]any)
		sc["startTimeIso"] = s.Format(time.RFC3339)
		sc["endTimeIso"] = s.Add(minutes(6)).Add(30 * time.Second).Format(time.RFC3339) // whole minutes: 6
		delete(req, "lifetimeDurationMins")
		req["analysisIntervalMins"] = 2
		st := pollAnalysis(t, base, startAnalysis(t, base, configID, req))
		if st.Status != "succeeded" {
			t.Fatalf("status %s:\n%s", st.Status, st.dump())
		}
		wantWindows(t, st, []window{{s, s.Add(minutes(2))}, {s, s.Add(minutes(4))}, {s, s.Add(minutes(6))}})
		if _, slept := clock.totals(); slept >= minutes(1) {
			t.Errorf("slept %v of virtual time with endTimeIso set, want no interval waits", slept)
		}
		for _, name := range st.stageNames() {
			if strings.Contains(name, "Wait") {
				t.Errorf("stage %q with endTimeIso set", name)
			}
		}
		if len(st.Result.CanaryScores) != 3 || !st.Result.DidPassThresholds {
			t.Errorf("scores %v pass %v", st.Result.CanaryScores, st.Result.DidPassThresholds)
		}
	})

	t.Run("lookbackMins", func(t *testing.T) {
		// Sliding windows: each judgement covers the last lookback minutes.
		base, configID, _ := standaloneServer(t, f)
		req := seedRequest("canary-healthy")
		req["lifetimeDurationMins"] = 4
		req["analysisIntervalMins"] = 2
		req["lookbackMins"] = 1
		st := pollAnalysis(t, base, startAnalysis(t, base, configID, req))
		if st.Status != "succeeded" {
			t.Fatalf("status %s:\n%s", st.Status, st.dump())
		}
		s := analysisStart
		wantWindows(t, st, []window{{s.Add(minutes(1)), s.Add(minutes(2))}, {s.Add(minutes(3)), s.Add(minutes(4))}})
	})

	t.Run("beginAfterMins", func(t *testing.T) {
		// A warmup shifts both ends of every real-time window.
		base, configID, clock := standaloneServer(t, f)
		req := seedRequest("canary-healthy")
		req["beginAfterMins"] = 2
		st := pollAnalysis(t, base, startAnalysis(t, base, configID, req))
		if st.Status != "succeeded" {
			t.Fatalf("status %s:\n%s", st.Status, st.dump())
		}
		s := analysisStart.Add(minutes(2))
		wantWindows(t, st, []window{{s, s.Add(minutes(1))}, {s, s.Add(minutes(2))}, {s, s.Add(minutes(3))}})
		if names := st.stageNames(); len(names) == 0 || names[0] != "Warmup Wait" {
			t.Errorf("stages %v, want Warmup Wait first", names)
		}
		wantRealTime(t, st)
		if _, slept := clock.totals(); slept < minutes(5) || slept >= minutes(6) {
			t.Errorf("slept %v of virtual time, want 5m (warmup 2m + 3 intervals)", slept)
		}
	})

	t.Run("missing lifetime", func(t *testing.T) {
		// Accepted (200), then the execution fails, as Kayenta's does.
		base, configID, _ := standaloneServer(t, f)
		req := seedRequest("canary-healthy")
		delete(req, "lifetimeDurationMins")
		st := pollAnalysis(t, base, startAnalysis(t, base, configID, req))
		if st.Status != "terminal" || st.ExecutionStatus != "TERMINAL" {
			t.Fatalf("status %s:\n%s", st.Status, st.dump())
		}
		if st.Exception == nil || !strings.Contains(st.Exception.Message, "must include either `endTime` or `lifetimeDuration`.") {
			t.Errorf("exception %+v", st.Exception)
		}
		if st.Result != nil && len(st.Result.CanaryExecutionResults) != 0 {
			t.Errorf("judgements ran without a lifetime:\n%s", st.dump())
		}
	})

	t.Run("ad-hoc", func(t *testing.T) {
		base, _, _ := standaloneServer(t, f)
		var cfg map[string]any
		if err := json.Unmarshal([]byte(canaryConfigJSON), &cfg); err != nil {
			t.Fatal(err)
		}
		var started map[string]any
		body := map[string]any{"canaryConfig": cfg, "executionRequest": seedRequest("canary-healthy")}
		if code := call(t, "POST", base+"/standalone_canary_analysis", body, &started); code != 200 {
			t.Fatalf("POST /standalone_canary_analysis: %d %v", code, started)
		}
		id, _ := started["canaryAnalysisExecutionId"].(string)
		st := pollAnalysis(t, base, id)
		if st.Status != "succeeded" || st.Result == nil || len(st.Result.CanaryScores) != 3 || !st.Result.DidPassThresholds {
			t.Fatalf("ad-hoc analysis:\n%s", st.dump())
		}
		if st.Application != "ad-hoc" || st.User != "anonymous" {
			t.Errorf("application %q user %q, want ad-hoc/anonymous", st.Application, st.User)
		}
		// Malformed ad-hoc bodies are 400s, not executions.
		for _, bad := range []map[string]any{{"executionRequest": seedRequest("canary-healthy")}, {"canaryConfig": cfg}} {
			var e map[string]any
			if code := call(t, "POST", base+"/standalone_canary_analysis", bad, &e); code != 400 || e["message"] == "" {
				t.Errorf("POST %v: %d %v, want 400 with a message", bad, code, e)
			}
		}
	})

	t.Run("disabled", func(t *testing.T) {
		yml := strings.Replace(f.kayentaYML(f.prom.URL, ""), "standaloneCanaryAnalysis.enabled: true", "standaloneCanaryAnalysis.enabled: false", 1)
		yml, _ = f.useBucket(t, yml)
		base, _ := serve(t, yml)
		configID := storeConfigID(t, base)
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/standalone_canary_analysis/" + configID, seedRequest("canary-healthy")},
			{"POST", "/standalone_canary_analysis", map[string]any{"executionRequest": seedRequest("canary-healthy")}},
			{"GET", "/standalone_canary_analysis/some-id", nil},
		} {
			var e map[string]any
			if code := call(t, c.method, base+c.path, c.body, &e); code != 404 {
				t.Errorf("%s %s with the feature off: %d %v, want 404", c.method, c.path, code, e)
			}
		}
	})
}
