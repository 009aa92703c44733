package smoke

import (
	"context"
	"net/http"
	"time"
)

// HostOptions configure the sample apps of a Host.
type HostOptions struct {
	// ServiceMonitor also creates a Prometheus Operator ServiceMonitor for
	// the apps, with ServiceMonitorLabels (for the operator's
	// serviceMonitorSelector).
	ServiceMonitor       bool
	ServiceMonitorLabels map[string]string
	// ScrapeInterval is the ServiceMonitor's interval.
	ScrapeInterval time.Duration
	// ReadyTimeout bounds the wait for the apps' pods to be ready.
	ReadyTimeout time.Duration
}

// Host is a deployer that runs the sample apps beside the service it
// deployed (the Kubernetes deployer, installer/kube), and reaches that
// service from this machine.
type Host interface {
	// ServiceEndpoint is installer.ServiceHost's.
	ServiceEndpoint(ctx context.Context) (baseURL string, client *http.Client, err error)
	// SmokeEnv returns an Env that runs the apps as Deployments in the
	// service's namespace.
	SmokeEnv(o HostOptions) (Env, error)
}
