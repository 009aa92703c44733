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

	"github.com/ctlproject/ctl/kayenta/judge"
)

func TestCanaryConfigParses(t *testing.T) {
	for _, sc := range Scenarios() {
		cfg, err := judge.ParseCanaryConfig(CanaryConfig(sc.Name), "canaryConfig")
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
			!strings.Contains(string(er.Query), `PromQL:sum(rate(requests_total{scenario=\"`+sc.Name+`\",version=\"${scope}\",code=\"500\"}[5s]))`) {
			t.Errorf("%s: error-ratio %+v %s", sc.Name, er.Settings, er.Query)
		}
		if p99.Name != "p99-latency" || p99.Settings.Critical || p99.Settings.Direction != judge.Increase ||
			!strings.Contains(string(p99.Query), `PromQL:histogram_quantile(0.99, sum(rate(request_duration_seconds_bucket{scenario=\"`+sc.Name+`\",version=\"${scope}\"}[5s])) by (le))`) {
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
	var na *NotAppliedError
	if !errors.As(err, &na) || !strings.Contains(err.Error(), "ctl deploy apply") {
		t.Errorf("no state: %v", err)
	}
	os.MkdirAll(filepath.Join(home, "default"), 0o700)
	os.WriteFile(LocalStatePath(home, "default"), []byte(`{"pid":1,"url":"http://127.0.0.1:1","metricsPort":2}`), 0o600)
	if _, err := LocalTarget(context.Background(), home, "default"); !errors.As(err, &na) || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("dead service: %v", err)
	}
}

func TestRunRejectsShortDuration(t *testing.T) {
	_, err := Run(context.Background(), Options{ServiceURL: "http://127.0.0.1:1", Duration: 5 * time.Second}, Scenarios())
	if err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("5s: %v", err)
	}
}
