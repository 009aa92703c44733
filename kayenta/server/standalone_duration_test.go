package server_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctlproject/ctl/kayenta/server"
)

// ctl's sub-minute extension of the standalone canary analysis: the
// lifetimeDuration, analysisIntervalDuration, beginAfterDuration and
// lookbackDuration fields (ISO-8601), through HTTP, against the fixture's
// real Prometheus and S3, in compressed time as standalone_test.go.

// subMinuteRequest is seedRequest with ctl's duration fields instead of the
// *Mins ones, at a step of 1 s (a 3-second window at step 60 would hold one
// point per series).
func subMinuteRequest(experiment, lifetime, interval string) map[string]any {
	req := seedRequest(experiment)
	delete(req, "lifetimeDurationMins")
	delete(req, "analysisIntervalMins")
	req["lifetimeDuration"] = lifetime
	if interval != "" {
		req["analysisIntervalDuration"] = interval
	}
	req["scopes"].([]any)[0].(map[string]any)["step"] = 1
	return req
}

// planOf reads ctlPlan, the plan the service stores to resume an analysis.
type planOf struct {
	Plan *struct {
		Start         time.Time `json:"start"`
		LifetimeNanos int64     `json:"lifetimeNanos"`
		IntervalNanos int64     `json:"intervalNanos"`
		Count         int       `json:"count"`
		RealTime      bool      `json:"realTime"`
		NextIndex     int       `json:"nextIndex"`
	} `json:"ctlPlan"`
	Request map[string]any `json:"canaryAnalysisExecutionRequest"`
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

func TestStandaloneSubMinute(t *testing.T) {
	f := newFixture(t)

	t.Run("PT6S every PT3S: two real-time judgements", func(t *testing.T) {
		base, configID, clock := standaloneServer(t, f)
		id := startAnalysis(t, base, configID, subMinuteRequest("canary-healthy", "PT6S", "PT3S"))
		st := pollAnalysis(t, base, id)
		if st.Status != "succeeded" || st.Exception != nil {
			t.Fatalf("status %s, want succeeded:\n%s", st.Status, st.dump())
		}
		r := st.Result
		if r == nil || len(r.CanaryExecutionResults) != 2 || len(r.CanaryScores) != 2 {
			t.Fatalf("want 2 judgements:\n%s", st.dump())
		}
		s := analysisStart
		wantWindows(t, st, []window{{s, s.Add(seconds(3))}, {s, s.Add(seconds(6))}})
		wantStagesSucceeded(t, st, "Interval Wait #1", "Run Canary #1", "Interval Wait #2", "Run Canary #2", "Generate Canary Analysis Result")
		wantRealTime(t, st)
		// Real time: the two interval waits add up to the 6 s lifetime.
		if _, slept := clock.totals(); slept != seconds(6) {
			t.Errorf("slept %v of virtual time, want the 6s lifetime", slept)
		}
		if !r.DidPassThresholds || r.CanaryScores[1] < 95 {
			t.Errorf("scores %v pass %v: %s", r.CanaryScores, r.DidPassThresholds, r.CanaryScoreMessage)
		}
		// Each judgement covers its seconds at step 1: 4 and 7 points.
		var ex struct {
			Result struct {
				CanaryDuration string `json:"canaryDuration"`
				JudgeResult    struct {
					Results []struct {
						ControlMetadata struct {
							Stats struct {
								Count int `json:"count"`
							} `json:"stats"`
						} `json:"controlMetadata"`
					} `json:"results"`
				} `json:"judgeResult"`
			} `json:"result"`
		}
		for i, wantDur := range []string{"PT3S", "PT6S"} {
			if code := call(t, "GET", base+"/canary/"+r.CanaryExecutionResults[i].ExecutionID, nil, &ex); code != 200 {
				t.Fatalf("GET /canary/%s: %d", r.CanaryExecutionResults[i].ExecutionID, code)
			}
			if ex.Result.CanaryDuration != wantDur || len(ex.Result.JudgeResult.Results) == 0 || ex.Result.JudgeResult.Results[0].ControlMetadata.Stats.Count < 3*(i+1) {
				t.Errorf("judgement %d: canaryDuration %q, results %+v", i+1, ex.Result.CanaryDuration, ex.Result.JudgeResult.Results)
			}
		}
		// The stored plan holds nanoseconds, and the request echoes ctl's fields.
		var p planOf
		call(t, "GET", base+"/standalone_canary_analysis/"+id, nil, &p)
		if p.Plan == nil || p.Plan.LifetimeNanos != int64(seconds(6)) || p.Plan.IntervalNanos != int64(seconds(3)) || p.Plan.Count != 2 || !p.Plan.RealTime {
			t.Errorf("ctlPlan %+v", p.Plan)
		}
		if p.Request["lifetimeDuration"] != "PT6S" || p.Request["analysisIntervalDuration"] != "PT3S" {
			t.Errorf("canaryAnalysisExecutionRequest %v", p.Request)
		}
	})

	t.Run("Spinnaker's PT0H3M with a PT1M interval", func(t *testing.T) {
		base, configID, clock := standaloneServer(t, f)
		req := subMinuteRequest("canary-healthy", "PT0H3M", "PT1M")
		req["scopes"].([]any)[0].(map[string]any)["step"] = 60
		st := pollAnalysis(t, base, startAnalysis(t, base, configID, req))
		if st.Status != "succeeded" || len(st.Result.CanaryScores) != 3 {
			t.Fatalf("status %s:\n%s", st.Status, st.dump())
		}
		s := analysisStart
		wantWindows(t, st, []window{{s, s.Add(minutes(1))}, {s, s.Add(minutes(2))}, {s, s.Add(minutes(3))}})
		if _, slept := clock.totals(); slept != minutes(3) {
			t.Errorf("slept %v, want 3m", slept)
		}
	})

	t.Run("beginAfterDuration and lookbackDuration in seconds", func(t *testing.T) {
		base, configID, _ := standaloneServer(t, f)
		req := subMinuteRequest("canary-healthy", "PT20S", "PT10S")
		req["beginAfterDuration"] = "PT5S"
		req["lookbackDuration"] = "PT8S"
		st := pollAnalysis(t, base, startAnalysis(t, base, configID, req))
		if st.Status != "succeeded" {
			t.Fatalf("status %s:\n%s", st.Status, st.dump())
		}
		s := analysisStart
		wantWindows(t, st, []window{{s.Add(seconds(7)), s.Add(seconds(15))}, {s.Add(seconds(17)), s.Add(seconds(25))}})
		if names := st.stageNames(); len(names) == 0 || names[0] != "Warmup Wait" {
			t.Errorf("stages %v, want Warmup Wait first", names)
		}
		wantRealTime(t, st)
	})

	t.Run("endTimeIso: whole minutes, sub-minute interval, no waits", func(t *testing.T) {
		base, configID, clock := standaloneServer(t, f)
		s := analysisStart
		req := subMinuteRequest("canary-healthy", "PT10S", "PT30S") // endTimeIso wins over lifetimeDuration, as over lifetimeDurationMins
		sc := req["scopes"].([]any)[0].(map[string]any)
		sc["startTimeIso"] = s.Format(time.RFC3339)
		sc["endTimeIso"] = s.Add(seconds(100)).Format(time.RFC3339) // 1m40s: 1 whole minute
		st := pollAnalysis(t, base, startAnalysis(t, base, configID, req))
		if st.Status != "succeeded" {
			t.Fatalf("status %s:\n%s", st.Status, st.dump())
		}
		wantWindows(t, st, []window{{s, s.Add(seconds(30))}, {s, s.Add(seconds(60))}})
		if _, slept := clock.totals(); slept != 0 {
			t.Errorf("slept %v with endTimeIso set, want no waits", slept)
		}
	})

	t.Run("a 45-second endTimeIso window fails clearly", func(t *testing.T) {
		// Kayenta counts a fixed window in whole minutes; like its missing
		// lifetime, this fails the analysis (not the POST).
		base, configID, _ := standaloneServer(t, f)
		s := analysisStart
		req := subMinuteRequest("canary-healthy", "PT45S", "")
		sc := req["scopes"].([]any)[0].(map[string]any)
		sc["startTimeIso"] = s.Format(time.RFC3339)
		sc["endTimeIso"] = s.Add(seconds(45)).Format(time.RFC3339)
		st := pollAnalysis(t, base, startAnalysis(t, base, configID, req))
		if st.Status != "terminal" || st.Exception == nil {
			t.Fatalf("status %s:\n%s", st.Status, st.dump())
		}
		for _, want := range []string{"at least one minute", "lasts 45s", "whole minutes", "leave endTimeIso out and give lifetimeDuration"} {
			if !strings.Contains(st.Exception.Message, want) {
				t.Errorf("exception %q lacks %q", st.Exception.Message, want)
			}
		}
	})
}

// blockedClock is a canary.Clock stopped at one instant whose Sleep returns
// only when its context ends: an analysis on it stays in its first wait.
type blockedClock struct {
	now     time.Time
	mu      sync.Mutex
	waiting int
}

func (c *blockedClock) Now() time.Time { return c.now }

func (c *blockedClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waiting++
	c.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

// TestStandaloneSubMinuteResume: a service stopped during a sub-minute
// interval wait leaves the analysis running in the store, with its plan in
// nanoseconds; the next service on the same bucket resumes it at that wait
// and judges the same windows.
func TestStandaloneSubMinuteResume(t *testing.T) {
	f := newFixture(t)
	yml, _ := f.useBucket(t, f.kayentaYML(f.prom.URL, ""))
	baseA, stopA := serveWith(t, yml, server.Options{Clock: &blockedClock{now: analysisStart}})
	configID := storeConfigID(t, baseA)
	id := startAnalysis(t, baseA, configID, subMinuteRequest("canary-healthy", "PT6S", "PT3S"))

	// The first wait is stored as running, with the plan.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st analysisStatus
		call(t, "GET", baseA+"/standalone_canary_analysis/"+id, nil, &st)
		if len(st.StageStatus) > 0 && st.StageStatus[0].Name == "Interval Wait #1" && st.StageStatus[0].Status == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the analysis never showed its first wait running:\n%s", st.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var p planOf
	call(t, "GET", baseA+"/standalone_canary_analysis/"+id, nil, &p)
	if p.Plan == nil || p.Plan.IntervalNanos != int64(seconds(3)) || p.Plan.LifetimeNanos != int64(seconds(6)) || p.Plan.NextIndex != 1 || !p.Plan.Start.Equal(analysisStart) {
		t.Fatalf("stored ctlPlan %+v", p.Plan)
	}
	stopA()

	clock := newFakeClock(analysisStart.Add(seconds(1))) // a second passed meanwhile
	baseB, _ := serveWith(t, yml, server.Options{Clock: clock})
	st := pollAnalysis(t, baseB, id)
	if st.Status != "succeeded" || len(st.Result.CanaryScores) != 2 {
		t.Fatalf("after the restart: status %s:\n%s", st.Status, st.dump())
	}
	s := analysisStart
	wantWindows(t, st, []window{{s, s.Add(seconds(3))}, {s, s.Add(seconds(6))}})
	wantRealTime(t, st)
	// Waits end at start + i·interval: B waited only what was left.
	if _, slept := clock.totals(); slept != seconds(5) {
		t.Errorf("B slept %v, want the 5s left of the lifetime", slept)
	}
}

// TestStandaloneDurationErrors: malformed or conflicting duration fields are
// 400s naming the fields, on both POST routes, and store nothing.
func TestStandaloneDurationErrors(t *testing.T) {
	f := newFixture(t)
	yml, bucket := f.useBucket(t, f.kayentaYML(f.prom.URL, ""))
	base, _ := serve(t, yml)
	configID := storeConfigID(t, base)
	cfg := configWith(t, nil)

	for _, c := range []struct {
		name string
		edit func(map[string]any)
		want []string
	}{
		{"Go-style duration", func(r map[string]any) { r["lifetimeDuration"] = "30s" },
			[]string{`lifetimeDuration: "30s" is not an ISO-8601 duration such as PT30S or PT0H3M`}},
		{"malformed interval", func(r map[string]any) { r["analysisIntervalDuration"] = "PT3" },
			[]string{`analysisIntervalDuration: "PT3" is not an ISO-8601 duration such as PT30S or PT0H3M`}},
		{"malformed warmup", func(r map[string]any) { r["beginAfterDuration"] = "5 seconds" }, []string{`beginAfterDuration: "5 seconds"`, "PT30S"}},
		{"malformed lookback", func(r map[string]any) { r["lookbackDuration"] = "P1W" }, []string{`lookbackDuration: "P1W"`, "PT30S"}},
		{"fraction of a second", func(r map[string]any) { r["lifetimeDuration"] = "PT0.5S" }, []string{"lifetimeDuration", "fraction of a second"}},
		{"zero lifetime", func(r map[string]any) { r["lifetimeDuration"] = "PT0S" }, []string{"lifetimeDuration", "shorter than PT1S"}},
		{"negative lookback", func(r map[string]any) { r["lookbackDuration"] = "-PT5S" }, []string{"lookbackDuration", "negative"}},
		{"a number, not a string", func(r map[string]any) { r["lifetimeDuration"] = 30 }, []string{"lifetimeDuration"}},
		{"lifetime conflict", func(r map[string]any) { r["lifetimeDurationMins"] = 3 },
			[]string{`lifetimeDurationMins (3) and lifetimeDuration ("PT6S") are both set and differ`}},
		{"interval conflict", func(r map[string]any) { r["analysisIntervalMins"] = 1 },
			[]string{"analysisIntervalMins (1)", `analysisIntervalDuration ("PT3S")`, "differ"}},
		{"warmup conflict", func(r map[string]any) { r["beginAfterMins"] = 1; r["beginAfterDuration"] = "PT30S" },
			[]string{"beginAfterMins (1)", `beginAfterDuration ("PT30S")`}},
		{"lookback conflict", func(r map[string]any) { r["lookbackMins"] = 2; r["lookbackDuration"] = "PT1M" },
			[]string{"lookbackMins (2)", `lookbackDuration ("PT1M")`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := subMinuteRequest("canary-healthy", "PT6S", "PT3S")
			c.edit(req)
			code, body := raw(t, "POST", base+"/standalone_canary_analysis/"+configID, nil, mustJSON(t, req))
			wantError(t, "stored config", code, body, 400, c.want...)
			code, body = raw(t, "POST", base+"/standalone_canary_analysis", nil, mustJSON(t, map[string]any{"canaryConfig": cfg, "executionRequest": req}))
			wantError(t, "ad hoc", code, body, 400, c.want...)
		})
	}
	// Nothing but the canary config was stored: no analysis, no execution.
	for _, k := range f.s3Keys(t, bucket, "kayenta/") {
		if !strings.Contains(k, "canary_config") {
			t.Errorf("stored after 400s: %s", k)
		}
	}

	// Equal values in both forms are accepted.
	req := subMinuteRequest("canary-healthy", "PT2M", "PT60S")
	req["lifetimeDurationMins"], req["analysisIntervalMins"] = 2, 1
	var started map[string]any
	if code := call(t, "POST", base+"/standalone_canary_analysis/"+configID, req, &started); code != 200 {
		t.Errorf("equal *Mins and *Duration fields: %d %v", code, started)
	}
	if id, _ := started["canaryAnalysisExecutionId"].(string); id != "" {
		call(t, "PUT", base+"/pipelines/"+id+"/cancel", nil, nil)
	}
}

// TestStandaloneCancelDuringWait: PUT /pipelines/{id}/cancel during a
// sub-minute interval wait ends the analysis canceled, and it stays so.
func TestStandaloneCancelDuringWait(t *testing.T) {
	f := newFixture(t)
	yml, _ := f.useBucket(t, f.kayentaYML(f.prom.URL, ""))
	base, stop := serveWith(t, yml, server.Options{Clock: &blockedClock{now: analysisStart}})
	id := startAnalysis(t, base, storeConfigID(t, base), subMinuteRequest("canary-healthy", "PT6S", "PT3S"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st analysisStatus
		call(t, "GET", base+"/standalone_canary_analysis/"+id, nil, &st)
		if len(st.StageStatus) > 0 && st.StageStatus[0].Status == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the analysis never showed its first wait running:\n%s", st.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := call(t, "PUT", base+"/pipelines/"+id+"/cancel", nil, nil); code != 202 {
		t.Fatalf("PUT /pipelines/%s/cancel: %d", id, code)
	}
	stop() // the worker has returned: nothing can write after this
	base2, _ := serve(t, yml)
	var st analysisStatus
	call(t, "GET", base2+"/standalone_canary_analysis/"+id, nil, &st)
	if st.Status != "canceled" || !st.Complete || st.Exception == nil || st.Exception.Message != "Canceled by request." {
		t.Fatalf("after cancel: %s", st.dump())
	}
	for _, s := range st.StageStatus {
		if s.Status != "canceled" {
			t.Errorf("stage %s: %s, want canceled", s.Name, s.Status)
		}
	}
	if st.Result != nil && len(st.Result.CanaryExecutionResults) != 0 {
		t.Errorf("judgements after cancel:\n%s", st.dump())
	}
}
