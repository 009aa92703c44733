package canary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/metrics"
)

// AnalysisRequest is Kayenta's CanaryAnalysisExecutionRequest, plus ctl's
// additive *Duration fields.
type AnalysisRequest struct {
	Scopes               []AnalysisScope   `json:"scopes"`
	Thresholds           *judge.Thresholds `json:"thresholds,omitempty"`
	LifetimeDurationMins *int64            `json:"lifetimeDurationMins,omitempty"`
	BeginAfterMins       int64             `json:"beginAfterMins"`
	LookbackMins         int64             `json:"lookbackMins"`
	AnalysisIntervalMins *int64            `json:"analysisIntervalMins,omitempty"`
	SiteLocal            json.RawMessage   `json:"siteLocal,omitempty"`

	// ctl's extension: the same four times as ISO-8601 durations ("PT30S",
	// "PT0H3M", "P1D"; whole seconds), so that an analysis can be shorter
	// than a minute. Each, when set, replaces its *Mins field; given with a
	// *Mins field of another value, the request is refused (400). See
	// Validate.
	LifetimeDuration         string `json:"lifetimeDuration,omitempty"`
	AnalysisIntervalDuration string `json:"analysisIntervalDuration,omitempty"`
	BeginAfterDuration       string `json:"beginAfterDuration,omitempty"`
	LookbackDuration         string `json:"lookbackDuration,omitempty"`
}

// AnalysisScope is CanaryAnalysisExecutionRequestScope.
type AnalysisScope struct {
	ScopeName              string            `json:"scopeName"`
	ControlScope           string            `json:"controlScope"`
	ControlLocation        string            `json:"controlLocation"`
	ControlOffsetInMinutes int64             `json:"controlOffsetInMinutes"`
	ExperimentScope        string            `json:"experimentScope"`
	ExperimentLocation     string            `json:"experimentLocation"`
	StartTimeIso           string            `json:"startTimeIso,omitempty"`
	EndTimeIso             string            `json:"endTimeIso,omitempty"`
	Step                   int64             `json:"step"`
	ExtendedScopeParams    map[string]string `json:"extendedScopeParams,omitempty"`
}

// StageStatus is one stage of a standalone analysis.
type StageStatus struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	ExecutionID string `json:"executionId,omitempty"`
}

// ExecutionResult is CanaryExecutionResult: one judgement of an analysis.
type ExecutionResult struct {
	ExecutionID              string     `json:"executionId"`
	ExecutionStatus          string     `json:"executionStatus"`
	Exception                *Exception `json:"exception,omitempty"`
	Result                   *Result    `json:"result,omitempty"`
	JudgementStartTimeIso    string     `json:"judgementStartTimeIso"`
	JudgementStartTimeMillis int64      `json:"judgementStartTimeMillis"`
	JudgementEndTimeIso      string     `json:"judgementEndTimeIso"`
	JudgementEndTimeMillis   int64      `json:"judgementEndTimeMillis"`
	Warnings                 []string   `json:"warnings"`
	MetricSetPairListID      string     `json:"metricSetPairListId,omitempty"`
	BuildTimeIso             string     `json:"buildTimeIso,omitempty"`
	BuildTimeMillis          int64      `json:"buildTimeMillis,omitempty"`
	StartTimeIso             string     `json:"startTimeIso,omitempty"`
	StartTimeMillis          int64      `json:"startTimeMillis,omitempty"`
	EndTimeIso               string     `json:"endTimeIso,omitempty"`
	EndTimeMillis            int64      `json:"endTimeMillis,omitempty"`
	StorageAccountName       string     `json:"storageAccountName,omitempty"`
	ConfigurationAccountName string     `json:"configurationAccountName,omitempty"`
}

// AnalysisResult is CanaryAnalysisExecutionResult.
type AnalysisResult struct {
	DidPassThresholds      bool              `json:"didPassThresholds"`
	HasWarnings            bool              `json:"hasWarnings"`
	CanaryScoreMessage     string            `json:"canaryScoreMessage"`
	CanaryScores           []float64         `json:"canaryScores"`
	CanaryExecutionResults []ExecutionResult `json:"canaryExecutionResults"`
	BuildTimeIso           string            `json:"buildTimeIso,omitempty"`
	StartTimeIso           string            `json:"startTimeIso,omitempty"`
	EndTimeIso             string            `json:"endTimeIso,omitempty"`
}

// Analysis is the stored state of a standalone canary analysis; its JSON is
// CanaryAnalysisExecutionStatusResponse plus the plan fields we need to
// resume it (additive).
type Analysis struct {
	Application                   string           `json:"application"`
	User                          string           `json:"user"`
	ParentPipelineExecutionID     string           `json:"parentPipelineExecutionId,omitempty"`
	PipelineID                    string           `json:"pipelineId"`
	StageStatus                   []StageStatus    `json:"stageStatus"`
	Complete                      bool             `json:"complete"`
	ExecutionStatus               string           `json:"executionStatus"`
	Status                        string           `json:"status"`
	Exception                     *Exception       `json:"exception,omitempty"`
	CanaryAnalysisExecutionResult *AnalysisResult  `json:"canaryAnalysisExecutionResult,omitempty"`
	CanaryAnalysisRequest         *AnalysisRequest `json:"canaryAnalysisExecutionRequest"`
	CanaryConfig                  json.RawMessage  `json:"canaryConfig"`
	CanaryConfigID                string           `json:"canaryConfigId,omitempty"`
	BuildTimeMillis               int64            `json:"buildTimeMillis"`
	BuildTimeIso                  string           `json:"buildTimeIso"`
	StartTimeMillis               int64            `json:"startTimeMillis,omitempty"`
	StartTimeIso                  string           `json:"startTimeIso,omitempty"`
	EndTimeMillis                 int64            `json:"endTimeMillis,omitempty"`
	EndTimeIso                    string           `json:"endTimeIso,omitempty"`
	StorageAccountName            string           `json:"storageAccountName,omitempty"`
	MetricsAccountName            string           `json:"metricsAccountName,omitempty"`
	ConfigurationAccountName      string           `json:"configurationAccountName,omitempty"`
	// Plan is ours: the analysis start and the judgements still to run.
	Plan *AnalysisPlan `json:"ctlPlan,omitempty"`
}

// AnalysisPlan is SetupAndExecuteCanariesStage's plan.
type AnalysisPlan struct {
	Start     time.Time     `json:"start"`
	Lifetime  time.Duration `json:"lifetimeNanos"`
	Interval  time.Duration `json:"intervalNanos"`
	Count     int           `json:"count"`
	RealTime  bool          `json:"realTime"`
	Warmup    time.Duration `json:"warmupNanos"`
	Lookback  time.Duration `json:"lookbackNanos"`
	NextIndex int           `json:"nextIndex"` // 1-based index of the next judgement
}

// StartAnalysisRequest starts a standalone analysis.
type StartAnalysisRequest struct {
	User, Application, ParentPipelineExecutionID string
	CanaryConfigID                               string
	Config                                       json.RawMessage
	Request                                      AnalysisRequest
	MetricsAccountName, StorageAccountName       string
	ConfigurationAccountName                     string
}

// StartAnalysis stores a new standalone analysis and starts working it.
// Like Kayenta, a request without a lifetime is accepted and fails
// asynchronously.
func (s *Service) StartAnalysis(ctx context.Context, r StartAnalysisRequest) (string, error) {
	if _, err := s.o.Accounts.MetricsAccount(r.MetricsAccountName); err != nil {
		return "", err
	}
	store, err := s.o.Accounts.Store(r.StorageAccountName, config.ObjectStore)
	if err != nil {
		return "", err
	}
	if _, err := judge.ParseCanaryConfig(r.Config, "canaryConfig"); err != nil {
		return "", metrics.Argumentf("%v", err)
	}
	if err := r.Request.Validate(); err != nil {
		return "", err
	}
	if r.User == "" {
		r.User = "anonymous"
	}
	if r.Application == "" {
		r.Application = "ad-hoc"
	}
	for i := range r.Request.Scopes {
		if r.Request.Scopes[i].ScopeName == "" {
			r.Request.Scopes[i].ScopeName = "default"
		}
		if r.Request.Scopes[i].Step == 0 {
			r.Request.Scopes[i].Step = 60
		}
	}
	now := s.o.Clock.Now()
	a := &Analysis{
		Application: r.Application, User: r.User, ParentPipelineExecutionID: r.ParentPipelineExecutionID,
		PipelineID: metrics.NewUUID(), ExecutionStatus: "NOT_STARTED", Status: StatusNotStarted,
		CanaryAnalysisRequest: &r.Request, CanaryConfig: r.Config, CanaryConfigID: r.CanaryConfigID,
		StorageAccountName: store.Name, MetricsAccountName: r.MetricsAccountName, ConfigurationAccountName: r.ConfigurationAccountName,
	}
	a.BuildTimeMillis, a.BuildTimeIso = millisIso(now)
	if err := s.saveAnalysis(ctx, store, a); err != nil {
		return "", err
	}
	s.launchAnalysis(a.PipelineID, store)
	return a.PipelineID, nil
}

// GetAnalysis returns a standalone analysis.
func (s *Service) GetAnalysis(ctx context.Context, id, storageAccount string) (*Analysis, error) {
	store, err := s.o.Accounts.Store(storageAccount, config.ObjectStore)
	if err != nil {
		return nil, err
	}
	return s.loadAnalysis(ctx, store, id)
}

func (s *Service) loadAnalysis(ctx context.Context, store *StoreAccount, id string) (*Analysis, error) {
	var a Analysis
	if err := loadState(ctx, store, analysisState, id, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

func (s *Service) saveAnalysis(ctx context.Context, store *StoreAccount, a *Analysis) error {
	a.Complete = Complete(a.Status)
	a.ExecutionStatus = strings.ToUpper(a.Status)
	return s.saveState(ctx, store, analysisState, a.PipelineID, a.Complete, a)
}

func (s *Service) launchAnalysis(id string, store *StoreAccount) {
	s.spawn(analysisState.key(id), func(ctx context.Context) { s.workAnalysis(ctx, id, store) })
}

func (s *Service) workAnalysis(ctx context.Context, id string, store *StoreAccount) {
	ctx, release, err := s.holdLease(ctx, store, analysisState.key(id))
	if err != nil {
		return
	}
	defer release()
	a, err := s.loadAnalysis(ctx, store, id)
	if err != nil || a.Complete {
		return
	}
	s.runAnalysis(ctx, store, a)
}

// plan is SetupAndExecuteCanariesStage: start, lifetime, interval, count.
// ctl's *Duration fields, when set, replace the *Mins fields (whole seconds
// instead of whole minutes); everything else is Kayenta's rule.
func plan(r *AnalysisRequest, now time.Time) (*AnalysisPlan, error) {
	if len(r.Scopes) == 0 {
		return nil, errors.New("Canary stage configuration must contain at least one scope.")
	}
	times, err := r.times()
	if err != nil {
		return nil, err
	}
	sc := r.Scopes[0]
	p := &AnalysisPlan{Start: now, NextIndex: 1}
	if sc.StartTimeIso != "" {
		t, err := metrics.ParseInstant(sc.StartTimeIso)
		if err != nil {
			return nil, fmt.Errorf("scopes[0].startTimeIso: %v", err)
		}
		p.Start = t
	}
	switch {
	case sc.EndTimeIso != "":
		end, err := metrics.ParseInstant(sc.EndTimeIso)
		if err != nil {
			return nil, fmt.Errorf("scopes[0].endTimeIso: %v", err)
		}
		from := "startTimeIso " + sc.StartTimeIso
		if sc.StartTimeIso == "" {
			from = "the analysis start (now: no startTimeIso) " + metrics.FormatInstant(p.Start)
		}
		if !end.After(p.Start) {
			return nil, fmt.Errorf("scopes[0].endTimeIso %s is not after %s: the analysis window is empty", sc.EndTimeIso, from)
		}
		// Kayenta counts a fixed window in whole minutes.
		p.Lifetime = end.Sub(p.Start).Truncate(time.Minute)
		if p.Lifetime <= 0 {
			return nil, fmt.Errorf("the analysis lifetime must be at least one minute: the window from %s to endTimeIso %s lasts %s, "+
				"and a window with endTimeIso is counted in whole minutes (for a shorter analysis in real time, leave endTimeIso out and give lifetimeDuration, such as PT30S)",
				from, sc.EndTimeIso, end.Sub(p.Start))
		}
	case times.lifetime != nil:
		p.Lifetime = *times.lifetime
		p.RealTime = true
		if p.Lifetime <= 0 {
			if times.lifetimeFromDuration {
				return nil, errors.New("the analysis lifetime must be at least one second: lifetimeDuration " + r.LifetimeDuration)
			}
			return nil, fmt.Errorf("the analysis lifetime must be at least one minute: lifetimeDurationMins is %d (or give lifetimeDuration, such as PT30S)", *r.LifetimeDurationMins)
		}
	default:
		return nil, errors.New("Canary stage configuration must include either `endTime` or `lifetimeDuration`.")
	}
	p.Interval = p.Lifetime
	if times.interval != nil {
		p.Interval = *times.interval
	}
	if p.Interval <= 0 || p.Interval > p.Lifetime {
		p.Interval = p.Lifetime
	}
	p.Count = int(p.Lifetime / p.Interval)
	p.Warmup = times.beginAfter
	p.Lookback = times.lookback
	return p, nil
}

// Window returns judgement i's [start, end] (1-based): growing, or sliding
// with a lookback. In real time, judgement i runs once end has passed.
func (p *AnalysisPlan) Window(i int) (time.Time, time.Time) {
	start := p.Start
	end := p.Start.Add(time.Duration(i) * p.Interval)
	if p.RealTime {
		start = start.Add(p.Warmup)
		end = end.Add(p.Warmup)
	}
	if p.Lookback > 0 {
		start = end.Add(-p.Lookback)
	}
	return start, end
}

func (s *Service) runAnalysis(ctx context.Context, store *StoreAccount, a *Analysis) {
	save := func() bool {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// A cancel (through this or another replica) is stored as the
		// final state: keep it, and stop.
		if cur, err := s.loadAnalysis(sctx, store, a.PipelineID); err == nil && cur.Complete {
			return false
		}
		if err := s.saveAnalysis(sctx, store, a); err != nil {
			s.o.Logger.Warn("cannot save analysis", "analysis", a.PipelineID, "err", err)
			return false
		}
		return true
	}
	if a.Plan == nil {
		now := s.o.Clock.Now()
		a.StartTimeMillis, a.StartTimeIso = millisIso(now)
		a.Status = StatusRunning
		a.CanaryAnalysisExecutionResult = &AnalysisResult{BuildTimeIso: a.BuildTimeIso, StartTimeIso: a.StartTimeIso, CanaryScores: []float64{}, CanaryExecutionResults: []ExecutionResult{}}
		p, err := plan(a.CanaryAnalysisRequest, s.o.Clock.Now())
		if err != nil {
			s.endAnalysis(a, StatusTerminal, &Exception{Message: err.Error()})
			save()
			return
		}
		a.Plan = p
		a.StageStatus = planStages(p)
		if !save() {
			return
		}
	}
	p := a.Plan
	for ; p.NextIndex <= p.Count; p.NextIndex++ {
		i := p.NextIndex
		start, end := p.Window(i)
		if p.RealTime {
			// The wait ends at an absolute instant (the end of window i), so a
			// resumed analysis waits only what is left, and a wait of any
			// length, sub-minute included, keeps its schedule.
			setStage(a, fmt.Sprintf("Interval Wait #%d", i), StatusRunning, "")
			if !save() { // GET shows the wait, as Orca's running wait stage
				return
			}
			if err := s.o.Clock.Sleep(ctx, end.Sub(s.o.Clock.Now())); err != nil {
				return // shutting down or lease lost: resumed later at this index
			}
			setStage(a, fmt.Sprintf("Interval Wait #%d", i), StatusSucceeded, "")
		}
		res, err := s.judgeWindow(ctx, store, a, start, end)
		if ctx.Err() != nil {
			return
		}
		setStage(a, fmt.Sprintf("Run Canary #%d", i), res.ExecutionStatus, res.ExecutionID)
		r := a.CanaryAnalysisExecutionResult
		r.CanaryExecutionResults = append(r.CanaryExecutionResults, *res)
		score := 0.0
		if res.Result != nil && res.Result.JudgeResult != nil {
			score = float64(res.Result.JudgeResult.Score.Score)
		}
		r.CanaryScores = append(r.CanaryScores, score)
		if err != nil {
			p.NextIndex = p.Count + 1
			s.aggregate(a)
			s.endAnalysis(a, StatusTerminal, &Exception{Message: err.Error()})
			save()
			return
		}
		if t := a.CanaryAnalysisRequest.Thresholds; t != nil && score <= t.Marginal {
			p.NextIndex = p.Count + 1
			s.aggregate(a)
			s.endAnalysis(a, StatusTerminal, &Exception{Message: "Canary score is not above the marginal score threshold."})
			save()
			return
		}
		p.NextIndex = i + 1
		if !save() {
			return
		}
		p.NextIndex = i // the loop's increment moves to i+1
	}
	s.aggregate(a)
	s.endAnalysis(a, StatusSucceeded, nil)
	save()
}

// judgeWindow runs one canary execution over [start, end], synchronously.
func (s *Service) judgeWindow(ctx context.Context, store *StoreAccount, a *Analysis, start, end time.Time) (*ExecutionResult, error) {
	req := ExecutionRequest{Scopes: map[string]ScopePair{}, Thresholds: a.CanaryAnalysisRequest.Thresholds, SiteLocal: a.CanaryAnalysisRequest.SiteLocal}
	for _, sc := range a.CanaryAnalysisRequest.Scopes {
		offset := time.Duration(sc.ControlOffsetInMinutes) * time.Minute
		req.Scopes[sc.ScopeName] = ScopePair{
			ControlScope: metrics.Scope{Scope: sc.ControlScope, Location: sc.ControlLocation, Start: start.Add(-offset), End: end.Add(-offset),
				Step: sc.Step, ExtendedScopeParams: sc.ExtendedScopeParams},
			ExperimentScope: metrics.Scope{Scope: sc.ExperimentScope, Location: sc.ExperimentLocation, Start: start, End: end,
				Step: sc.Step, ExtendedScopeParams: sc.ExtendedScopeParams},
		}
	}
	jsMillis, jsIso := millisIso(start)
	jeMillis, jeIso := millisIso(end)
	res := &ExecutionResult{JudgementStartTimeIso: jsIso, JudgementStartTimeMillis: jsMillis, JudgementEndTimeIso: jeIso,
		JudgementEndTimeMillis: jeMillis, Warnings: []string{}, StorageAccountName: store.Name, ConfigurationAccountName: a.ConfigurationAccountName}
	ex, _, err := s.prepare(ctx, StartRequest{Application: a.Application, ParentPipelineExecutionID: a.PipelineID, CanaryConfigID: a.CanaryConfigID,
		Config: a.CanaryConfig, Request: req, MetricsAccountName: a.MetricsAccountName, StorageAccountName: store.Name, ConfigurationAccountName: a.ConfigurationAccountName})
	if err != nil {
		res.ExecutionStatus = "TERMINAL"
		res.Exception = &Exception{Message: err.Error()}
		return res, err
	}
	res.ExecutionID = ex.PipelineID
	// Hold the child's lease so no replica's resume loop runs it twice.
	lctx, release, err := s.holdLease(ctx, store, executionState.key(ex.PipelineID))
	if err != nil {
		return res, err
	}
	defer release()
	if err := s.save(ctx, store, ex); err != nil {
		return res, err
	}
	s.run(lctx, store, ex)
	if lctx.Err() != nil && ctx.Err() == nil {
		return res, errors.New("lost the lease of canary execution " + ex.PipelineID)
	}
	if ctx.Err() != nil && s.ctx.Err() == nil && !ex.Complete {
		// The analysis was canceled (or lost to another replica, which
		// judges this window again): end its running judgement too, so
		// that no replica resumes it.
		s.finish(ex, StatusCanceled, &Exception{Message: "Canceled with standalone canary analysis " + a.PipelineID + "."})
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.save(sctx, store, ex)
		scancel()
	}
	res.ExecutionStatus = strings.ToUpper(ex.Status)
	res.Exception, res.Result, res.MetricSetPairListID = ex.Exception, ex.Result, ex.MetricSetPairListID
	res.BuildTimeIso, res.BuildTimeMillis = ex.BuildTimeIso, ex.BuildTimeMillis
	res.StartTimeIso, res.StartTimeMillis = ex.StartTimeIso, ex.StartTimeMillis
	res.EndTimeIso, res.EndTimeMillis = ex.EndTimeIso, ex.EndTimeMillis
	if ex.Result != nil && ex.Result.JudgeResult != nil {
		for _, m := range ex.Result.JudgeResult.Results {
			if m.ControlMetadata.Stats.Count < 50 {
				res.Warnings = append(res.Warnings, "One of the metrics returned fewer than 50 data points, which can reduce confidence in the final canary score.")
				break
			}
		}
	}
	if ex.Status != StatusSucceeded {
		msg := "canary execution " + ex.PipelineID + " ended " + ex.Status
		if ex.Exception != nil {
			msg = ex.Exception.Message
		}
		return res, errors.New(msg)
	}
	return res, nil
}

// aggregate is GenerateCanaryAnalysisResultTask.
func (s *Service) aggregate(a *Analysis) {
	r := a.CanaryAnalysisExecutionResult
	for _, e := range r.CanaryExecutionResults {
		if len(e.Warnings) > 0 {
			r.HasWarnings = true
		}
	}
	final := 0.0
	if n := len(r.CanaryScores); n > 0 {
		final = r.CanaryScores[n-1]
	}
	t := a.CanaryAnalysisRequest.Thresholds
	switch {
	case t == nil:
		r.DidPassThresholds, r.CanaryScoreMessage = true, "No score thresholds were specified."
	case final <= t.Marginal:
		r.DidPassThresholds, r.CanaryScoreMessage = false, fmt.Sprintf("Final canary score %s is not above the marginal score threshold.", javaDouble(final))
	case final < t.Pass:
		r.DidPassThresholds, r.CanaryScoreMessage = false, fmt.Sprintf("Final canary score %s is below the pass score threshold.", javaDouble(final))
	default:
		r.DidPassThresholds, r.CanaryScoreMessage = true, fmt.Sprintf("Final canary score %s met or exceeded the pass score threshold.", javaDouble(final))
	}
	setStage(a, "Generate Canary Analysis Result", StatusSucceeded, "")
}

func javaDouble(f float64) string {
	s := fmt.Sprintf("%g", f)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

func (s *Service) endAnalysis(a *Analysis, status string, exc *Exception) {
	now := s.o.Clock.Now()
	a.Status = status
	if exc != nil {
		exc.Details = map[string]any{"errors": []string{exc.Message}}
		a.Exception = exc
	}
	a.EndTimeMillis, a.EndTimeIso = millisIso(now)
	if r := a.CanaryAnalysisExecutionResult; r != nil {
		r.EndTimeIso = a.EndTimeIso
	}
	for i := range a.StageStatus {
		if !Complete(a.StageStatus[i].Status) {
			if status == StatusSucceeded {
				a.StageStatus[i].Status = StatusSucceeded
			} else {
				a.StageStatus[i].Status = StatusCanceled
			}
		}
	}
}

func planStages(p *AnalysisPlan) []StageStatus {
	var st []StageStatus
	if p.RealTime && p.Warmup > 0 {
		st = append(st, StageStatus{Type: "wait", Name: "Warmup Wait", Status: StatusSucceeded})
	}
	for i := 1; i <= p.Count; i++ {
		if p.RealTime {
			st = append(st, StageStatus{Type: "wait", Name: fmt.Sprintf("Interval Wait #%d", i), Status: StatusNotStarted})
		}
		st = append(st, StageStatus{Type: "runCanary", Name: fmt.Sprintf("Run Canary #%d", i), Status: StatusNotStarted})
	}
	return append(st, StageStatus{Type: "generateCanaryAnalysisResult", Name: "Generate Canary Analysis Result", Status: StatusNotStarted})
}

func setStage(a *Analysis, name, status, execID string) {
	for i := range a.StageStatus {
		if a.StageStatus[i].Name == name {
			a.StageStatus[i].Status = strings.ToLower(status)
			if execID != "" {
				a.StageStatus[i].ExecutionID = execID
			}
		}
	}
}

// CancelAnalysis stops a standalone analysis: it ends canceled.
func (s *Service) CancelAnalysis(ctx context.Context, id, storageAccount string) error {
	store, err := s.o.Accounts.Store(storageAccount, config.ObjectStore)
	if err != nil {
		return err
	}
	a, err := s.loadAnalysis(ctx, store, id)
	if err != nil {
		return err
	}
	if a.Complete {
		return nil
	}
	s.stop(analysisState.key(id))
	s.endAnalysis(a, StatusCanceled, &Exception{Message: "Canceled by request."})
	return s.saveAnalysis(ctx, store, a)
}
