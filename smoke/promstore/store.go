// Package promstore is an embedded Prometheus for machines that have none:
// it scrapes targets' /metrics into a TSDB and answers PromQL over the part of
// Prometheus's HTTP API that ctl's analysis service (and client_golang's
// api/prometheus/v1) uses.
//
// It is built on the Prometheus project's own packages, so queries have
// Prometheus's exact semantics: storage is a tsdb.DB (github.com/prometheus/
// prometheus/tsdb), expositions are parsed with model/textparse, and queries
// run on promql.Engine. What it does not take from Prometheus is the server
// around them (web/api/v1, scrape, discovery, config files): the scrape loop
// and the HTTP handlers here are small and written for this use, following
// Prometheus's behaviour:
//
//   - every sample gets the scrape's start time unless the exposition has a
//     timestamp; target labels (job, instance and Target.Labels) are added to
//     every series, and an exposed label that clashes with one becomes
//     exported_<name> (honor_labels: false);
//   - series that vanish from a scrape, every series of a failed scrape, and
//     every series of a removed target get a staleness marker; each scrape
//     also writes up, scrape_duration_seconds and scrape_samples_scraped;
//   - the HTTP API answers with Prometheus's JSON envelope
//     ({"status":"success","data":...} or {"status":"error","errorType":...,
//     "error":...}), values as [unix_seconds, "string"], and its status codes
//     (400 bad_data, 422 execution, 503 timeout, 499 canceled).
//
// Served endpoints: GET/POST /api/v1/query and /api/v1/query_range,
// GET/POST /api/v1/series and /api/v1/labels, GET /api/v1/label/<name>/values,
// GET /api/v1/targets, GET /api/v1/status/buildinfo, GET /-/healthy and
// GET /-/ready.
package promstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunks"
)

// Defaults.
const (
	DefaultListen         = "127.0.0.1:0"
	DefaultScrapeInterval = 5 * time.Second
	// DefaultRetention keeps a day of samples, plenty for smoke canaries.
	DefaultRetention = 24 * time.Hour
	// DefaultLookbackDelta is Prometheus's --query.lookback-delta default.
	DefaultLookbackDelta = 5 * time.Minute
	// DefaultQueryTimeout is Prometheus's --query.timeout default.
	DefaultQueryTimeout = 2 * time.Minute
	// maxScrapeTimeout caps the default scrape timeout (Prometheus's
	// scrape_timeout default).
	maxScrapeTimeout = 10 * time.Second
	// maxQuerySamples is Prometheus's --query.max-samples default.
	maxQuerySamples = 50_000_000
)

// shutdownGrace bounds how long Close waits for HTTP requests in flight.
const shutdownGrace = 5 * time.Second

// Target is a metrics endpoint to scrape.
type Target struct {
	// Job is the job label (the scrape pool); required.
	Job string
	// URL is the endpoint, http(s)://host:port/path. A URL without a path
	// scrapes /metrics. It identifies the target: two targets cannot share it.
	URL string
	// Labels are added to every series scraped from the target, like a
	// static_config's labels (e.g. version=canary). They may override job
	// and instance (by default host:port of URL).
	Labels map[string]string
}

// Options configure a Store.
type Options struct {
	// Dir holds the TSDB. Empty: a temporary folder, removed by Close, with
	// no write-ahead log (the data lives as long as the Store). A given Dir
	// keeps a write-ahead log and survives Close, like Prometheus's
	// --storage.tsdb.path.
	Dir string
	// Listen is the HTTP API's address (default 127.0.0.1:0).
	Listen string
	// ScrapeInterval is how often each target is scraped (default 5s).
	ScrapeInterval time.Duration
	// ScrapeTimeout bounds one scrape (default the interval, at most 10s).
	ScrapeTimeout time.Duration
	// Targets are scraped from the start; AddTarget adds more.
	Targets []Target
	// Retention is how long samples are kept (default 24h).
	Retention time.Duration
	// LookbackDelta is PromQL's lookback for instant vectors (default 5m).
	LookbackDelta time.Duration
	// QueryTimeout bounds one query (default 2m).
	QueryTimeout time.Duration
	// Logger receives scrape failures and server errors (default: discarded).
	Logger *slog.Logger
}

// Store is a running embedded Prometheus. Its methods are safe for
// concurrent use.
type Store struct {
	opts    Options
	log     *slog.Logger
	db      *tsdb.DB
	engine  *promql.Engine
	parser  parser.Parser
	srv     *http.Server
	url     string
	tempDir string
	client  *http.Client

	mu     sync.Mutex
	loops  map[string]*loop // by normalized URL
	closed bool
	// removing counts RemoveTarget calls still writing staleness markers:
	// Close waits for them before it closes the TSDB.
	removing sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
	served    chan struct{}
	done      chan struct{}

	// fresh are the connections that have not sent a request yet: Close
	// closes them at once rather than waiting for them (http.Server's
	// Shutdown waits up to 5 s for such a connection, e.g. a client's
	// spare keep-alive dial).
	connMu sync.Mutex
	fresh  map[net.Conn]struct{}
}

// Start opens the TSDB, starts scraping opts.Targets and serves the HTTP API
// on opts.Listen. The Store runs until Close is called or ctx ends (which
// closes it as Close does).
func Start(ctx context.Context, opts Options) (*Store, error) {
	o, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	targets := make([]preparedTarget, 0, len(o.Targets))
	seen := map[string]bool{}
	for _, t := range o.Targets {
		pt, err := prepareTarget(t)
		if err != nil {
			return nil, err
		}
		if seen[pt.url] {
			return nil, fmt.Errorf("promstore: target %s given twice", pt.url)
		}
		seen[pt.url] = true
		targets = append(targets, pt)
	}

	s := &Store{
		opts:   o,
		log:    o.Logger,
		loops:  map[string]*loop{},
		served: make(chan struct{}),
		done:   make(chan struct{}),
	}
	dir := o.Dir
	tsdbOpts := tsdb.DefaultOptions()
	tsdbOpts.RetentionDuration = o.Retention.Milliseconds()
	// A few hundred series, not millions: smaller lock stripes and chunk
	// write buffer than a Prometheus server's (16384 and 4 MiB).
	tsdbOpts.StripeSize = 256
	tsdbOpts.HeadChunksWriteBufferSize = chunks.MinWriteBufferSize
	if dir == "" {
		if dir, err = os.MkdirTemp("", "ctl-promstore-"); err != nil {
			return nil, fmt.Errorf("promstore: %w", err)
		}
		s.tempDir = dir
		tsdbOpts.WALSegmentSize = -1 // no WAL: the data dies with the Store
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("promstore: %w", err)
	}
	s.db, err = tsdb.Open(dir, o.Logger.With("component", "tsdb"), nil, tsdbOpts, nil)
	if err != nil {
		_ = s.removeTemp()
		return nil, fmt.Errorf("promstore: open TSDB in %s: %w", dir, err)
	}
	s.parser = parser.NewParser(parser.Options{})
	s.engine = promql.NewEngine(promql.EngineOpts{
		Logger:        o.Logger.With("component", "query engine"),
		MaxSamples:    maxQuerySamples,
		Timeout:       o.QueryTimeout,
		LookbackDelta: o.LookbackDelta,
		// Prometheus's default evaluation_interval.
		NoStepSubqueryIntervalFn: func(int64) int64 { return time.Minute.Milliseconds() },
		EnableAtModifier:         true,
		EnableNegativeOffset:     true,
		Parser:                   s.parser,
	})

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		_ = s.engine.Close()
		_ = s.db.Close()
		_ = s.removeTemp()
		return nil, fmt.Errorf("promstore: %w", err)
	}
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
		ConnState:         s.trackConn,
	}
	// Shutdown runs this once its listener is closed.
	s.srv.RegisterOnShutdown(func() {
		s.connMu.Lock()
		defer s.connMu.Unlock()
		for c := range s.fresh {
			_ = c.Close()
		}
	})
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("promstore: HTTP server stopped", "err", err)
		}
	}()

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	s.client = &http.Client{Transport: tr}

	for _, pt := range targets {
		s.startLoop(pt)
	}
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

func withDefaults(o Options) (Options, error) {
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.ScrapeInterval == 0 {
		o.ScrapeInterval = DefaultScrapeInterval
	}
	if o.ScrapeInterval < 0 {
		return o, fmt.Errorf("promstore: negative scrape interval %s", o.ScrapeInterval)
	}
	if o.ScrapeTimeout == 0 {
		o.ScrapeTimeout = min(o.ScrapeInterval, maxScrapeTimeout)
	}
	if o.ScrapeTimeout < 0 || o.ScrapeTimeout > o.ScrapeInterval {
		return o, fmt.Errorf("promstore: scrape timeout %s must be positive and at most the scrape interval %s", o.ScrapeTimeout, o.ScrapeInterval)
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.Retention < 0 {
		return o, fmt.Errorf("promstore: negative retention %s", o.Retention)
	}
	if o.LookbackDelta == 0 {
		o.LookbackDelta = DefaultLookbackDelta
	}
	if o.QueryTimeout == 0 {
		o.QueryTimeout = DefaultQueryTimeout
	}
	if o.LookbackDelta < 0 || o.QueryTimeout < 0 {
		return o, errors.New("promstore: negative lookback delta or query timeout")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o, nil
}

// preparedTarget is a checked Target with its final labels.
type preparedTarget struct {
	Target
	url    string        // normalized
	labels labels.Labels // job, instance, Target.Labels
}

func prepareTarget(t Target) (preparedTarget, error) {
	if t.Job == "" {
		return preparedTarget{}, fmt.Errorf("promstore: target %q has no job", t.URL)
	}
	u, err := normalizeURL(t.URL)
	if err != nil {
		return preparedTarget{}, err
	}
	b := labels.NewBuilder(labels.EmptyLabels())
	b.Set(model.JobLabel, t.Job)
	b.Set(model.InstanceLabel, u.Host)
	for k, v := range t.Labels {
		if !model.LabelName(k).IsValid() || strings.HasPrefix(k, model.ReservedLabelPrefix) {
			return preparedTarget{}, fmt.Errorf("promstore: target %s: invalid label name %q", t.URL, k)
		}
		b.Set(k, v)
	}
	t.Labels = maps.Clone(t.Labels)
	return preparedTarget{Target: t, url: u.String(), labels: b.Labels()}, nil
}

// normalizeURL checks a target URL and gives it the path /metrics when it
// has none.
func normalizeURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("promstore: target URL %q is not an http(s) URL", raw)
	}
	if u.Path == "" {
		u.Path = "/metrics"
	}
	return u, nil
}

// URL is the base URL of the HTTP API, http://127.0.0.1:PORT: a Prometheus
// account's baseUrl.
func (s *Store) URL() string { return s.url }

// Dir is the TSDB folder.
func (s *Store) Dir() string { return s.db.Dir() }

// AddTarget starts scraping t (the first scrape happens at once).
func (s *Store) AddTarget(t Target) error {
	pt, err := prepareTarget(t)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("promstore: closed")
	}
	if _, ok := s.loops[pt.url]; ok {
		return fmt.Errorf("promstore: target %s already scraped", pt.url)
	}
	s.startLoopLocked(pt)
	return nil
}

// RemoveTarget stops scraping the target with this URL (as given to
// AddTarget or Options.Targets) and marks its series stale, as Prometheus
// does when a target disappears. It waits for a scrape in progress.
func (s *Store) RemoveTarget(targetURL string) error {
	key := targetURL
	if u, err := normalizeURL(targetURL); err == nil {
		key = u.String()
	}
	s.mu.Lock()
	l, ok := s.loops[key]
	if ok {
		delete(s.loops, key)
		s.removing.Add(1)
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("promstore: no target %s", targetURL)
	}
	defer s.removing.Done()
	l.stop(true)
	return nil
}

// TargetStatus is the state of one scraped target.
type TargetStatus struct {
	Target
	// ScrapeURL is the URL scraped (with /metrics added when the path was
	// empty).
	ScrapeURL string
	// Labels are the labels added to every series: job, instance and
	// Target.Labels.
	Labels map[string]string
	// Health is "up", "down" or "unknown" (not scraped yet).
	Health string
	// LastScrape is when the last scrape started (zero before the first).
	LastScrape time.Time
	// LastScrapeDuration is how long it took.
	LastScrapeDuration time.Duration
	// LastError is why it failed ("" when it succeeded).
	LastError string
	// Samples is the number of samples the last scrape exposed.
	Samples int
	// Scrapes counts the scrapes done, successful or not.
	Scrapes int
}

// Targets returns the state of every target, sorted by job, then URL.
func (s *Store) Targets() []TargetStatus {
	s.mu.Lock()
	loops := slices.Collect(maps.Values(s.loops))
	s.mu.Unlock()
	out := make([]TargetStatus, 0, len(loops))
	for _, l := range loops {
		out = append(out, l.status())
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Job != out[j].Job {
			return out[i].Job < out[j].Job
		}
		return out[i].ScrapeURL < out[j].ScrapeURL
	})
	return out
}

func (s *Store) startLoop(pt preparedTarget) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startLoopLocked(pt)
}

func (s *Store) startLoopLocked(pt preparedTarget) {
	l := newLoop(s, pt)
	s.loops[pt.url] = l
	go l.run()
}

// Close stops scraping and serving, closes the TSDB and removes the
// temporary folder (when Options.Dir was empty). It may be called more than
// once; later calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.mu.Lock()
		s.closed = true
		loops := slices.Collect(maps.Values(s.loops))
		clear(s.loops)
		s.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		var errs []error
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close()
		}
		<-s.served
		var wg sync.WaitGroup
		for _, l := range loops {
			wg.Go(func() { l.stop(false) })
		}
		wg.Wait()
		s.removing.Wait()
		s.client.CloseIdleConnections()
		if err := s.engine.Close(); err != nil {
			errs = append(errs, fmt.Errorf("promstore: close query engine: %w", err))
		}
		if err := s.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("promstore: close TSDB: %w", err))
		}
		if err := s.removeTemp(); err != nil {
			errs = append(errs, err)
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// trackConn keeps s.fresh: connections in http.StateNew.
func (s *Store) trackConn(c net.Conn, st http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if st == http.StateNew {
		if s.fresh == nil {
			s.fresh = map[net.Conn]struct{}{}
		}
		s.fresh[c] = struct{}{}
		return
	}
	delete(s.fresh, c)
}

func (s *Store) removeTemp() error {
	if s.tempDir == "" {
		return nil
	}
	if err := os.RemoveAll(s.tempDir); err != nil {
		return fmt.Errorf("promstore: remove %s: %w", s.tempDir, err)
	}
	return nil
}
