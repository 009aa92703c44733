package installer

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/halconfig"
	"github.com/ctlproject/ctl/installer/internal/fixture"
	kconfig "github.com/ctlproject/ctl/kayenta/config"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) { t.Helper(); fixture.Golden(t, *update, name, got) }

func seed(t testing.TB, home string) *halconfig.DeploymentConfiguration { return fixture.Seed(t, home) }

func TestGenerateDistributed(t *testing.T) {
	home := t.TempDir()
	d := seed(t, home)
	os.MkdirAll(filepath.Join(home, "default", "profiles"), 0o700)
	os.WriteFile(filepath.Join(home, "default", "profiles", "kayenta-local.yml"),
		[]byte("kayenta:\n  prometheus:\n    scopeLabel: pod\nctl.executions.maxConcurrent: 4\n"), 0o600)
	g, err := Generate(d, home, DistributedMode, "")
	if err != nil {
		t.Fatal(err)
	}
	out := strings.ReplaceAll(string(g.KayentaYML), home, "$HOME")
	golden(t, "kayenta-distributed.yml", out)
	if len(g.Files) != 1 {
		t.Fatalf("files: %v", g.Files)
	}
	for name, data := range g.Files {
		if string(data) != "admin:s3cret" || !strings.Contains(out, "usernamePasswordFile: "+FilesMountDir+"/"+name) {
			t.Errorf("credential file not shipped: %s %q", name, data)
		}
	}
	// The service reads what we generate, with the profile merged in.
	if err := CheckGenerated(g); err != nil {
		t.Fatal(err)
	}
	// Parse as the pod sees it: the credential file at its mount path.
	dir := t.TempDir()
	for name, data := range g.Files {
		os.WriteFile(filepath.Join(dir, name), data, 0o600)
	}
	cfg, warnings, err := kconfig.Parse("generated", []byte(strings.ReplaceAll(string(g.KayentaYML), FilesMountDir, dir)))
	if err != nil {
		t.Fatalf("service refuses the generated file: %v", err)
	}
	if cfg.Prometheus.ScopeLabel != "pod" || cfg.Executions.MaxConcurrent != 4 {
		t.Errorf("profile not merged: scopeLabel %q maxConcurrent %d", cfg.Prometheus.ScopeLabel, cfg.Executions.MaxConcurrent)
	}
	if len(cfg.S3Accounts) != 1 || cfg.S3Accounts[0].Credentials == nil || cfg.S3Accounts[0].Credentials.AccessKey != "ACCESS_ID" {
		t.Errorf("aws account not mapped: %+v", cfg.S3Accounts)
	}
	for _, w := range warnings {
		if !strings.Contains(w.String(), "not supported") {
			t.Errorf("unexpected warning: %s", w)
		}
	}
}

func TestGenerateLocalAddsStore(t *testing.T) {
	home := t.TempDir()
	d := halconfig.NewDeployment("default")
	d.Canary.Enabled = true
	g, err := Generate(d, home, LocalMode, "/data/dir")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := kconfig.Parse("generated", g.KayentaYML)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.LocalAccounts) != 1 || cfg.LocalAccounts[0].RootDirectory != "/data/dir" {
		t.Errorf("no local store in %s", g.KayentaYML)
	}
}

func TestGenerateBadProfile(t *testing.T) {
	home := t.TempDir()
	d := halconfig.NewDeployment("default")
	os.MkdirAll(filepath.Join(home, "default", "profiles"), 0o700)
	os.WriteFile(filepath.Join(home, "default", "profiles", "kayenta-local.yml"), []byte("- a list\n"), 0o600)
	if _, err := Generate(d, home, LocalMode, "/d"); err == nil || !strings.Contains(err.Error(), "kayenta-local.yml") {
		t.Errorf("bad profile: %v", err)
	}
}

func TestServiceSettings(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "default", "service-settings")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "kayenta.yml"), []byte(`replicas: 3
image: registry.example:5000/ctl:v9
resources: {requests: {cpu: 200m}}
env: {B: "2", A: "1"}
nodeSelector: {pool: canary}
tolerations: [{key: dedicated, operator: Equal, value: canary, effect: NoSchedule}]
annotations: {team: sre}
serviceAnnotations: {lb: internal}
`), 0o600)
	s, err := LoadServiceSettings(home, "default")
	if err != nil {
		t.Fatal(err)
	}
	v := Values(&Generated{KayentaYML: []byte("x: 1\n")}, s)
	img := v["image"].(map[string]any)
	if img["repository"] != "registry.example:5000/ctl" || img["tag"] != "v9" || v["replicaCount"] != 3 {
		t.Errorf("values: %v", v)
	}
	if env := v["env"].([]any); env[0].(map[string]any)["name"] != "A" {
		t.Errorf("env not sorted: %v", env)
	}
	os.WriteFile(filepath.Join(dir, "kayenta.yml"), []byte("replicaz: 3\n"), 0o600)
	if _, err := LoadServiceSettings(home, "default"); err == nil || !strings.Contains(err.Error(), "replicaz") || !strings.Contains(err.Error(), "known fields") {
		t.Errorf("unknown field: %v", err)
	}
}

func TestConfigChanges(t *testing.T) {
	home := t.TempDir()
	a := seed(t, home)
	b := a.Clone()
	b.Canary.Integration("aws").Accounts[0].Set("secretAccessKey", "NEW")
	b.Canary.Integration("aws").Accounts[0].Set("bucket", "other")
	b.Canary.DefaultJudge = "X"
	ch, err := ConfigChanges(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ch {
		got = append(got, c.String())
	}
	want := []string{
		"~ EDITED canary.defaultJudge: NetflixACAJudge-v1.0 -> X",
		"~ EDITED canary.serviceIntegrations[aws].accounts[my-s3].bucket: spin-bucket -> other",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
