package canary

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/metrics"
	"github.com/ctlproject/ctl/kayenta/storage"
)

// ErrNotFound is returned for an unknown execution or object (a 404).
var ErrNotFound = errors.New("not found")

// Options configure a Service.
type Options struct {
	Accounts *Accounts
	Clock    Clock
	// Replica names this process in leases (host name plus a random suffix).
	Replica string
	// LeaseTTL is how long an execution's lease lasts unless renewed; a
	// replica that dies loses its executions to another after this.
	LeaseTTL time.Duration
	// MaxConcurrent bounds the executions this replica works at once.
	MaxConcurrent int
	// FetchConcurrency bounds the metric fetches of one execution.
	FetchConcurrency int
	// FetchTimeout bounds each metric fetch (retries included).
	FetchTimeout time.Duration
	// Archive also stores finished executions as Kayenta's canary_archive.
	Archive bool
	Logger  *slog.Logger
}

// Service runs canary executions. Every execution's state lives in the
// object store of its storage account, so any replica answers any GET and
// a restarted service resumes what was running.
type Service struct {
	o      Options
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	running map[string]context.CancelFunc   // executions this replica works now, by stateKind.key
	done    map[string]bool                 // keys (stateKind.key) of executions known to be complete
	listed  map[string]map[string]listEntry // List's complete executions, per storage account
}

// stateKind is what tells the stored state of canary executions from that
// of standalone analyses.
type stateKind struct {
	live, archive storage.ObjectType
	prefix        string // of lease names, and of the keys in running and done
	what          string // names it in errors
}

var (
	executionState = stateKind{storage.CanaryExecution, storage.CanaryResultArchive, "canary-", "canary execution"}
	analysisState  = stateKind{storage.StandaloneExecution, storage.StandaloneCanaryResultArchive, "analysis-", "canary analysis execution"}
)

// key names execution id of this kind in leases, running and done.
func (k stateKind) key(id string) string { return k.prefix + id }

// New returns a Service; call Run to resume and take over executions.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 8
	}
	if o.FetchConcurrency <= 0 {
		o.FetchConcurrency = 8
	}
	if o.FetchTimeout <= 0 {
		o.FetchTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Replica == "" {
		o.Replica = "replica-" + metrics.NewUUID()[:8]
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{o: o, ctx: ctx, cancel: cancel, sem: make(chan struct{}, o.MaxConcurrent),
		running: map[string]context.CancelFunc{}, done: map[string]bool{}, listed: map[string]map[string]listEntry{}}
}

// Accounts returns the account registry.
func (s *Service) Accounts() *Accounts { return s.o.Accounts }

// Clock returns the service's clock.
func (s *Service) Clock() Clock { return s.o.Clock }

// Close stops working executions (they stay running in the store and are
// resumed by this or another replica) and waits for the workers.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// StartRequest is everything needed to start a canary execution.
type StartRequest struct {
	Application               string
	ParentPipelineExecutionID string
	// CanaryConfigID is the stored config's id, or "ad-hoc".
	CanaryConfigID string
	// Config is the canary config JSON.
	Config                   json.RawMessage
	Request                  ExecutionRequest
	MetricsAccountName       string
	StorageAccountName       string
	ConfigurationAccountName string
}

// Start validates the request, stores a new execution and starts working
// it. Validation failures are metrics.ArgumentError (400), as Kayenta's
// ExecutionMapper.
func (s *Service) Start(ctx context.Context, r StartRequest) (string, error) {
	ex, store, err := s.prepare(ctx, r)
	if err != nil {
		return "", err
	}
	if err := s.save(ctx, store, ex); err != nil {
		return "", err
	}
	s.launch(ex.PipelineID, store)
	return ex.PipelineID, nil
}

func (s *Service) prepare(ctx context.Context, r StartRequest) (*Execution, *StoreAccount, error) {
	if _, err := s.o.Accounts.MetricsAccount(r.MetricsAccountName); err != nil {
		return nil, nil, err
	}
	store, err := s.o.Accounts.Store(r.StorageAccountName, config.ObjectStore)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := judge.ParseCanaryConfig(r.Config, "canaryConfig")
	if err != nil {
		return nil, nil, metrics.Argumentf("%v", err)
	}
	if err := validateRequest(cfg, &r.Request); err != nil {
		return nil, nil, err
	}
	if r.Application == "" {
		r.Application = "ad-hoc"
	}
	now := s.o.Clock.Now()
	ex := &Execution{
		Application: r.Application, ParentPipelineExecutionID: r.ParentPipelineExecutionID,
		PipelineID: metrics.NewUUID(), Status: StatusNotStarted, StageStatus: stageStatuses(cfg, StatusNotStarted),
		Config: r.Config, CanaryConfigID: r.CanaryConfigID, CanaryExecutionRequest: &r.Request,
		StorageAccountName: store.Name, MetricsAccountName: r.MetricsAccountName, ConfigurationAccountName: r.ConfigurationAccountName,
	}
	if ex.MetricsAccountName == "" {
		m, _ := s.o.Accounts.MetricsAccount("")
		ex.MetricsAccountName = m.Name
	}
	ex.BuildTimeMillis, ex.BuildTimeIso = millisIso(now)
	return ex, store, nil
}

// validateRequest applies ExecutionMapper.buildExecution's checks.
func validateRequest(cfg *judge.CanaryConfig, req *ExecutionRequest) error {
	if len(cfg.Metrics) == 0 {
		return metrics.Argumentf("Canary config must have at least one metric. Otherwise we're not analyzing anything. :)")
	}
	// An unknown judge would fail only after every metric was fetched.
	if cfg.JudgeName != "" && cfg.JudgeName != judge.JudgeName {
		return metrics.Argumentf("Unable to resolve canary judge '%s': only %s is available.", cfg.JudgeName, judge.JudgeName)
	}
	if req.Thresholds == nil {
		return metrics.Argumentf("Execution request must contain thresholds")
	}
	if err := req.Thresholds.Validate(); err != nil {
		return metrics.Argumentf("thresholds: %v", err)
	}
	if len(req.Scopes) == 0 {
		return metrics.Argumentf("Canary execution request must contain at least one scope.")
	}
	for _, m := range cfg.Metrics {
		if m.ScopeName == "" {
			return metrics.Argumentf("Canary scope for metric %s is null.", m.Name)
		}
		sp, ok := req.Scopes[m.ScopeName]
		if !ok {
			return metrics.Argumentf("Canary scope '%s' for metric %s is missing from the request scopes (have %s).", m.ScopeName, m.Name, strings.Join(sortedKeys(req.Scopes), ", "))
		}
		for side, sc := range map[string]metrics.Scope{"controlScope": sp.ControlScope, "experimentScope": sp.ExperimentScope} {
			if sc.Start.IsZero() || sc.End.IsZero() {
				return metrics.Argumentf("scopes.%s.%s needs start and end.", m.ScopeName, side)
			}
			if !sc.End.After(sc.Start) {
				return metrics.Argumentf("scopes.%s.%s: end must be after start.", m.ScopeName, side)
			}
			if sc.Step <= 0 {
				return metrics.Argumentf("scopes.%s.%s: step must be a positive number of seconds.", m.ScopeName, side)
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func stageStatuses(cfg *judge.CanaryConfig, st string) map[string]string {
	m := map[string]string{"setupContext": st, "mixMetrics": st, "judge": st}
	for i := range cfg.Metrics {
		m[fmt.Sprintf("fetchControl%d", i)] = st
		m[fmt.Sprintf("fetchExperiment%d", i)] = st
	}
	return m
}

func (s *Service) save(ctx context.Context, store *StoreAccount, ex *Execution) error {
	ex.Complete = Complete(ex.Status)
	return s.saveState(ctx, store, executionState, ex.PipelineID, ex.Complete, ex)
}

// saveState writes v, the live state of execution id of kind k. Once it is
// complete, it is remembered as done (resume skips it) and, with
// Options.Archive, also stored as the archive Kayenta writes.
func (s *Service) saveState(ctx context.Context, store *StoreAccount, k stateKind, id string, complete bool, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := store.Store.Put(ctx, k.live, id, "", b); err != nil {
		return fmt.Errorf("saving %s %s: %w", k.what, id, err)
	}
	if complete {
		s.mu.Lock()
		s.done[k.key(id)] = true
		s.mu.Unlock()
		if s.o.Archive {
			if err := store.Store.Put(ctx, k.archive, id, "", b); err != nil {
				return fmt.Errorf("archiving %s %s: %w", k.what, id, err)
			}
		}
	}
	return nil
}

// Get returns an execution from the named storage account ("" = default).
func (s *Service) Get(ctx context.Context, id, storageAccount string) (*Execution, error) {
	store, err := s.o.Accounts.Store(storageAccount, config.ObjectStore)
	if err != nil {
		return nil, err
	}
	return s.load(ctx, store, id)
}

func (s *Service) load(ctx context.Context, store *StoreAccount, id string) (*Execution, error) {
	var ex Execution
	if err := loadState(ctx, store, executionState, id, &ex); err != nil {
		return nil, err
	}
	return &ex, nil
}

// loadState reads into v the live state of execution id of kind k, or the
// archive Kayenta itself writes when there is none.
func loadState(ctx context.Context, store *StoreAccount, k stateKind, id string, v any) error {
	b, err := store.Store.Get(ctx, k.live, id)
	if errors.Is(err, storage.ErrNotFound) {
		b, err = store.Store.Get(ctx, k.archive, id)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("%s %s: %w", k.what, id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s %s in %s is not readable: %w", k.what, id, store.Name, err)
	}
	return nil
}

// ListFilter selects executions for GET /canary/executions.
type ListFilter struct {
	Application    string
	Statuses       []string
	Limit, Page    int
	StorageAccount string
}

// listEntry is what List needs of an execution to filter and order it.
type listEntry struct {
	build       int64
	application string
	status      string
}

// List returns executions newest first (by build time), a page at a time.
// Pages are stable: an old execution updated later stays where its build
// time puts it. Complete executions never change, so their entries are
// remembered per storage account; a call reads only the executions it has
// not seen complete, then those of the page it has not just read.
func (s *Service) List(ctx context.Context, f ListFilter) ([]*Execution, error) {
	store, err := s.o.Accounts.Store(f.StorageAccount, config.ObjectStore)
	if err != nil {
		return nil, err
	}
	infos, err := store.Store.List(ctx, storage.CanaryExecution)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	s.mu.Lock()
	known := maps.Clone(s.listed[store.Name])
	s.mu.Unlock()
	entries := make(map[string]listEntry, len(infos))
	fresh := map[string]listEntry{}
	incomplete := map[string]*Execution{} // read now, and not remembered
	for _, info := range infos {
		if e, ok := known[info.ID]; ok {
			entries[info.ID] = e
			continue
		}
		ex, err := s.load(ctx, store, info.ID)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue // deleted meanwhile, or unreadable
		}
		e := listEntry{build: ex.BuildTimeMillis, application: ex.Application, status: ex.Status}
		entries[info.ID] = e
		if ex.Complete {
			fresh[info.ID] = e
		} else {
			incomplete[info.ID] = ex
		}
	}
	// Remember the complete ones; forget what is gone from the store.
	s.mu.Lock()
	m := s.listed[store.Name]
	if m == nil {
		m = map[string]listEntry{}
		s.listed[store.Name] = m
	}
	maps.Copy(m, fresh)
	for id := range m {
		if _, ok := entries[id]; !ok {
			delete(m, id)
		}
	}
	s.mu.Unlock()

	var ids []string
	for id, e := range entries {
		if f.Application != "" && e.application != f.Application {
			continue
		}
		if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, e.status) {
			continue
		}
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		if c := cmp.Compare(entries[b].build, entries[a].build); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	start := (f.Page - 1) * f.Limit
	if start >= len(ids) {
		return nil, nil
	}
	ids = ids[start:min(start+f.Limit, len(ids))]
	out := make([]*Execution, 0, len(ids))
	for _, id := range ids {
		if ex, ok := incomplete[id]; ok {
			out = append(out, ex)
			continue
		}
		ex, err := s.load(ctx, store, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue // deleted meanwhile
		}
		out = append(out, ex)
	}
	return out, nil
}

// Cancel stops an execution: it ends canceled, whichever replica works it.
func (s *Service) Cancel(ctx context.Context, id, storageAccount string) error {
	store, err := s.o.Accounts.Store(storageAccount, config.ObjectStore)
	if err != nil {
		return err
	}
	ex, err := s.load(ctx, store, id)
	if err != nil {
		return err
	}
	if ex.Complete {
		return nil
	}
	s.stop(executionState.key(id))
	s.finish(ex, StatusCanceled, &Exception{Message: "Canceled by request."})
	return s.save(ctx, store, ex)
}

// stop cancels the work of key on this replica, if it works it.
func (s *Service) stop(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.running[key]; ok {
		c()
	}
}

func (s *Service) finish(ex *Execution, status string, exc *Exception) {
	end := s.o.Clock.Now()
	ex.Status = status
	ex.Exception = exc
	if exc != nil && exc.Details == nil {
		exc.Details = map[string]any{"errors": []string{exc.Message}}
	}
	ex.EndTimeMillis, ex.EndTimeIso = millisIso(end)
	for k, v := range ex.StageStatus {
		if !Complete(v) {
			ex.StageStatus[k] = status
		}
	}
}

// launch works an execution in the background, if its lease can be taken.
func (s *Service) launch(id string, store *StoreAccount) {
	s.spawn(executionState.key(id), func(ctx context.Context) {
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		case <-ctx.Done():
			return
		}
		s.work(ctx, id, store)
	})
}

// spawn runs fn in the background under key, unless this replica already
// works that key or is shutting down. stop(key) stops it.
func (s *Service) spawn(key string, fn func(ctx context.Context)) {
	s.mu.Lock()
	if _, busy := s.running[key]; busy || s.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.running[key] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, key)
			s.mu.Unlock()
			cancel()
		}()
		fn(ctx)
	}()
}

// work takes the execution's lease and runs it to the end. When the lease
// is lost (another replica took over after this one stalled), it stops
// without writing.
func (s *Service) work(ctx context.Context, id string, store *StoreAccount) {
	ctx, release, err := s.holdLease(ctx, store, executionState.key(id))
	if err != nil {
		return
	}
	defer release()
	ex, err := s.load(ctx, store, id)
	if err != nil || ex.Complete {
		return
	}
	s.run(ctx, store, ex)
}

// holdLease takes the named lease and renews it until release is called.
// The context it returns ends on release, or when the lease is lost (another
// replica took over after this one stalled). An error other than
// storage.ErrLeaseHeld is logged.
func (s *Service) holdLease(ctx context.Context, store *StoreAccount, name string) (_ context.Context, release func(), _ error) {
	lease, err := store.Store.AcquireLease(ctx, name, s.o.Replica, s.o.LeaseTTL)
	if err != nil {
		if !errors.Is(err, storage.ErrLeaseHeld) {
			s.o.Logger.Warn("cannot take lease", "lease", name, "err", err)
		}
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	go s.keepLease(ctx, lease, cancel)
	return ctx, func() {
		cancel()
		rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer rcancel()
		_ = lease.Release(rctx)
	}, nil
}

func (s *Service) keepLease(ctx context.Context, lease storage.Lease, onLost func()) {
	t := time.NewTicker(s.o.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(ctx, s.o.LeaseTTL/3)
			err := lease.Renew(rctx)
			cancel()
			if errors.Is(err, storage.ErrLeaseLost) {
				s.o.Logger.Warn("execution lease lost; another replica took over", "lease", lease.Name())
				onLost()
				return
			}
		}
	}
}

// run fetches, mixes, judges and stores one execution. It runs from the
// start each time (a resumed execution fetches again: its windows are in
// the past, so the data are the same).
func (s *Service) run(ctx context.Context, store *StoreAccount, ex *Execution) {
	start := s.o.Clock.Now()
	ex.Status = StatusRunning
	ex.StartTimeMillis, ex.StartTimeIso = millisIso(start)
	ex.StageStatus["setupContext"] = StatusSucceeded
	if err := s.save(ctx, store, ex); err != nil {
		s.o.Logger.Warn("cannot save execution", "execution", ex.PipelineID, "err", err)
		return
	}
	result, pairListID, err := s.analyse(ctx, store, ex)
	if ctx.Err() != nil && s.ctx.Err() != nil {
		return // shutting down: left running in the store, resumed later
	}
	if ctx.Err() != nil {
		// Canceled by request, or the lease was lost: whoever did that writes.
		return
	}
	if err != nil {
		s.finish(ex, StatusTerminal, &Exception{Message: err.Error()})
	} else {
		ex.Result = result
		ex.MetricSetPairListID = pairListID
		s.finish(ex, StatusSucceeded, nil)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A cancel through another replica is already stored: keep it.
	if cur, err := s.load(sctx, store, ex.PipelineID); err == nil && cur.Complete {
		return
	}
	if err := s.save(sctx, store, ex); err != nil {
		s.o.Logger.Warn("cannot save execution", "execution", ex.PipelineID, "err", err)
	}
}

// canaryConfigDoc is the part of the config JSON the fetch stage needs
// beyond what the judge parses.
type canaryConfigDoc struct {
	Templates map[string]string `json:"templates"`
	Metrics   []struct {
		Name  string          `json:"name"`
		Query json.RawMessage `json:"query"`
	} `json:"metrics"`
}

type fetchJob struct {
	metric  int
	control bool
	query   metrics.Query
	out     []metrics.MetricSet
	err     error
}

func (s *Service) analyse(ctx context.Context, store *StoreAccount, ex *Execution) (*Result, string, error) {
	cfg, err := judge.ParseCanaryConfig(ex.Config, "canaryConfig")
	if err != nil {
		return nil, "", err
	}
	var doc canaryConfigDoc
	if err := json.Unmarshal(ex.Config, &doc); err != nil {
		return nil, "", fmt.Errorf("canary config: %w", err)
	}
	acct, err := s.o.Accounts.MetricsAccount(ex.MetricsAccountName)
	if err != nil {
		return nil, "", err
	}
	req := ex.CanaryExecutionRequest
	var jobs []*fetchJob
	for i, m := range cfg.Metrics {
		sp := req.Scopes[m.ScopeName]
		for _, control := range []bool{true, false} {
			sc := sp.ExperimentScope
			if control {
				sc = sp.ControlScope
			}
			jobs = append(jobs, &fetchJob{metric: i, control: control, query: metrics.Query{
				MetricName: m.Name, QueryConfig: doc.Metrics[i].Query, Templates: doc.Templates, Scope: sc}})
		}
	}
	// Fetch every metric of both scopes in parallel, bounded.
	sem := make(chan struct{}, s.o.FetchConcurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				j.err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			fctx, cancel := context.WithTimeout(ctx, s.o.FetchTimeout)
			defer cancel()
			j.out, j.err = acct.Source.Fetch(fctx, j.query)
			if j.err != nil && fctx.Err() != nil && ctx.Err() == nil {
				j.err = fmt.Errorf("fetching %s timed out after %s: %w", j.query.MetricName, s.o.FetchTimeout, j.err)
			}
		}()
	}
	wg.Wait()
	var firstErr error
	for _, j := range jobs {
		key := fmt.Sprintf("fetchExperiment%d", j.metric)
		if j.control {
			key = fmt.Sprintf("fetchControl%d", j.metric)
		}
		if j.err != nil {
			ex.StageStatus[key] = StatusTerminal
			if firstErr == nil {
				side := "experiment"
				if j.control {
					side = "control"
				}
				firstErr = fmt.Errorf("fetching metric %q (%s scope %q) from %s: %w", j.query.MetricName, side, j.query.Scope.Scope, acct.Name, j.err)
			}
			continue
		}
		ex.StageStatus[key] = StatusSucceeded
	}
	if firstErr != nil {
		return nil, "", firstErr
	}
	var pairs []judge.MetricSetPair
	for i, m := range cfg.Metrics {
		var control, experiment []metrics.MetricSet
		for _, j := range jobs {
			if j.metric != i {
				continue
			}
			if j.control {
				control = j.out
			} else {
				experiment = j.out
			}
		}
		p, err := metrics.Mix(m.Name, control, experiment)
		if err != nil {
			ex.StageStatus["mixMetrics"] = StatusTerminal
			return nil, "", fmt.Errorf("pairing metric %q: %w", m.Name, err)
		}
		pairs = append(pairs, p...)
	}
	ex.StageStatus["mixMetrics"] = StatusSucceeded
	pairListID := metrics.NewUUID()
	b, err := json.Marshal(pairs)
	if err != nil {
		return nil, "", err
	}
	if err := store.Store.Put(ctx, storage.MetricSetPairList, pairListID, "", b); err != nil {
		return nil, "", fmt.Errorf("storing the metric set pair list: %w", err)
	}
	res, err := judge.Judge(cfg, pairs, *req.Thresholds)
	if err != nil {
		ex.StageStatus["judge"] = StatusTerminal
		return nil, "", err
	}
	ex.StageStatus["judge"] = StatusSucceeded
	return &Result{JudgeResult: res, CanaryDuration: req.duration()}, pairListID, nil
}

// duration is calculateDuration(): the common length of every scope, as an
// ISO-8601 duration, or "" when they differ.
func (r *ExecutionRequest) duration() string {
	var d time.Duration
	for _, sp := range r.Scopes {
		for _, sc := range []metrics.Scope{sp.ControlScope, sp.ExperimentScope} {
			l := sc.End.Sub(sc.Start)
			if d != 0 && l != d {
				return ""
			}
			d = l
		}
	}
	return isoDuration(d)
}

func isoDuration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	s := "PT"
	if h := int(d.Hours()); h > 0 {
		s += fmt.Sprintf("%dH", h)
		d -= time.Duration(h) * time.Hour
	}
	if m := int(d.Minutes()); m > 0 {
		s += fmt.Sprintf("%dM", m)
		d -= time.Duration(m) * time.Minute
	}
	if d > 0 {
		s += strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", d.Seconds()), "0"), ".") + "S"
	}
	return s
}

// Run resumes executions left running (by this process before a restart, or
// by a replica that died) and keeps taking over abandoned ones until ctx is
// done. Call it once, in the background.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.o.LeaseTTL)
	defer t.Stop()
	for {
		s.resume(ctx, executionState, s.launch)
		s.resume(ctx, analysisState, s.launchAnalysis)
		select {
		case <-ctx.Done():
			return
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// resume launches every execution of kind k that is not complete.
func (s *Service) resume(ctx context.Context, k stateKind, launch func(id string, store *StoreAccount)) {
	for _, store := range s.o.Accounts.StoresOf(config.ObjectStore) {
		infos, err := store.Store.List(ctx, k.live)
		if err != nil {
			s.o.Logger.Warn("cannot list executions", "type", k.live.String(), "account", store.Name, "err", err)
			continue
		}
		for _, info := range infos {
			key := k.key(info.ID)
			s.mu.Lock()
			known := s.done[key]
			s.mu.Unlock()
			if known {
				continue
			}
			var st struct {
				Complete bool `json:"complete"`
			}
			if loadState(ctx, store, k, info.ID, &st) != nil {
				continue
			}
			if st.Complete {
				s.mu.Lock()
				s.done[key] = true
				s.mu.Unlock()
				continue
			}
			launch(info.ID, store)
		}
	}
}
