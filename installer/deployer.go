package installer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ctlproject/ctl/halconfig"
	kconfig "github.com/ctlproject/ctl/kayenta/config"
)

// ApplyOptions are `ctl deploy apply`'s flags.
type ApplyOptions struct {
	// Wait until the pods are ready (distributed; a local apply always waits for /health).
	Wait bool
	// Timeout bounds the wait.
	Timeout time.Duration
	// DryRun validates and changes nothing (distributed: a server-side dry run).
	DryRun bool
}

// StatusReport is what `ctl deploy status` prints.
type StatusReport interface {
	// Rows are label/value pairs for the table format.
	Rows() [][2]string
}

// Deployer puts the analysis service of one deployment in place.
type Deployer interface {
	Apply(ctx context.Context, o ApplyOptions) (*ApplyResult, error)
	// Diff returns a unified diff of what apply would deploy against what
	// runs ("" when equal).
	Diff(ctx context.Context) (string, error)
	Status(ctx context.Context) (StatusReport, error)
	History(ctx context.Context) ([]Revision, error)
	Rollback(ctx context.Context, revision int) (*ApplyResult, error)
	// Clean removes what apply created; false when nothing was deployed.
	Clean(ctx context.Context) (bool, error)
}

// ServiceHost is a Deployer whose service this machine reaches through it:
// the local deployer at the URL it recorded, the Kubernetes one through the
// API server's service proxy.
type ServiceHost interface {
	// ServiceEndpoint returns a base URL of the deployed service reachable
	// from this machine, with the client to use, after checking /health.
	ServiceEndpoint(ctx context.Context) (baseURL string, client *http.Client, err error)
}

// NewDistributed builds the Kubernetes deployer. Only the ctl-kube binary
// sets it (installer/kube), so Helm and client-go stay out of ctl itself.
var NewDistributed func(home string, d *halconfig.DeploymentConfiguration, progress io.Writer) (Deployer, error)

// ErrNeedsKubeBinary means this binary has no Kubernetes deployer: the
// caller runs the same command with ctl-kube.
var ErrNeedsKubeBinary = errors.New("distributed deployments are handled by the ctl-kube binary")

// For returns the deployer of the deployment's environment type.
func For(home string, d *halconfig.DeploymentConfiguration, progress io.Writer) (Deployer, error) {
	switch d.DeploymentEnvironment.Type {
	case halconfig.EnvLocal, "":
		return &Local{Home: home, Deployment: d, Progress: progress}, nil
	case halconfig.EnvDistributed:
		if NewDistributed == nil {
			return nil, ErrNeedsKubeBinary
		}
		return NewDistributed(home, d, progress)
	}
	return nil, fmt.Errorf("deployment %s: unknown deploymentEnvironment.type %q (want local or distributed)", d.Name, d.DeploymentEnvironment.Type)
}

// CheckGenerated parses a generated kayenta.yml as the service will, so a
// config the service would refuse is caught before anything changes.
func CheckGenerated(g *Generated) error {
	yml := g.KayentaYML
	if len(g.Files) > 0 {
		// Check against the files as the pod will see them.
		dir, err := os.MkdirTemp("", "ctl-files-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		for name, data := range g.Files {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				return err
			}
		}
		yml = bytes.ReplaceAll(yml, []byte(FilesMountDir+"/"), []byte(dir+"/"))
	}
	if _, _, err := kconfig.Parse("generated kayenta.yml", yml); err != nil {
		return fmt.Errorf("the generated service config would not start: %w", err)
	}
	return nil
}
