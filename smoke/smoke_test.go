package smoke

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ctlproject/ctl/installer"
	"github.com/ctlproject/ctl/kayenta/judge"
)

func TestCanaryConfigParses(t *testing.T) {
	for _, sc := range Scenarios() {
		cfg, err := judge.ParseCanaryConfig(CanaryConfig("r1", sc.Name, 5*time.Second), "canaryConfig")
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		if len(cfg.Warnings) > 0 {
			t.Errorf("%s: warnings %v", sc.Name, cfg.Warnings)
		}
		if len(cfg.Metrics) != 2 {
			t.Fatalf("%s: metrics %+v", sc.Name, cfg.Metrics)
		}
		er, p99 := cfg.Metrics[0], cfg.Metrics[1]
		if er.Name != "error-ratio" || !er.Settings.Critical || er.Settings.Direction != judge.Increase ||
			!strings.Contains(string(er.Query), `PromQL:sum(rate(requests_total{smoke_run=\"r1\",scenario=\"`+sc.Name+`\",version=\"${scope}\",code=\"500\"}[5s]))`) {
			t.Errorf("%s: error-ratio %+v %s", sc.Name, er.Settings, er.Query)
		}
		if p99.Name != "p99-latency" || p99.Settings.Critical || p99.Settings.Direction != judge.Increase ||
			!strings.Contains(string(p99.Query), `PromQL:histogram_quantile(0.99, sum(rate(request_duration_seconds_bucket{smoke_run=\"r1\",scenario=\"`+sc.Name+`\",version=\"${scope}\"}[5s])) by (le))`) {
			t.Errorf("%s: p99-latency %+v %s", sc.Name, p99.Settings, p99.Query)
		}
	}
}

func TestScenarios(t *testing.T) {
	all, err := SelectScenarios("all")
	if err != nil || len(all) != 2 || all[0].Name != "healthy" || all[0].Expected != Pass || all[1].Name != "faulty" || all[1].Expected != Fail {
		t.Fatalf("all: %+v %v", all, err)
	}
	if !reflect.DeepEqual(all[0].Canary, all[0].Baseline) || all[1].Canary.SuccessRate != 70 {
		t.Errorf("healthy canary must equal its baseline, faulty must answer 70%%: %+v", all)
	}
	if s, err := SelectScenarios("faulty"); err != nil || len(s) != 1 || s[0].Name != "faulty" {
		t.Errorf("faulty: %+v %v", s, err)
	}
	if _, err := SelectScenarios("nope"); err == nil || !strings.Contains(err.Error(), "healthy, faulty or all") {
		t.Errorf("unknown scenario: %v", err)
	}
}

func TestVerdictOf(t *testing.T) {
	for score, want := range map[float64]string{100: Pass, 95: Pass, 94.9: Marginal, 75.1: Marginal, 75: Fail, 50: Fail, 0: Fail} {
		if got := VerdictOf(score); got != want {
			t.Errorf("VerdictOf(%v) = %s, want %s", score, got, want)
		}
	}
}

func TestLocalTargetNotApplied(t *testing.T) {
	home := t.TempDir()
	_, err := LocalTarget(context.Background(), home, "default")
	var na *installer.NotAppliedError
	if !errors.As(err, &na) || !strings.Contains(err.Error(), "ctl deploy apply") {
		t.Errorf("no state: %v", err)
	}
	os.MkdirAll(filepath.Join(home, "default"), 0o700)
	os.WriteFile(installer.LocalStatePath(home, "default"), []byte(`{"pid":1,"url":"http://127.0.0.1:1","metricsPort":2}`), 0o600)
	if _, err := LocalTarget(context.Background(), home, "default"); !errors.As(err, &na) || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("dead service: %v", err)
	}
}

func TestRunRejectsShortDuration(t *testing.T) {
	_, err := Run(context.Background(), Options{ServiceURL: "http://127.0.0.1:1", Env: &LocalEnv{StoreListen: "127.0.0.1:0"}, Duration: 5 * time.Second}, Scenarios())
	if err == nil || !strings.Contains(err.Error(), "too short") || !strings.Contains(err.Error(), "at least 14s") {
		t.Errorf("5s: %v", err)
	}
	// At a 15 s scrape interval, rate() spans a minute and the window
	// needs 8 points more.
	_, err = Run(context.Background(), Options{ServiceURL: "http://127.0.0.1:1", Env: &LocalEnv{StoreListen: "127.0.0.1:0"}, ScrapeInterval: 15 * time.Second, Duration: time.Minute}, Scenarios())
	if err == nil || !strings.Contains(err.Error(), "at least 3m15s") {
		t.Errorf("15s scrapes: %v", err)
	}
}

func TestTiming(t *testing.T) {
	for _, c := range []struct {
		scrape, want, rate, min, def time.Duration
	}{
		{0, time.Second, 5 * time.Second, 14 * time.Second, 30 * time.Second},
		{1500 * time.Millisecond, 2 * time.Second, 8 * time.Second, 26 * time.Second, 42 * time.Second},
		{15 * time.Second, 15 * time.Second, time.Minute, 195 * time.Second, 315 * time.Second},
	} {
		tm := NewTiming(c.scrape)
		if tm.Scrape != c.want || tm.RateWindow != c.rate || tm.MinDuration() != c.min || tm.DefaultDuration() != c.def {
			t.Errorf("NewTiming(%s) = %+v, min %s, default %s; want %s %s %s %s", c.scrape, tm, tm.MinDuration(), tm.DefaultDuration(), c.want, c.rate, c.min, c.def)
		}
	}
}

func TestISODuration(t *testing.T) {
	for d, want := range map[time.Duration]string{24 * time.Second: "PT24S", 90 * time.Second: "PT90S", 1400 * time.Millisecond: "PT1S"} {
		if got := isoDuration(d); got != want {
			t.Errorf("isoDuration(%s) = %s, want %s", d, got, want)
		}
	}
}
