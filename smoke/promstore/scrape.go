package promstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/model/timestamp"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
)

const (
	// acceptHeader asks for Prometheus's text format first; OpenMetrics
	// and anything else are parsed too.
	acceptHeader = "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1"
	// fallbackContentType parses a response without a usable Content-Type
	// (Prometheus's fallback_scrape_protocol).
	fallbackContentType = "text/plain"
	// maxScrapeBytes bounds one exposition.
	maxScrapeBytes = 64 << 20
	userAgent      = "ctl-promstore"
)

// Names of the series every scrape writes besides the target's own.
const (
	seriesUp       = "up"
	seriesDuration = "scrape_duration_seconds"
	seriesSamples  = "scrape_samples_scraped"
)

// loop scrapes one target every interval until stopped.
type loop struct {
	s      *Store
	t      preparedTarget
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	// Owned by the run goroutine (and by stop once it has ended).
	symbols *labels.SymbolTable
	// active are the series of the last successful scrape without an
	// explicit timestamp, by their text in the exposition: they get a
	// staleness marker when they vanish.
	active map[string]*seriesEntry
	// report holds the up/scrape_* series refs.
	report map[string]*seriesEntry

	mu      sync.Mutex
	health  string
	last    time.Time
	took    time.Duration
	lastErr string
	samples int
	scrapes int
}

type seriesEntry struct {
	ref  storage.SeriesRef
	lset labels.Labels
}

func newLoop(s *Store, t preparedTarget) *loop {
	ctx, cancel := context.WithCancel(context.Background())
	return &loop{
		s: s, t: t, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		symbols: labels.NewSymbolTable(),
		active:  map[string]*seriesEntry{},
		report:  map[string]*seriesEntry{},
		health:  "unknown",
	}
}

func (l *loop) run() {
	defer close(l.done)
	tick := time.NewTicker(l.s.opts.ScrapeInterval)
	defer tick.Stop()
	for {
		l.scrapeAndAppend(time.Now())
		select {
		case <-l.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// stop ends the loop and waits for it. With stale, every series the target
// had gets a staleness marker, as when a target leaves Prometheus.
func (l *loop) stop(stale bool) {
	l.cancel()
	<-l.done
	if !stale {
		return
	}
	app := l.s.db.AppenderV2(context.Background())
	ts := timestamp.FromTime(time.Now())
	l.markStale(app, l.active, nil, ts)
	l.markStale(app, l.report, nil, ts)
	if err := app.Commit(); err != nil {
		l.s.log.Warn("promstore: staleness markers for a removed target", "target", l.t.url, "err", err)
	}
	l.active = map[string]*seriesEntry{}
}

func (l *loop) status() TargetStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	return TargetStatus{
		Target:             l.t.Target,
		ScrapeURL:          l.t.url,
		Labels:             l.t.labels.Map(),
		Health:             l.health,
		LastScrape:         l.last,
		LastScrapeDuration: l.took,
		LastError:          l.lastErr,
		Samples:            l.samples,
		Scrapes:            l.scrapes,
	}
}

// scrapeAndAppend does one scrape started at start: it fetches the
// exposition, appends its samples (or, when anything fails, staleness
// markers for the previous scrape's series) and the report series.
func (l *loop) scrapeAndAppend(start time.Time) {
	ts := timestamp.FromTime(start)
	body, contentType, err := l.fetch()
	if l.ctx.Err() != nil {
		return // stopped during the scrape: nothing to record
	}
	var n int
	app := l.s.db.AppenderV2(context.Background())
	if err == nil {
		var next map[string]*seriesEntry
		n, next, err = l.appendBody(app, body, contentType, ts)
		if err == nil {
			l.markStale(app, l.active, next, ts)
			l.active = next
		} else {
			_ = app.Rollback()
			app = l.s.db.AppenderV2(context.Background())
		}
	}
	if err != nil {
		// A failed scrape ends every series of the previous one.
		l.markStale(app, l.active, nil, ts)
		l.active = map[string]*seriesEntry{}
		n = 0
	}
	took := time.Since(start)
	up := 1.0
	if err != nil {
		up = 0
	}
	l.appendReport(app, seriesUp, ts, up)
	l.appendReport(app, seriesDuration, ts, took.Seconds())
	l.appendReport(app, seriesSamples, ts, float64(n))
	if cerr := app.Commit(); cerr != nil && err == nil {
		err = fmt.Errorf("storing samples: %w", cerr)
	}

	l.mu.Lock()
	l.last, l.took, l.samples = start, took, n
	l.scrapes++
	if err != nil {
		l.health, l.lastErr = "down", err.Error()
	} else {
		l.health, l.lastErr = "up", ""
	}
	l.mu.Unlock()
	if err != nil {
		l.s.log.Warn("promstore: scrape failed", "target", l.t.url, "err", err)
	}
}

// fetch GETs the target's exposition within the scrape timeout.
func (l *loop) fetch() ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(l.ctx, l.s.opts.ScrapeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.t.url, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(l.s.opts.ScrapeTimeout.Seconds(), 'f', -1, 64))
	resp, err := l.s.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, "", fmt.Errorf("scrape timed out after %s", l.s.opts.ScrapeTimeout)
		}
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, "", fmt.Errorf("server returned HTTP status %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxScrapeBytes+1))
	if err != nil {
		return nil, "", err
	}
	if len(b) > maxScrapeBytes {
		return nil, "", fmt.Errorf("exposition larger than %d bytes", maxScrapeBytes)
	}
	return b, resp.Header.Get("Content-Type"), nil
}

// appendBody parses an exposition and appends its samples at ts (or their
// own timestamps). It returns the number of samples and the series to track
// for staleness.
func (l *loop) appendBody(app storage.AppenderV2, b []byte, contentType string, ts int64) (int, map[string]*seriesEntry, error) {
	next := make(map[string]*seriesEntry, len(l.active))
	if len(bytes.TrimSpace(b)) == 0 {
		return 0, next, nil
	}
	p, err := textparse.New(b, contentType, l.symbols, textparse.ParserOptions{
		// Prometheus's defaults: native histograms are not scraped unless
		// asked for, and OpenMetrics' _created series are kept as series.
		IgnoreNativeHistograms: true,
		FallbackContentType:    fallbackContentType,
	})
	if p == nil {
		return 0, nil, fmt.Errorf("cannot parse Content-Type %q: %w", contentType, err)
	}
	var (
		n                                  int
		lset                               labels.Labels
		outOfOrder, duplicates, outOfBound int
	)
	for {
		et, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, nil, fmt.Errorf("parsing the exposition: %w", err)
		}
		var (
			met    []byte
			parsed *int64
			v      float64
			h      *histogram.Histogram
			fh     *histogram.FloatHistogram
		)
		switch et {
		case textparse.EntryType, textparse.EntryHelp, textparse.EntryUnit, textparse.EntryComment:
			continue
		case textparse.EntryHistogram:
			met, parsed, h, fh = p.Histogram()
		default:
			met, parsed, v = p.Series()
		}
		n++
		t := ts
		if parsed != nil {
			t = *parsed
		}
		key := string(met)
		if parsed == nil {
			if _, dup := next[key]; dup {
				duplicates++
				continue
			}
		}
		e, ok := l.active[key]
		if !ok {
			p.Labels(&lset)
			e = &seriesEntry{lset: l.targetLabels(lset)}
			if !e.lset.Has(model.MetricNameLabel) {
				return 0, nil, fmt.Errorf("series %s has no metric name", met)
			}
			if !e.lset.IsValid(model.UTF8Validation) {
				return 0, nil, fmt.Errorf("invalid metric name or label names: %s", e.lset)
			}
		}
		ref, err := app.Append(e.ref, e.lset, 0, t, v, h, fh, storage.AOptions{})
		switch {
		case err == nil:
			e.ref = ref
		case errors.Is(err, storage.ErrOutOfOrderSample):
			outOfOrder++
			continue
		case errors.Is(err, storage.ErrDuplicateSampleForTimestamp):
			duplicates++
			continue
		case errors.Is(err, storage.ErrOutOfBounds), errors.Is(err, storage.ErrTooOldSample):
			outOfBound++
			continue
		default:
			return 0, nil, fmt.Errorf("storing %s: %w", e.lset, err)
		}
		if parsed == nil {
			next[key] = e
		}
	}
	if outOfOrder+duplicates+outOfBound > 0 {
		l.s.log.Warn("promstore: samples dropped", "target", l.t.url,
			"outOfOrder", outOfOrder, "duplicates", duplicates, "outOfBounds", outOfBound)
	}
	return n, next, nil
}

// targetLabels adds the target's labels to an exposed label set; an exposed
// label that a target label replaces is kept as exported_<name>
// (honor_labels: false).
func (l *loop) targetLabels(exposed labels.Labels) labels.Labels {
	b := labels.NewBuilder(exposed)
	var clash []labels.Label
	l.t.labels.Range(func(tl labels.Label) {
		if v := exposed.Get(tl.Name); v != "" {
			clash = append(clash, labels.Label{Name: tl.Name, Value: v})
		}
		b.Set(tl.Name, tl.Value)
	})
	for _, c := range clash {
		name := c.Name
		for {
			name = model.ExportedLabelPrefix + name
			if b.Get(name) == "" {
				b.Set(name, c.Value)
				break
			}
		}
	}
	return b.Labels()
}

// markStale appends a staleness marker at ts for every series of prev that
// is not in next.
func (l *loop) markStale(app storage.AppenderV2, prev, next map[string]*seriesEntry, ts int64) {
	stale := math.Float64frombits(value.StaleNaN)
	for key, e := range prev {
		if _, ok := next[key]; ok {
			continue
		}
		if _, err := app.Append(e.ref, e.lset, 0, ts, stale, nil, nil, storage.AOptions{}); err != nil &&
			!errors.Is(err, storage.ErrOutOfOrderSample) && !errors.Is(err, storage.ErrDuplicateSampleForTimestamp) {
			l.s.log.Debug("promstore: staleness marker", "series", e.lset, "err", err)
		}
	}
}

func (l *loop) appendReport(app storage.AppenderV2, name string, ts int64, v float64) {
	e, ok := l.report[name]
	if !ok {
		b := labels.NewBuilder(l.t.labels)
		b.Set(model.MetricNameLabel, name)
		e = &seriesEntry{lset: b.Labels()}
		l.report[name] = e
	}
	ref, err := app.Append(e.ref, e.lset, 0, ts, v, nil, nil, storage.AOptions{})
	if err != nil {
		l.s.log.Debug("promstore: report sample", "series", e.lset, "err", err)
		return
	}
	e.ref = ref
}
