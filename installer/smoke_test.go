package installer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/ctlproject/ctl/halconfig"
	kconfig "github.com/ctlproject/ctl/kayenta/config"
)

// TestLocalGenerateSmokeAccount: a local deployment's kayenta.yml has the
// embedded Prometheus of `ctl canary smoke` as the last prometheus account,
// on the port recorded in local-state.json, with kayenta.prometheus enabled.
func TestLocalGenerateSmokeAccount(t *testing.T) {
	home := t.TempDir()
	d := halconfig.NewDeployment("default")
	d.Canary.Enabled = true
	l := &Local{Home: home, Deployment: d}
	g, err := l.Generate()
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := kconfig.Parse("generated", g.KayentaYML)
	if err != nil {
		t.Fatalf("%v\n%s", err, g.KayentaYML)
	}
	port := l.metricsPort
	if !cfg.Prometheus.Enabled || len(cfg.PrometheusAccounts) != 1 || cfg.PrometheusAccounts[0].Name != SmokeMetricsAccount ||
		cfg.PrometheusAccounts[0].BaseURL != "http://127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("no smoke account on port %d (prometheus disabled in the config):\n%s", port, g.KayentaYML)
	}
	// Generating again gives the same file (apply compares its hash).
	if g2, _ := l.Generate(); string(g2.KayentaYML) != string(g.KayentaYML) {
		t.Errorf("a second Generate differs")
	}
	// The recorded port wins, also for a new Local.
	os.MkdirAll(filepath.Join(home, "default"), 0o700)
	st := LocalState{PID: 1, Port: 1, URL: "http://127.0.0.1:1", MetricsPort: 45678}
	b, _ := json.Marshal(st)
	os.WriteFile(filepath.Join(home, "default", "local-state.json"), b, 0o600)
	l = &Local{Home: home, Deployment: d}
	if g, err = l.Generate(); err != nil {
		t.Fatal(err)
	}
	cfg, _, _ = kconfig.Parse("generated", g.KayentaYML)
	if cfg.PrometheusAccounts[0].BaseURL != "http://127.0.0.1:45678" {
		t.Errorf("recorded port not reused: %s", g.KayentaYML)
	}
}

// TestLocalGenerateSmokeAccountLast: the user's prometheus accounts (also
// those of a profile) come first, so the default account does not change.
func TestLocalGenerateSmokeAccountLast(t *testing.T) {
	home := t.TempDir()
	d := seed(t, home)
	os.MkdirAll(filepath.Join(home, "default", "profiles"), 0o700)
	os.WriteFile(filepath.Join(home, "default", "profiles", "kayenta-local.yml"),
		[]byte("kayenta:\n  prometheus:\n    accounts:\n    - name: from-profile\n      endpoint: {baseUrl: 'http://p:9090'}\n"), 0o600)
	g, err := (&Local{Home: home, Deployment: d}).Generate()
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := kconfig.Parse("generated", g.KayentaYML)
	if err != nil {
		t.Fatalf("%v\n%s", err, g.KayentaYML)
	}
	var names []string
	for _, a := range cfg.PrometheusAccounts {
		names = append(names, a.Name)
	}
	if !reflect.DeepEqual(names, []string{"from-profile", SmokeMetricsAccount}) {
		t.Errorf("prometheus accounts %v, want the profile's then %s:\n%s", names, SmokeMetricsAccount, g.KayentaYML)
	}
	// Distributed mode never gets it.
	g, _ = Generate(d, home, DistributedMode, "")
	cfg, _, _ = kconfig.Parse("generated", g.KayentaYML)
	for _, a := range cfg.PrometheusAccounts {
		if a.Name == SmokeMetricsAccount {
			t.Errorf("distributed kayenta.yml has the smoke account")
		}
	}
}
