package installer

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/ctlproject/ctl/smoke"
)

// SmokeOptions configure the sample apps of `ctl canary smoke` on a
// distributed deployment.
type SmokeOptions struct {
	// ServiceMonitor also creates a Prometheus Operator ServiceMonitor for
	// the apps, with ServiceMonitorLabels (for the operator's
	// serviceMonitorSelector).
	ServiceMonitor       bool
	ServiceMonitorLabels map[string]string
	// ScrapeInterval is the ServiceMonitor's interval.
	ScrapeInterval time.Duration
	// ReadyTimeout bounds the wait for the apps' pods to be ready.
	ReadyTimeout time.Duration
	// Progress receives progress lines.
	Progress io.Writer
}

// ServiceHost is a Deployer whose service is reached through it (the
// Kubernetes deployer: the API server's service proxy).
type ServiceHost interface {
	// ServiceEndpoint returns a base URL of the deployed service reachable
	// from this machine, with the client to use, after checking /health.
	ServiceEndpoint(ctx context.Context) (baseURL string, client *http.Client, err error)
}

// SmokeHost is a ServiceHost that can run the smoke canaries' sample apps
// beside the service it deployed.
type SmokeHost interface {
	ServiceHost
	// SmokeEnv returns an Env that runs the apps as Deployments in the
	// service's namespace.
	SmokeEnv(o SmokeOptions) (smoke.Env, error)
}
