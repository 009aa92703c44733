package smoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ctlproject/ctl/installer"
	"github.com/ctlproject/ctl/smoke/promstore"
	"github.com/ctlproject/ctl/smoke/sampleapp"
)

// LocalTarget reads a local deployment's state and checks that its
// analysis service answers /health and has a port reserved for the embedded
// Prometheus (an *installer.NotAppliedError when not).
func LocalTarget(ctx context.Context, home, deployment string) (*installer.LocalState, error) {
	st, err := installer.RunningLocalState(ctx, home, deployment)
	if err != nil {
		return nil, err
	}
	if st.MetricsPort <= 0 {
		return nil, &installer.NotAppliedError{Deployment: deployment, Reason: "it was applied by an older ctl, without the " + MetricsAccount + " metrics account"}
	}
	return st, nil
}

// StoreListen is the address of the embedded Prometheus of a local
// deployment's state.
func StoreListen(st *installer.LocalState) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(st.MetricsPort))
}

// LocalEnv runs the sample apps as servers in this process, on loopback
// ports, and drives their load itself. Their metrics reach the service
// either through an embedded Prometheus (StoreListen: the address the local
// deployment's ctl-smoke-prometheus account points at) or through a
// configured Prometheus that reads the targets from a file (FileSD, for its
// file_sd_configs).
type LocalEnv struct {
	// StoreListen is where the embedded Prometheus listens; empty means
	// none.
	StoreListen string
	// ScrapeInterval is the embedded Prometheus's scrape interval.
	ScrapeInterval time.Duration
	// FileSD is a file_sd_configs file the apps' targets are written to
	// (and removed from at Stop); empty means none.
	FileSD string
	// Account and BaseURL name the configured Prometheus in diagnoses.
	Account, BaseURL string
	// Progress receives progress lines.
	Progress io.Writer

	mu       sync.Mutex
	store    *promstore.Store
	dir      string
	stops    []func()
	targets  []string
	stopLoad context.CancelFunc
	load     sync.WaitGroup
	counts   map[string]*Requests
	wroteSD  bool
	loadDone bool
}

func (e *LocalEnv) progressf(format string, args ...any) {
	if e.Progress != nil {
		fmt.Fprintf(e.Progress, format+"\n", args...)
	}
}

// Start implements Env.
func (e *LocalEnv) Start(ctx context.Context, run string, scenarios []Scenario, rps int) error {
	if e.StoreListen == "" && e.FileSD == "" {
		return errors.New("smoke: the local sample apps need an embedded Prometheus or a file_sd file")
	}
	if e.StoreListen != "" {
		// The TSDB lives in a folder of ours, removed at Stop.
		dir, err := os.MkdirTemp("", "ctl-smoke-")
		if err != nil {
			return err
		}
		e.dir = dir
		store, err := promstore.Start(ctx, promstore.Options{Dir: dir, Listen: e.StoreListen, ScrapeInterval: e.ScrapeInterval})
		if err != nil {
			if strings.Contains(err.Error(), "address already in use") {
				return fmt.Errorf("the embedded Prometheus cannot listen on %s, the port reserved for it: is another `ctl canary smoke` running? (%w)", e.StoreListen, err)
			}
			return err
		}
		e.store = store
		e.progressf("Embedded Prometheus on %s (scrape interval %s)", store.URL(), e.ScrapeInterval)
	}
	loadCtx, stopLoad := context.WithCancel(context.WithoutCancel(ctx))
	e.stopLoad = stopLoad
	e.counts = map[string]*Requests{}
	type app struct{ scenario, version, url string }
	var apps []app
	for _, sc := range scenarios {
		e.counts[sc.Name] = &Requests{}
		for _, v := range Versions {
			o := sc.Side(v)
			o.Labels = MetricLabels(run, sc.Name, v)
			addr, stop, err := sampleapp.Run(context.WithoutCancel(ctx), o)
			if err != nil {
				return err
			}
			e.stops = append(e.stops, stop)
			u := "http://" + addr
			apps = append(apps, app{sc.Name, v, u})
			e.targets = append(e.targets, addr)
			if e.store != nil {
				if err := e.store.AddTarget(promstore.Target{Job: "ctl-smoke", URL: u + "/metrics"}); err != nil {
					return err
				}
			}
			e.progressf("%s: %s app on %s: %s", sc.Name, v, u, sc.Side(v))
		}
	}
	if e.FileSD != "" {
		if err := e.writeFileSD(); err != nil {
			return err
		}
		e.progressf("Targets written to %s for the Prometheus of account %s to scrape", e.FileSD, e.Account)
	}
	for _, a := range apps {
		e.load.Go(func() {
			sent, failed := sampleapp.Drive(loadCtx, a.url+"/", rps)
			e.mu.Lock()
			defer e.mu.Unlock()
			c := e.counts[a.scenario]
			if a.version == "baseline" {
				c.Baseline, c.BaselineFailed = sent, failed
			} else {
				c.Canary, c.CanaryFailed = sent, failed
			}
		})
	}
	return ctx.Err()
}

// writeFileSD writes the targets as a file_sd_configs file, atomically, so
// that Prometheus never reads half of it.
func (e *LocalEnv) writeFileSD() error {
	b, err := json.MarshalIndent([]map[string]any{{"targets": e.targets, "labels": map[string]string{"job": "ctl-smoke"}}}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(e.FileSD), "."+filepath.Base(e.FileSD)+".*")
	if err != nil {
		return fmt.Errorf("--file-sd: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("--file-sd: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), e.FileSD); err != nil {
		return fmt.Errorf("--file-sd: %w", err)
	}
	e.wroteSD = true
	return nil
}

// finishLoad stops the load and waits for the requests in flight.
func (e *LocalEnv) finishLoad() {
	if e.stopLoad != nil {
		e.stopLoad()
	}
	e.load.Wait()
}

// Requests implements Env: it stops the load (the analyses are over when it
// is called) and returns the scenario's counts.
func (e *LocalEnv) Requests(scenario string) (Requests, bool) {
	e.finishLoad()
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.counts[scenario]
	if !ok {
		return Requests{}, false
	}
	return *c, true
}

// Diagnose implements Env.
func (e *LocalEnv) Diagnose(ctx context.Context) string {
	var parts []string
	if e.store != nil {
		for _, t := range e.store.Targets() {
			if t.Health != "up" {
				parts = append(parts, fmt.Sprintf("the embedded Prometheus's target %s is %s", t.ScrapeURL, t.Health))
			}
		}
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("the embedded Prometheus at %s scrapes every app, so the account does not read it: is %s's baseUrl %s? (see `ctl deploy status`)", e.store.URL(), MetricsAccount, e.store.URL()))
		}
	}
	if e.FileSD != "" {
		parts = append(parts, fmt.Sprintf("the apps listen on %s and are listed in %s; the Prometheus at %s (account %s) scrapes them only if a scrape job reads that file "+
			"(scrape_configs: [{job_name: ctl-smoke, scrape_interval: 1s, file_sd_configs: [{files: [%q]}]}]) and it runs on this machine",
			strings.Join(e.targets, ", "), e.FileSD, e.BaseURL, e.Account, e.FileSD))
	}
	return strings.Join(parts, "; ")
}

// Stop implements Env.
func (e *LocalEnv) Stop(ctx context.Context) error {
	e.finishLoad()
	for _, stop := range e.stops {
		stop()
	}
	var err error
	if e.wroteSD {
		// An empty target list, rather than no file: Prometheus logs an
		// error for a file_sd file that disappeared.
		e.targets = []string{}
		err = e.writeFileSD()
	}
	if e.store != nil {
		if cerr := e.store.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if e.dir != "" {
		os.RemoveAll(e.dir)
	}
	return err
}
