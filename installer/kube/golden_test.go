package kube

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"

	"github.com/ctlproject/ctl/halconfig"
	"github.com/ctlproject/ctl/installer"
	"github.com/ctlproject/ctl/installer/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) { t.Helper(); fixture.Golden(t, *update, name, got) }

func seed(t testing.TB, home string) *halconfig.DeploymentConfiguration { return fixture.Seed(t, home) }

// TestGoldenManifests renders the embedded chart from the seed config and
// service settings as `ctl deploy apply` would.
func TestGoldenManifests(t *testing.T) {
	home := t.TempDir()
	d := seed(t, home)
	d.DeploymentEnvironment = halconfig.DeploymentEnvironment{Type: halconfig.EnvDistributed, Location: "canary"}
	dir := filepath.Join(home, "default", "service-settings")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "kayenta.yml"), []byte("replicas: 2\nenv: {LOG_LEVEL: debug}\n"), 0o600)
	old := installer.Version
	installer.Version = "v1.0.0"
	defer func() { installer.Version = old }()
	k := &Kube{Home: home, Deployment: d, Progress: io.Discard, Namespace: "canary",
		cfg: &action.Configuration{Releases: storage.Init(driver.NewMemory()), KubeClient: &kubefake.PrintingKubeClient{Out: io.Discard},
			Capabilities: chartutil.DefaultCapabilities, Log: func(string, ...any) {}}}
	ch, vals, err := k.generate()
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := k.render(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	manifest = strings.ReplaceAll(manifest, home, "$HOME")
	golden(t, "manifests-seed.yaml", manifest)
	for _, want := range []string{"kind: Deployment", "replicas: 2", "image: \"ghcr.io/ctlproject/ctl:v1.0.0\"", "kind: Secret", "checksum/config", "LOG_LEVEL"} {
		if !strings.Contains(manifest, want) {
			t.Errorf("manifests lack %q", want)
		}
	}
	if strings.Contains(manifest, "ACCESS_KEY") || strings.Contains(manifest, "s3cret") {
		t.Error("secrets appear in clear text in the manifests (they belong base64-encoded in the Secret)")
	}
}
