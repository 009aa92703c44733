// Package smoke runs smoke canaries: proof that a deployed analysis service
// works end to end. For each scenario it starts a baseline and a canary of
// the sample app (smoke/sampleapp) in this process, has the embedded
// Prometheus (smoke/promstore) scrape them, drives load to both, runs a
// canary execution through the deployed service with a built-in canary
// config, and compares the verdict with the one expected: the healthy
// canary (same settings as its baseline) must pass, the faulty one (70 %
// success) must fail.
//
// It uses a plain canary execution (POST /canary) over the load window, not
// a standalone canary analysis: a standalone analysis's lifetime and
// interval are whole minutes, which would make a smoke test take minutes.
package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ctlproject/ctl/smoke/promstore"
	"github.com/ctlproject/ctl/smoke/sampleapp"
)

// MetricsAccount is the prometheus account of the embedded store that a
// local deployment's kayenta.yml declares (installer.SmokeMetricsAccount).
const MetricsAccount = "ctl-smoke-prometheus"

// Verdicts.
const (
	Pass     = "pass"
	Marginal = "marginal"
	Fail     = "fail"
	// Error is the verdict of a scenario whose execution did not produce a
	// score.
	Error = "error"
)

// Score thresholds of the built-in analysis.
const (
	PassThreshold     = 95.0
	MarginalThreshold = 75.0
)

// Defaults.
const (
	DefaultDuration = 30 * time.Second
	// MinDuration leaves the judge enough points (about 8 at 1 s steps)
	// for its Mann-Whitney test to tell the faulty canary apart.
	MinDuration           = 15 * time.Second
	DefaultRPS            = 100
	DefaultScrapeInterval = time.Second
	// rateWindow is the range of rate() in the built-in queries; the
	// analysed window starts one rateWindow (plus a scrape) after the load,
	// so that every point's rate covers load only.
	rateWindow = 5 * time.Second
	// executionTimeout bounds the wait for one execution to complete.
	executionTimeout = 2 * time.Minute
)

// Scenario is one smoke canary: a baseline and a canary of the sample app,
// and the verdict expected.
type Scenario struct {
	Name     string
	Expected string
	Baseline sampleapp.Options
	Canary   sampleapp.Options
}

// healthyApp is the baseline of every scenario: 99 % success, 20 ms ± 5 ms.
func healthyApp() sampleapp.Options {
	return sampleapp.Options{SuccessRate: 99, Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond}
}

// Scenarios are the built-in scenarios, in order.
func Scenarios() []Scenario {
	faulty := healthyApp()
	faulty.SuccessRate = 70 // the seed's faulty canary
	return []Scenario{
		{Name: "healthy", Expected: Pass, Baseline: healthyApp(), Canary: healthyApp()},
		{Name: "faulty", Expected: Fail, Baseline: healthyApp(), Canary: faulty},
	}
}

// SelectScenarios returns the scenarios named by sel: a scenario name or
// "all".
func SelectScenarios(sel string) ([]Scenario, error) {
	all := Scenarios()
	if sel == "" || sel == "all" {
		return all, nil
	}
	var names []string
	for _, s := range all {
		if s.Name == sel {
			return []Scenario{s}, nil
		}
		names = append(names, s.Name)
	}
	return nil, fmt.Errorf("unknown scenario %q (want %s or all)", sel, strings.Join(names, ", "))
}

// CanaryConfig returns the built-in canary config of a scenario (Kayenta's
// CanaryConfig JSON): the error ratio (direction increase, critical) and the
// p99 latency (direction increase) of the scenario's apps, with ${scope}
// standing for version=baseline|canary.
func CanaryConfig(scenario string) json.RawMessage {
	sel := fmt.Sprintf(`scenario="%s",version="${scope}"`, scenario)
	w := fmt.Sprintf("%ds", int(rateWindow.Seconds()))
	metric := func(name, query string, canary map[string]any) map[string]any {
		return map[string]any{
			"name":                   name,
			"query":                  map[string]any{"type": "prometheus", "customInlineTemplate": "PromQL:" + query},
			"groups":                 []string{name},
			"scopeName":              "default",
			"analysisConfigurations": map[string]any{"canary": canary},
		}
	}
	cfg := map[string]any{
		"name":          "ctl-smoke-" + scenario,
		"description":   "ctl canary smoke: error ratio and p99 latency of the sample app",
		"judge":         map[string]any{"name": "NetflixACAJudge-v1.0", "judgeConfigurations": map[string]any{}},
		"applications":  []string{"ctl-smoke"},
		"configVersion": "1",
		"metrics": []any{
			metric("error-ratio",
				fmt.Sprintf(`sum(rate(%s{%s,code="500"}[%s])) / sum(rate(%s{%s}[%s]))`, sampleapp.MetricRequests, sel, w, sampleapp.MetricRequests, sel, w),
				// A healthy canary's error ratio is noise around its
				// baseline's: at 1 % errors a window holds a few dozen
				// failed requests, so twice the baseline's happens by
				// chance. The faulty canary's is about 30 times it.
				map[string]any{"direction": "increase", "critical": true,
					"effectSize": map[string]any{"allowedIncrease": 3, "criticalIncrease": 3}}),
			metric("p99-latency",
				fmt.Sprintf(`histogram_quantile(0.99, sum(rate(%s_bucket{%s}[%s])) by (le))`, sampleapp.MetricDuration, sel, w),
				map[string]any{"direction": "increase",
					"effectSize": map[string]any{"allowedIncrease": 1.2}}),
		},
		"classifier": map[string]any{
			"groupWeights":    map[string]any{"error-ratio": 50, "p99-latency": 50},
			"scoreThresholds": map[string]any{"pass": PassThreshold, "marginal": MarginalThreshold},
		},
	}
	b, _ := json.Marshal(cfg)
	return b
}

// Options configure Run.
type Options struct {
	// ServiceURL is the deployed analysis service, http://host:port.
	ServiceURL string
	// AuthToken is sent as a bearer token when set.
	AuthToken string
	// MetricsAccount is the service's account for the store (default
	// MetricsAccount).
	MetricsAccount string
	// StoreListen is where the embedded Prometheus listens: the address the
	// metrics account's baseUrl points at.
	StoreListen string
	// Duration is how long load is driven (default 30s, at least 10s).
	Duration time.Duration
	// RPS is the request rate to each app (default 100).
	RPS int
	// ScrapeInterval is the store's scrape interval (default 1s).
	ScrapeInterval time.Duration
	// PollInterval is how often an execution is polled (default 250ms).
	PollInterval time.Duration
	// Progress receives progress lines (default: discarded).
	Progress io.Writer
}

// MetricResult is one metric's outcome.
type MetricResult struct {
	Name           string   `json:"name"`
	Classification string   `json:"classification"`
	Reason         string   `json:"reason,omitempty"`
	Critical       bool     `json:"critical"`
	ControlMean    *float64 `json:"controlMean,omitempty"`
	ExperimentMean *float64 `json:"experimentMean,omitempty"`
	Ratio          *float64 `json:"ratio,omitempty"`
}

// Result is one scenario's outcome.
type Result struct {
	Scenario    string         `json:"scenario"`
	Expected    string         `json:"expected"`
	Verdict     string         `json:"verdict"`
	Score       float64        `json:"score"`
	ExecutionID string         `json:"executionId,omitempty"`
	Metrics     []MetricResult `json:"metrics"`
	// Requests counts the requests sent to the baseline and the canary
	// and how many failed.
	Requests Requests `json:"requests"`
	Error    string   `json:"error,omitempty"`
}

// Requests are load counts.
type Requests struct {
	Baseline       int64 `json:"baseline"`
	BaselineFailed int64 `json:"baselineFailed"`
	Canary         int64 `json:"canary"`
	CanaryFailed   int64 `json:"canaryFailed"`
}

// OK reports whether the scenario got its expected verdict.
func (r Result) OK() bool { return r.Verdict == r.Expected }

// Report is the outcome of Run.
type Report struct {
	Scenarios []Result `json:"scenarios"`
	// Seconds is the wall time of the run.
	Seconds float64 `json:"seconds"`
}

// OK reports whether every scenario got its expected verdict.
func (r *Report) OK() bool {
	for _, s := range r.Scenarios {
		if !s.OK() {
			return false
		}
	}
	return len(r.Scenarios) > 0
}

// VerdictOf derives the verdict from a score as the judge does with the
// built-in thresholds: at or above pass passes, at or below marginal fails.
func VerdictOf(score float64) string {
	switch {
	case score >= PassThreshold:
		return Pass
	case score <= MarginalThreshold:
		return Fail
	}
	return Marginal
}

type runner struct {
	o      Options
	client *http.Client
	pmu    sync.Mutex
}

func (r *runner) progressf(format string, args ...any) {
	if r.o.Progress == nil {
		return
	}
	r.pmu.Lock()
	defer r.pmu.Unlock()
	fmt.Fprintf(r.o.Progress, format+"\n", args...)
}

// Run runs the scenarios concurrently, on one embedded store, and returns
// their results. Everything it starts (store, apps, load) is stopped before
// it returns, also when ctx ends. An error means the run itself could not
// happen (e.g. the store could not listen); a scenario that failed is a
// Result with the verdict Error.
func Run(ctx context.Context, o Options, scenarios []Scenario) (*Report, error) {
	t0 := time.Now()
	if o.ServiceURL == "" {
		return nil, errors.New("smoke: no analysis service URL")
	}
	o.ServiceURL = strings.TrimRight(o.ServiceURL, "/")
	if o.MetricsAccount == "" {
		o.MetricsAccount = MetricsAccount
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Duration < MinDuration {
		return nil, fmt.Errorf("smoke: duration %s is too short: at least %s (the analysis skips the first %s of load)", o.Duration, MinDuration, rateWindow+time.Second)
	}
	if o.RPS <= 0 {
		o.RPS = DefaultRPS
	}
	if o.ScrapeInterval <= 0 {
		o.ScrapeInterval = DefaultScrapeInterval
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	r := &runner{o: o, client: &http.Client{Timeout: 30 * time.Second}}

	// The TSDB lives in a folder of ours, so that it is removed even when
	// closing the store is cut short (see closeStore).
	dir, err := os.MkdirTemp("", "ctl-smoke-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	store, err := promstore.Start(ctx, promstore.Options{Dir: dir, Listen: o.StoreListen, ScrapeInterval: o.ScrapeInterval})
	if err != nil {
		if o.StoreListen != "" && strings.Contains(err.Error(), "address already in use") {
			return nil, fmt.Errorf("the embedded Prometheus cannot listen on %s, the port reserved for it: is another `ctl canary smoke` running? (%w)", o.StoreListen, err)
		}
		return nil, err
	}
	defer closeStore(store)
	r.progressf("Embedded Prometheus on %s (scrape interval %s)", store.URL(), o.ScrapeInterval)

	results := make([]Result, len(scenarios))
	var wg sync.WaitGroup
	for i, sc := range scenarios {
		wg.Go(func() { results[i] = r.scenario(ctx, store, sc) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return &Report{Scenarios: results, Seconds: time.Since(t0).Seconds()}, fmt.Errorf("smoke canary interrupted: %w", context.Cause(ctx))
	}
	return &Report{Scenarios: results, Seconds: time.Since(t0).Seconds()}, nil
}

// storeCloseWait bounds the wait for the store to close. http.Server's
// Shutdown waits up to 5 s for a connection that never sent a request, such
// as the spare keep-alive connection the analysis service's client may have
// dialled to the store; nothing is lost by not waiting for it.
const storeCloseWait = time.Second

// closeStore closes the store, waiting at most storeCloseWait; the rest of
// the close goes on in the background (the caller removes its folder).
func closeStore(store *promstore.Store) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = store.Close()
	}()
	select {
	case <-done:
	case <-time.After(storeCloseWait):
	}
}

// scenario runs one scenario; failures become Result.Error.
func (r *runner) scenario(ctx context.Context, store *promstore.Store, sc Scenario) Result {
	res := Result{Scenario: sc.Name, Expected: sc.Expected, Verdict: Error, Metrics: []MetricResult{}}
	if err := r.scenarioErr(ctx, store, sc, &res); err != nil {
		res.Verdict = Error
		res.Error = err.Error()
		r.progressf("%s: error: %v", sc.Name, err)
	}
	return res
}

func (r *runner) scenarioErr(ctx context.Context, store *promstore.Store, sc Scenario, res *Result) error {
	appCtx, stopApps := context.WithCancel(ctx)
	defer stopApps()
	urls := map[string]string{}
	for _, side := range []struct {
		version string
		opts    sampleapp.Options
	}{{"baseline", sc.Baseline}, {"canary", sc.Canary}} {
		addr, stop, err := sampleapp.Run(appCtx, side.opts)
		if err != nil {
			return err
		}
		defer stop()
		u := "http://" + addr
		urls[side.version] = u
		if err := store.AddTarget(promstore.Target{Job: "ctl-smoke", URL: u + "/metrics",
			Labels: map[string]string{"scenario": sc.Name, "version": side.version}}); err != nil {
			return err
		}
		r.progressf("%s: %s app on %s: %s", sc.Name, side.version, u, side.opts)
	}

	// Load to both apps; the first scrape of each target happened at once,
	// so every counter's first increase is seen by rate().
	r.progressf("%s: driving %d rps to each app for %s", sc.Name, r.o.RPS, r.o.Duration)
	loadStart := time.Now()
	loadCtx, stopLoad := context.WithTimeout(ctx, r.o.Duration)
	defer stopLoad()
	var wg sync.WaitGroup
	wg.Go(func() {
		res.Requests.Baseline, res.Requests.BaselineFailed = sampleapp.Drive(loadCtx, urls["baseline"]+"/", r.o.RPS)
	})
	wg.Go(func() {
		res.Requests.Canary, res.Requests.CanaryFailed = sampleapp.Drive(loadCtx, urls["canary"]+"/", r.o.RPS)
	})
	wg.Wait()
	loadEnd := time.Now()
	if err := ctx.Err(); err != nil {
		return err
	}
	// The last scrapes of the load window.
	if err := sleep(ctx, r.o.ScrapeInterval+r.o.ScrapeInterval/2); err != nil {
		return err
	}

	start := loadStart.Add(rateWindow + r.o.ScrapeInterval).Truncate(time.Second).Add(time.Second)
	end := loadEnd.Truncate(time.Second)
	scope := func(version string) map[string]any {
		return map[string]any{"scope": version, "location": "", "start": start.UTC().Format(time.RFC3339),
			"end": end.UTC().Format(time.RFC3339), "step": 1}
	}
	body := map[string]any{
		"canaryConfig": CanaryConfig(sc.Name),
		"executionRequest": map[string]any{
			"scopes":     map[string]any{"default": map[string]any{"controlScope": scope("baseline"), "experimentScope": scope("canary")}},
			"thresholds": map[string]any{"pass": PassThreshold, "marginal": MarginalThreshold},
		},
	}
	q := url.Values{"application": {"ctl-smoke"}, "metricsAccountName": {r.o.MetricsAccount}}
	var started struct {
		ID string `json:"canaryExecutionId"`
	}
	if err := r.call(ctx, http.MethodPost, "/canary?"+q.Encode(), body, &started); err != nil {
		return fmt.Errorf("starting the canary execution: %w", err)
	}
	res.ExecutionID = started.ID
	r.progressf("%s: canary execution %s over %s–%s", sc.Name, started.ID, start.Format("15:04:05"), end.Format("15:04:05"))
	// The apps are not needed any more.
	stopApps()

	ex, err := r.wait(ctx, started.ID)
	if err != nil {
		if ctx.Err() != nil {
			r.cancel(started.ID)
		}
		return err
	}
	return fillResult(res, ex)
}

// execution is the part of GET /canary/{id} read here.
type execution struct {
	Complete  bool   `json:"complete"`
	Status    string `json:"status"`
	Exception *struct {
		Message string `json:"message"`
	} `json:"exception"`
	Result *struct {
		JudgeResult *struct {
			Results []struct {
				Name                 string `json:"name"`
				Classification       string `json:"classification"`
				ClassificationReason string `json:"classificationReason"`
				Critical             bool   `json:"critical"`
				ControlMetadata      struct {
					Stats struct {
						Mean *float64 `json:"mean"`
					} `json:"stats"`
				} `json:"controlMetadata"`
				ExperimentMetadata struct {
					Stats struct {
						Mean *float64 `json:"mean"`
					} `json:"stats"`
				} `json:"experimentMetadata"`
				ResultMetadata struct {
					Ratio *float64 `json:"ratio"`
				} `json:"resultMetadata"`
			} `json:"results"`
			Score struct {
				Score *float64 `json:"score"`
			} `json:"score"`
		} `json:"judgeResult"`
	} `json:"result"`
}

func fillResult(res *Result, ex *execution) error {
	if ex.Status != "succeeded" || ex.Result == nil || ex.Result.JudgeResult == nil || ex.Result.JudgeResult.Score.Score == nil {
		msg := "no result"
		if ex.Exception != nil && ex.Exception.Message != "" {
			msg = ex.Exception.Message
		}
		return fmt.Errorf("canary execution %s: %s", ex.Status, msg)
	}
	jr := ex.Result.JudgeResult
	res.Score = *jr.Score.Score
	res.Verdict = VerdictOf(res.Score)
	for _, m := range jr.Results {
		res.Metrics = append(res.Metrics, MetricResult{
			Name: m.Name, Classification: m.Classification, Reason: m.ClassificationReason, Critical: m.Critical,
			ControlMean: finite(m.ControlMetadata.Stats.Mean), ExperimentMean: finite(m.ExperimentMetadata.Stats.Mean),
			Ratio: finite(m.ResultMetadata.Ratio),
		})
	}
	slices.SortFunc(res.Metrics, func(a, b MetricResult) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

func finite(p *float64) *float64 {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return nil
	}
	return p
}

// wait polls an execution until it is complete.
func (r *runner) wait(ctx context.Context, id string) (*execution, error) {
	ctx, cancel := context.WithTimeout(ctx, executionTimeout)
	defer cancel()
	for {
		var ex execution
		if err := r.call(ctx, http.MethodGet, "/canary/"+url.PathEscape(id), nil, &ex); err != nil {
			return nil, fmt.Errorf("reading canary execution %s: %w", id, err)
		}
		if ex.Complete {
			return &ex, nil
		}
		if err := sleep(ctx, r.o.PollInterval); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("canary execution %s did not complete within %s (status %s)", id, executionTimeout, ex.Status)
			}
			return nil, err
		}
	}
}

// cancel asks the service to cancel an execution (best effort, after ctx
// ended).
func (r *runner) cancel(id string) {
	ctx, done := context.WithTimeout(context.Background(), 3*time.Second)
	defer done()
	_ = r.call(ctx, http.MethodPut, "/pipelines/"+url.PathEscape(id)+"/cancel", nil, nil)
}

// call sends a JSON request to the service and decodes the JSON answer
// into out; a non-2xx answer is an error with the service's message.
func (r *runner) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.o.ServiceURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.o.AuthToken != "" {
		req.Header.Set("Authorization", "Bearer "+r.o.AuthToken)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			return fmt.Errorf("%s %s: %s: %s", method, strings.SplitN(path, "?", 2)[0], resp.Status, e.Message)
		}
		return fmt.Errorf("%s %s: %s", method, strings.SplitN(path, "?", 2)[0], resp.Status)
	}
	if out == nil || len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return json.Unmarshal(b, out)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
