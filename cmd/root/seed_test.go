package root

import (
	"os"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/halconfig"
)

// seedSequence is the command sequence of the Kayenta blog post
// (shared/reference/seed-blog-kayenta.md) with hal replaced by ctl and the
// placeholder Prometheus URL replaced by a real one. The secret access key
// is given with no value and read from standard input.
var seedSequence = [][]string{
	{"config", "canary", "enable"},
	{"config", "canary", "edit", "--default-judge", "NetflixACAJudge-v1.0"},
	{"config", "canary", "prometheus", "enable"},
	{"config", "canary", "prometheus", "account", "add", "my-prometheus", "--base-url", "http://prometheus.example:9090"},
	{"config", "canary", "aws", "enable"},
	{"config", "canary", "aws", "account", "add", "my-s3", "--bucket", "spin-bucket", "--endpoint",
		"s3.seo-ap-geo.objectstorage.service.networklayer.com", "--access-key-id", "ACCESS_ID", "--secret-access-key"},
	{"config", "canary", "aws", "edit", "--s3-enabled=true"},
	{"config", "canary", "edit", "--default-metrics-store", "prometheus"},
	{"config", "canary", "edit", "--default-metrics-account", "my-prometheus"},
	{"config", "canary", "edit", "--default-storage-account", "my-s3"},
}

func runSeed(t *testing.T, e *env) {
	t.Helper()
	for _, args := range seedSequence {
		stdin := ""
		if args[len(args)-1] == "--secret-access-key" {
			stdin = "ACCESS_KEY\n"
		}
		if r := e.run(stdin, args...); r.code != 0 {
			t.Fatalf("ctl %s: exit %d: %s", strings.Join(args, " "), r.code, r.err)
		}
	}
}

// TestSeedSequence runs the blog's whole sequence and compares the canary
// section with the blog's own listing, imported from the Halyard file.
func TestSeedSequence(t *testing.T) {
	e := newEnv(t)
	runSeed(t, e)

	assertGolden(t, "seed-canary.yaml", e.ok("config", "canary", "-o", "yaml").out)

	raw, err := os.ReadFile("../../halconfig/testdata/halyard/seed-blog.yml")
	if err != nil {
		t.Fatal(err)
	}
	listing := strings.ReplaceAll(string(raw), "http://YOUR_PROMETHEUS_SERVER:PORT", "http://prometheus.example:9090")
	imp, err := halconfig.ImportHalyard("seed-blog.yml", []byte(listing), "")
	if err != nil {
		t.Fatal(err)
	}
	want := mustMarshal(t, imp.Deployment.Canary)

	store := halconfig.NewStore(e.home, "")
	loaded, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	got := mustMarshal(t, loaded.Config.Deployment("default").Canary)
	if got != want {
		t.Errorf("canary section after the seed's commands differs from the seed's listing\n--- listing\n%s\n--- ctl\n%s", want, got)
	}
	// The file keeps the secret (0600); no output shows it.
	if !strings.Contains(string(e.configBytes()), "secretAccessKey: ACCESS_KEY") {
		t.Error("the secret was not stored in the config file")
	}
	for _, args := range [][]string{
		{"config", "canary", "-o", "yaml"}, {"config", "canary", "-o", "json"}, {"config", "canary"},
		{"config", "-o", "yaml"}, {"config", "-o", "json"},
		{"config", "canary", "aws", "account", "get", "my-s3", "-o", "json"},
		{"config", "canary", "aws", "account", "list", "-o", "yaml"},
		{"config", "canary", "aws", "-o", "json"},
	} {
		r := e.ok(args...)
		if strings.Contains(r.out+r.err, "ACCESS_KEY") {
			t.Errorf("ctl %s printed the secret:\n%s", strings.Join(args, " "), r.out)
		}
	}
	fi, err := os.Stat(store.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode = %v, want 0600", fi.Mode().Perm())
	}
}

// TestSeedSequenceOrderIndependent: enabling S3 before adding the account
// gives the same file as the blog's order (Halyard's does not: spinnaker#2935).
func TestSeedSequenceOrderIndependent(t *testing.T) {
	a := newEnv(t)
	runSeed(t, a)

	b := newEnv(t)
	reordered := [][]string{
		{"config", "canary", "enable"},
		{"config", "canary", "aws", "enable"},
		{"config", "canary", "aws", "edit", "--s3-enabled", "true", "--no-validate"},
		{"config", "canary", "aws", "account", "add", "my-s3", "--bucket", "spin-bucket", "--endpoint",
			"s3.seo-ap-geo.objectstorage.service.networklayer.com", "--access-key-id", "ACCESS_ID", "--secret-access-key", "ACCESS_KEY"},
		{"config", "canary", "prometheus", "enable"},
		{"config", "canary", "prometheus", "account", "add", "my-prometheus", "--base-url", "http://prometheus.example:9090"},
		{"config", "canary", "edit", "--default-metrics-store", "prometheus", "--default-metrics-account", "my-prometheus",
			"--default-storage-account", "my-s3", "--default-judge", "NetflixACAJudge-v1.0"},
	}
	for _, args := range reordered {
		b.ok(args...)
	}
	if string(a.configBytes()) != string(b.configBytes()) {
		t.Errorf("order of commands changed the config\n--- blog order\n%s\n--- other order\n%s", a.configBytes(), b.configBytes())
	}
}

func mustMarshal(t *testing.T, c halconfig.Canary) string {
	t.Helper()
	cfg := halconfig.NewConfig()
	cfg.DeploymentConfigurations[0].Canary = c
	b, err := halconfig.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
