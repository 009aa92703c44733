package kube

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/ctlproject/ctl/charts"
	"github.com/ctlproject/ctl/installer"
	"github.com/ctlproject/ctl/smoke"
)

// SmokeReleasePrefix starts the name of every smoke run's Helm release of
// the sample app chart: ctl-smoke-<run>.
const SmokeReleasePrefix = "ctl-smoke-"

// defaultReadyTimeout bounds the wait for the apps' pods.
const defaultReadyTimeout = 3 * time.Minute

// SmokeEnv implements smoke.Host: the sample apps run as a Helm
// release of the embedded sample app chart (charts/sampleapp) in the
// service's namespace, one Deployment per app, loading themselves, with
// prometheus.io/scrape annotations (and a ServiceMonitor when asked).
func (k *Kube) SmokeEnv(o smoke.HostOptions) (smoke.Env, error) {
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = defaultReadyTimeout
	}
	return &smokeEnv{k: k, o: o}, nil
}

// ServiceEndpoint implements installer.ServiceHost: the service through the
// API server's service proxy, with the kubeconfig's credentials.
func (k *Kube) ServiceEndpoint(ctx context.Context) (string, *http.Client, error) {
	if err := k.ping(ctx); err != nil {
		return "", nil, err
	}
	rc, err := k.flags.ToRESTConfig()
	if err != nil {
		return "", nil, k.explain(err)
	}
	rc = rest.CopyConfig(rc)
	rc.Timeout = 30 * time.Second
	client, err := rest.HTTPClientFor(rc)
	if err != nil {
		return "", nil, err
	}
	base := fmt.Sprintf("%s/api/v1/namespaces/%s/services/%s:%d/proxy", strings.TrimRight(rc.Host, "/"), k.Namespace, ReleaseName, ServicePort)
	hctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(hctx, http.MethodGet, base+"/health", nil)
	if err != nil {
		return "", nil, err
	}
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return base, client, nil
		}
		err = errors.New(resp.Status)
	}
	return "", nil, fmt.Errorf("cannot reach the analysis service through the API server's service proxy (%s/health: %v): check `ctl deploy status`, "+
		"or reach it another way and pass --service (e.g. `kubectl -n %s port-forward svc/%s 8090` and --service http://127.0.0.1:8090)",
		base, k.explain(err), k.Namespace, ReleaseName)
}

type smokeEnv struct {
	k         *Kube
	o         smoke.HostOptions
	release   string
	installed bool
}

func (e *smokeEnv) progressf(format string, args ...any) {
	fmt.Fprintf(e.k.Progress, format+"\n", args...)
}

// values are the sample app chart's values for the scenarios.
func (e *smokeEnv) values(run string, scenarios []smoke.Scenario, rps int) (map[string]any, error) {
	settings, err := installer.LoadServiceSettings(e.k.Home, e.k.Deployment.Name)
	if err != nil {
		return nil, err
	}
	var apps []any
	for _, sc := range scenarios {
		for _, v := range smoke.Versions {
			o := sc.Side(v)
			labels := map[string]any{}
			for k, val := range smoke.MetricLabels(run, sc.Name, v) {
				labels[k] = val
			}
			apps = append(apps, map[string]any{
				"name":          sc.Name + "-" + v,
				"successRate":   o.SuccessRate,
				"latency":       o.Latency.String(),
				"latencyJitter": o.Jitter.String(),
				"loadRPS":       rps,
				"metricLabels":  labels,
			})
		}
	}
	sm := map[string]any{"enabled": e.o.ServiceMonitor}
	if e.o.ServiceMonitor {
		sm["interval"] = fmt.Sprintf("%ds", int(max(e.o.ScrapeInterval, time.Second).Seconds()))
		labels := map[string]any{}
		for k, v := range e.o.ServiceMonitorLabels {
			labels[k] = v
		}
		sm["labels"] = labels
	}
	// The annotations stay with a ServiceMonitor: a Prometheus that honours
	// both scrapes each app under two jobs, which the built-in queries sum
	// away (both sides double alike; ratios and quantiles do not change).
	// The apps run the service's image: it holds `ctl canary sample-app`.
	return map[string]any{"apps": apps, "serviceMonitor": sm, "scrape": map[string]any{"annotations": true},
		"image": installer.ImageValues(settings)}, nil
}

// Start implements smoke.Env.
func (e *smokeEnv) Start(ctx context.Context, run string, scenarios []smoke.Scenario, rps int) error {
	if err := e.k.ping(ctx); err != nil {
		return err
	}
	ch, err := charts.LoadSampleApp()
	if err != nil {
		return err
	}
	ch.Metadata.AppVersion = installer.Version
	vals, err := e.values(run, scenarios, rps)
	if err != nil {
		return err
	}
	e.release = SmokeReleasePrefix + run
	in := action.NewInstall(e.k.cfg)
	in.ReleaseName = e.release
	in.Namespace = e.k.Namespace
	in.Timeout = e.o.ReadyTimeout
	// Whatever happens from here, Stop uninstalls the release.
	e.installed = true
	if _, err := in.RunWithContext(ctx, ch, vals); err != nil {
		if strings.Contains(err.Error(), "ServiceMonitor") && strings.Contains(err.Error(), "no matches for kind") {
			return fmt.Errorf("installing the sample apps: the cluster has no ServiceMonitor resource (the Prometheus Operator's CRD): drop --service-monitor to rely on prometheus.io/scrape annotations (%v)", err)
		}
		return fmt.Errorf("installing the sample apps (Helm release %s in namespace %s): %w", e.release, e.k.Namespace, e.k.explain(err))
	}
	how := "prometheus.io/scrape annotations"
	if e.o.ServiceMonitor {
		how += " and a ServiceMonitor"
	}
	e.progressf("Installed Helm release %s in namespace %s: %d sample app Deployments, scraped through %s", e.release, e.k.Namespace, 2*len(scenarios), how)
	return e.waitReady(ctx)
}

// selector selects the release's objects.
func (e *smokeEnv) selector() string { return "app.kubernetes.io/instance=" + e.release }

// waitReady waits until every app Deployment of the release is available,
// naming a pod that cannot start.
func (e *smokeEnv) waitReady(ctx context.Context) error {
	cs, err := e.k.clientset()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, e.o.ReadyTimeout)
	defer cancel()
	last := ""
	for {
		deps, err := cs.AppsV1().Deployments(e.k.Namespace).List(ctx, metav1.ListOptions{LabelSelector: e.selector()})
		if err != nil && ctx.Err() == nil {
			return e.k.explain(err)
		}
		if err == nil {
			ready := 0
			for i := range deps.Items {
				d := &deps.Items[i]
				want := int32(1)
				if d.Spec.Replicas != nil {
					want = *d.Spec.Replicas
				}
				if deploymentDone(d, want) {
					ready++
				} else if reason := e.k.podTrouble(ctx, cs, d, false); reason != "" {
					return fmt.Errorf("sample app %s cannot start: %s", d.Name, reason)
				}
			}
			line := fmt.Sprintf("Sample apps: %d of %d ready", ready, len(deps.Items))
			if line != last {
				e.progressf("%s", line)
				last = line
			}
			if len(deps.Items) > 0 && ready == len(deps.Items) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if err := context.Cause(ctx); !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			reason := "no pod became ready"
			if deps != nil {
				for i := range deps.Items {
					if r := e.k.podTrouble(context.Background(), cs, &deps.Items[i], true); r != "" {
						reason = r
						break
					}
				}
			}
			return fmt.Errorf("the sample apps were not ready after %s: %s", e.o.ReadyTimeout, reason)
		case <-time.After(time.Second):
		}
	}
}

// Requests implements smoke.Env: the apps load themselves, in the cluster.
func (e *smokeEnv) Requests(string) (smoke.Requests, bool) { return smoke.Requests{}, false }

// Diagnose implements smoke.Env: why the metrics account may show no
// series of the apps.
func (e *smokeEnv) Diagnose(ctx context.Context) string {
	cs, err := e.k.clientset()
	if err != nil {
		return ""
	}
	pods, err := cs.CoreV1().Pods(e.k.Namespace).List(ctx, metav1.ListOptions{LabelSelector: e.selector()})
	if err != nil {
		return ""
	}
	var notReady []string
	for _, p := range pods.Items {
		if !podReady(&p) {
			notReady = append(notReady, fmt.Sprintf("%s (%s)", p.Name, p.Status.Phase))
		}
	}
	sort.Strings(notReady)
	if len(notReady) > 0 {
		return fmt.Sprintf("pods of the sample apps are not ready: %s; see `kubectl -n %s describe pod`", strings.Join(notReady, ", "), e.k.Namespace)
	}
	var checks []string
	checks = append(checks, fmt.Sprintf("that a pod discovery job keeping prometheus.io/scrape=\"true\" (the usual kubernetes-pods job) covers namespace %s", e.k.Namespace))
	if e.o.ServiceMonitor {
		checks = append(checks, fmt.Sprintf("with the Prometheus Operator, that the labels of the ServiceMonitor %s-ctl-sampleapp match its serviceMonitorSelector (set them with --service-monitor-label KEY=VALUE)", e.release))
	} else {
		checks = append(checks, "with the Prometheus Operator, rerun with --service-monitor")
	}
	checks = append(checks,
		"that Prometheus may reach the pods' /metrics on port 8080 (named http), e.g. through NetworkPolicies",
		"that its scrape interval is shorter than --series-timeout")
	return fmt.Sprintf("the %d sample app pods run and are ready in namespace %s, so the Prometheus behind that account does not scrape them, or the account's baseUrl is another Prometheus. Check %s",
		len(pods.Items), e.k.Namespace, strings.Join(checks, "; "))
}

func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Stop implements smoke.Env: it uninstalls the release.
func (e *smokeEnv) Stop(ctx context.Context) error {
	if !e.installed {
		return nil
	}
	found, err := e.k.uninstall(e.release, time.Minute)
	if err != nil {
		return fmt.Errorf("removing the sample apps: %v; remove them with `helm -n %s uninstall %s`", e.k.explain(err), e.k.Namespace, e.release)
	}
	if found {
		e.progressf("Removed Helm release %s", e.release)
	}
	return nil
}
