// Package kube installs the analysis service into Kubernetes as a Helm
// release of the embedded chart (distributed deployments). It is linked
// only into the ctl-kube binary: Helm and client-go add about 25 ms of
// package initialisation to every start, which ctl's config commands
// must not pay (see docs/architecture.md).
package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/ctlproject/ctl/charts"
	"github.com/ctlproject/ctl/halconfig"
	"github.com/ctlproject/ctl/installer"
)

type (
	ApplyOptions = installer.ApplyOptions
	ApplyResult  = installer.ApplyResult
	Revision     = installer.Revision
	StatusReport = installer.StatusReport
)

const ServicePort = installer.ServicePort

// ReleaseName is the Helm release of the analysis service.
const ReleaseName = "kayenta"

// DefaultNamespace is Halyard's default location.
const DefaultNamespace = "spinnaker"

// Kube installs the analysis service into Kubernetes as a Helm release of
// the embedded kayenta chart (distributed deployments).
type Kube struct {
	Home       string
	Deployment *halconfig.DeploymentConfiguration
	Progress   io.Writer
	Namespace  string

	flags *genericclioptions.ConfigFlags
	cfg   *action.Configuration
}

// NewKube returns the distributed deployer for d: the kubeconfig is
// deploymentEnvironment.kubeconfigFile (default $KUBECONFIG or
// ~/.kube/config), the context accountName (default the current one), the
// namespace location (default spinnaker).
func NewKube(home string, d *halconfig.DeploymentConfiguration, progress io.Writer) (*Kube, error) {
	e := d.DeploymentEnvironment
	ns := e.Location
	if ns == "" {
		ns = DefaultNamespace
	}
	flags := genericclioptions.NewConfigFlags(false)
	timeout := "15s"
	flags.Timeout = &timeout
	flags.Namespace = &ns
	if e.KubeconfigFile != "" {
		flags.KubeConfig = &e.KubeconfigFile
	}
	if e.AccountName != "" {
		flags.Context = &e.AccountName
	}
	k := &Kube{Home: home, Deployment: d, Progress: installer.OrDiscard(progress), Namespace: ns, flags: flags}
	k.cfg = new(action.Configuration)
	if err := k.cfg.Init(flags, ns, "secret", func(string, ...any) {}); err != nil {
		return nil, k.explain(err)
	}
	return k, nil
}

// explain turns client errors into messages that say what to do.
func (k *Kube) explain(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	where := "the Kubernetes API server"
	if rc, rerr := k.flags.ToRESTConfig(); rerr == nil {
		where += " at " + rc.Host
	}
	switch {
	case apierrors.IsForbidden(err) || strings.Contains(msg, "forbidden"):
		return fmt.Errorf("%s refused the request: %v\nThe kubeconfig's user lacks permissions in namespace %s: grant them, or pick another namespace with `ctl config deploy edit --namespace NS`", where, err, k.Namespace)
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%s did not accept the credentials: %v\nCheck the kubeconfig (`ctl config deploy edit --kubeconfig PATH --account-name CONTEXT`)", where, err)
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"), strings.Contains(msg, "i/o timeout"),
		strings.Contains(msg, "context deadline exceeded"), strings.Contains(msg, "Client.Timeout"):
		return fmt.Errorf("cannot reach %s: %v\nCheck that the cluster is up and that the kubeconfig and context are right (`ctl config deploy edit --kubeconfig PATH --account-name CONTEXT`)", where, err)
	case strings.Contains(msg, "context") && strings.Contains(msg, "does not exist"):
		return fmt.Errorf("%v: set an existing context with `ctl config deploy edit --account-name CONTEXT`", err)
	}
	return err
}

// ping checks the API server answers, quickly, before any change.
func (k *Kube) ping(ctx context.Context) error {
	cs, err := k.clientset()
	if err != nil {
		return k.explain(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = cs.CoreV1().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	return k.explain(err)
}

func (k *Kube) clientset() (*kubernetes.Clientset, error) {
	rc, err := k.flags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(rc)
}

func (k *Kube) generate() (*chart.Chart, map[string]any, error) {
	gen, err := installer.Generate(k.Deployment, k.Home, installer.DistributedMode, "")
	if err != nil {
		return nil, nil, err
	}
	if err := installer.CheckGenerated(gen); err != nil {
		return nil, nil, err
	}
	settings, err := installer.LoadServiceSettings(k.Home, k.Deployment.Name)
	if err != nil {
		return nil, nil, err
	}
	ch, err := charts.LoadKayenta()
	if err != nil {
		return nil, nil, err
	}
	ch.Metadata.AppVersion = installer.Version
	return ch, installer.Values(gen, settings), nil
}

// current returns the release's latest revision (nil when not installed).
func (k *Kube) current() (*release.Release, error) {
	rel, err := k.cfg.Releases.Last(ReleaseName)
	if releaseNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, k.explain(err)
	}
	return rel, nil
}

// Apply installs or upgrades the release. When the chart and values equal
// the deployed release's, it makes no new revision.
func (k *Kube) Apply(ctx context.Context, o ApplyOptions) (*ApplyResult, error) {
	if err := k.ping(ctx); err != nil {
		return nil, err
	}
	ch, vals, err := k.generate()
	if err != nil {
		return nil, err
	}
	cur, err := k.current()
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("http://%s.%s.svc:%d", ReleaseName, k.Namespace, ServicePort)
	if o.DryRun {
		return k.dryRun(ctx, ch, vals, cur)
	}
	var rel *release.Release
	verb := "upgraded"
	switch {
	case cur != nil && cur.Info.Status == release.StatusDeployed && sameRelease(cur, ch, vals):
		if err := k.saveBaseline(); err != nil {
			return nil, err
		}
		if o.Wait {
			if err := k.waitReady(ctx, o.Timeout); err != nil {
				return nil, err
			}
		}
		return &ApplyResult{URL: url, Action: "unchanged"}, nil
	case cur == nil:
		fmt.Fprintf(k.Progress, "Installing release %s in namespace %s...\n", ReleaseName, k.Namespace)
		in := action.NewInstall(k.cfg)
		in.ReleaseName, in.Namespace, in.CreateNamespace = ReleaseName, k.Namespace, true
		in.Timeout = o.Timeout
		rel, err = in.RunWithContext(ctx, ch, vals)
		verb = "installed"
	default:
		fmt.Fprintf(k.Progress, "Upgrading release %s in namespace %s (revision %d)...\n", ReleaseName, k.Namespace, cur.Version+1)
		up := action.NewUpgrade(k.cfg)
		up.Namespace = k.Namespace
		up.Timeout = o.Timeout
		up.MaxHistory = 10 // old revisions (and their Secrets) do not pile up
		rel, err = up.RunWithContext(ctx, ReleaseName, ch, vals)
	}
	if err != nil {
		return nil, k.explain(err)
	}
	if err := k.saveBaseline(); err != nil {
		return nil, err
	}
	if o.Wait {
		if err := k.waitReady(ctx, o.Timeout); err != nil {
			return nil, err
		}
	}
	return &ApplyResult{Changed: true, URL: url, Action: fmt.Sprintf("%s (revision %d)", verb, rel.Version)}, nil
}

func sameRelease(cur *release.Release, ch *chart.Chart, vals map[string]any) bool {
	if cur.Chart == nil || cur.Chart.Metadata == nil {
		return false
	}
	if cur.Chart.Metadata.Version != ch.Metadata.Version || cur.Chart.Metadata.AppVersion != ch.Metadata.AppVersion {
		return false
	}
	// Compare through YAML so number types decoded from storage match.
	a, _ := yaml.Marshal(cur.Config)
	b, _ := yaml.Marshal(vals)
	if !bytes.Equal(a, b) {
		return false
	}
	// The templates themselves (a newer ctl may ship a changed chart of the same version).
	return reflect.DeepEqual(templateData(cur.Chart), templateData(ch))
}

func templateData(ch *chart.Chart) map[string]string {
	m := map[string]string{}
	for _, t := range ch.Templates {
		m[t.Name] = string(t.Data)
	}
	return m
}

func (k *Kube) saveBaseline() error {
	return installer.SaveBaseline(k.Home, k.Deployment)
}

// render returns the manifests the chart makes from vals, without a cluster.
func (k *Kube) render(ch *chart.Chart, vals map[string]any) (string, error) {
	// A client-only install replaces its configuration's kube client and
	// release store with fakes: give it a copy.
	cfg := *k.cfg
	in := action.NewInstall(&cfg)
	in.ReleaseName, in.Namespace = ReleaseName, k.Namespace
	in.DryRun, in.ClientOnly, in.Replace = true, true, true
	in.DryRunOption = "client"
	rel, err := in.Run(ch, vals)
	if err != nil {
		return "", err
	}
	return rel.Manifest, nil
}

// dryRun sends every rendered object to the API server as a server-side
// apply with dryRun=All: admission and validation run, nothing is stored.
func (k *Kube) dryRun(ctx context.Context, ch *chart.Chart, vals map[string]any, cur *release.Release) (*ApplyResult, error) {
	manifest, err := k.render(ch, vals)
	if err != nil {
		return nil, err
	}
	rc, err := k.flags.ToRESTConfig()
	if err != nil {
		return nil, k.explain(err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	mapper, err := k.flags.ToRESTMapper()
	if err != nil {
		return nil, k.explain(err)
	}
	opts := metav1.ApplyOptions{FieldManager: "ctl", Force: true, DryRun: []string{metav1.DryRunAll}}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, k.Namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		nsObj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": k.Namespace}}}
		if _, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Apply(ctx, k.Namespace, nsObj, opts); err != nil {
			return nil, k.explain(fmt.Errorf("namespace %s: %w", k.Namespace, err))
		}
		fmt.Fprintf(k.Progress, "Namespace %s does not exist: it would be created; its objects are checked against the API server's schema only.\n", k.Namespace)
		objs, err := k.cfg.KubeClient.Build(strings.NewReader(manifest), true)
		if err != nil {
			return nil, fmt.Errorf("the API server's schema rejects the rendered manifests: %w", err)
		}
		fmt.Fprintf(k.Progress, "%d objects validated.\n", len(objs))
		return &ApplyResult{Action: "dry-run"}, nil
	} else if err != nil {
		return nil, k.explain(err)
	}
	for _, doc := range strings.Split(manifest, "\n---") {
		var obj unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil || len(obj.Object) == 0 {
			continue
		}
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return nil, fmt.Errorf("%s %s: the API server does not serve this kind: %w", gvk.Kind, obj.GetName(), err)
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == "namespace" {
			ri = dyn.Resource(m.Resource).Namespace(k.Namespace)
		}
		if _, err := ri.Apply(ctx, obj.GetName(), &obj, opts); err != nil {
			return nil, k.explain(fmt.Errorf("%s %s: %w", gvk.Kind, obj.GetName(), err))
		}
		fmt.Fprintf(k.Progress, "%s/%s: accepted (dry run)\n", strings.ToLower(gvk.Kind), obj.GetName())
	}
	return &ApplyResult{Action: "dry-run"}, nil
}

// waitReady polls the Deployment until every replica is updated and ready,
// printing progress; on timeout it names a failing pod and why.
func (k *Kube) waitReady(ctx context.Context, timeout time.Duration) error {
	cs, err := k.clientset()
	if err != nil {
		return err
	}
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := ""
	for {
		dep, err := cs.AppsV1().Deployments(k.Namespace).Get(ctx, ReleaseName, metav1.GetOptions{})
		if err == nil {
			want := int32(1)
			if dep.Spec.Replicas != nil {
				want = *dep.Spec.Replicas
			}
			line := fmt.Sprintf("Waiting for %s: %d of %d pods ready, %d updated", ReleaseName, dep.Status.ReadyReplicas, want, dep.Status.UpdatedReplicas)
			if line != last {
				fmt.Fprintln(k.Progress, line)
				last = line
			}
			if deploymentDone(dep, want) {
				fmt.Fprintf(k.Progress, "%s is ready: %d of %d pods\n", ReleaseName, dep.Status.ReadyReplicas, want)
				return nil
			}
			if reason := k.podTrouble(ctx, cs, dep, false); reason != "" {
				return fmt.Errorf("deployment %s is not ready: %s", ReleaseName, reason)
			}
		} else if !apierrors.IsNotFound(err) && ctx.Err() == nil {
			return k.explain(err)
		} else if ctx.Err() == nil {
			dep = nil
			if line := "Waiting for deployment " + ReleaseName + " to appear: " + err.Error(); line != last {
				fmt.Fprintln(k.Progress, line)
				last = line
			}
		}
		select {
		case <-ctx.Done():
			reason := "no pod became ready"
			if dep != nil {
				if r := k.podTrouble(context.Background(), cs, dep, true); r != "" {
					reason = r
				}
			}
			return fmt.Errorf("deployment %s was not ready after %s: %s", ReleaseName, timeout, reason)
		case <-time.After(time.Second):
		}
	}
}

func deploymentDone(dep *appsv1.Deployment, want int32) bool {
	s := dep.Status
	return s.ObservedGeneration >= dep.Generation && s.UpdatedReplicas == want && s.ReadyReplicas == want &&
		s.AvailableReplicas == want && s.Replicas == want
}

// podTrouble names a pod that cannot become ready and why: image pull
// errors and crash loops at once (they do not heal by waiting), pending
// and failing probes only when final.
func (k *Kube) podTrouble(ctx context.Context, cs *kubernetes.Clientset, dep *appsv1.Deployment, final bool) string {
	sel := metav1.FormatLabelSelector(dep.Spec.Selector)
	pods, err := cs.CoreV1().Pods(k.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return ""
	}
	for _, p := range pods.Items {
		for _, c := range p.Status.ContainerStatuses {
			if w := c.State.Waiting; w != nil {
				switch w.Reason {
				case "ImagePullBackOff", "ErrImagePull", "InvalidImageName":
					return fmt.Sprintf("pod %s cannot pull image %s (%s: %s)", p.Name, c.Image, w.Reason, w.Message)
				case "CrashLoopBackOff", "CreateContainerConfigError", "RunContainerError":
					return fmt.Sprintf("pod %s: container %s is in %s (%s); see `kubectl -n %s logs %s`", p.Name, c.Name, w.Reason, w.Message, k.Namespace, p.Name)
				}
			}
		}
		if !final {
			continue
		}
		if p.Status.Phase == corev1.PodPending {
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodScheduled && cond.Status != corev1.ConditionTrue {
					return fmt.Sprintf("pod %s is pending: %s", p.Name, cond.Message)
				}
			}
			return fmt.Sprintf("pod %s is pending", p.Name)
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.Status != corev1.ConditionTrue {
				return fmt.Sprintf("pod %s is running but not ready (readiness probe on /health failing?) %s", p.Name, cond.Message)
			}
		}
	}
	return ""
}

// Diff is the unified diff of the manifests apply would install against
// the live release's.
func (k *Kube) Diff(ctx context.Context) (string, error) {
	if err := k.ping(ctx); err != nil {
		return "", err
	}
	ch, vals, err := k.generate()
	if err != nil {
		return "", err
	}
	want, err := k.render(ch, vals)
	if err != nil {
		return "", err
	}
	cur, err := k.current()
	if err != nil {
		return "", err
	}
	live := ""
	if cur != nil {
		live = cur.Manifest
	}
	return installer.UnifiedDiff(strings.TrimLeft(live, "\n"), strings.TrimLeft(want, "\n"), "live/"+ReleaseName, "apply/"+ReleaseName), nil
}

// KubeStatus is `ctl deploy status` for a distributed deployment.
type KubeStatus struct {
	Deployment  string `json:"deployment" yaml:"deployment"`
	Type        string `json:"type" yaml:"type"`
	Namespace   string `json:"namespace" yaml:"namespace"`
	Release     string `json:"release" yaml:"release"`
	Status      string `json:"status" yaml:"status"`
	Revision    int    `json:"revision" yaml:"revision"`
	Chart       string `json:"chart,omitempty" yaml:"chart,omitempty"`
	AppVersion  string `json:"appVersion,omitempty" yaml:"appVersion,omitempty"`
	Updated     string `json:"updated,omitempty" yaml:"updated,omitempty"`
	PodsReady   int32  `json:"podsReady" yaml:"podsReady"`
	PodsDesired int32  `json:"podsDesired" yaml:"podsDesired"`
	Service     string `json:"service,omitempty" yaml:"service,omitempty"`
	ClusterIP   string `json:"clusterIP,omitempty" yaml:"clusterIP,omitempty"`
	Health      string `json:"health" yaml:"health"`
}

// Rows implements StatusReport.
func (s *KubeStatus) Rows() [][2]string {
	return [][2]string{{"Deployment", s.Deployment}, {"Type", s.Type}, {"Namespace", s.Namespace}, {"Release", s.Release},
		{"Status", s.Status}, {"Revision", fmt.Sprint(s.Revision)}, {"Chart", s.Chart}, {"App version", s.AppVersion},
		{"Updated", s.Updated}, {"Pods ready", fmt.Sprintf("%d/%d", s.PodsReady, s.PodsDesired)},
		{"Service", s.Service}, {"Cluster IP", s.ClusterIP}, {"Health", s.Health}}
}

// Status reports the release, its pods, its Service and the service's
// health through the API server's service proxy.
func (k *Kube) Status(ctx context.Context) (StatusReport, error) {
	if err := k.ping(ctx); err != nil {
		return nil, err
	}
	s := &KubeStatus{Deployment: k.Deployment.Name, Type: halconfig.EnvDistributed, Namespace: k.Namespace, Release: ReleaseName, Status: "not deployed", Health: "not deployed"}
	cur, err := k.current()
	if err != nil || cur == nil {
		return s, err
	}
	s.Status, s.Revision = cur.Info.Status.String(), cur.Version
	if cur.Chart != nil && cur.Chart.Metadata != nil {
		s.Chart = cur.Chart.Metadata.Name + "-" + cur.Chart.Metadata.Version
		s.AppVersion = cur.Chart.Metadata.AppVersion
	}
	s.Updated = cur.Info.LastDeployed.UTC().Format(time.RFC3339)
	cs, err := k.clientset()
	if err != nil {
		return nil, err
	}
	if dep, err := cs.AppsV1().Deployments(k.Namespace).Get(ctx, ReleaseName, metav1.GetOptions{}); err == nil {
		s.PodsReady = dep.Status.ReadyReplicas
		s.PodsDesired = 1
		if dep.Spec.Replicas != nil {
			s.PodsDesired = *dep.Spec.Replicas
		}
	}
	if svc, err := cs.CoreV1().Services(k.Namespace).Get(ctx, ReleaseName, metav1.GetOptions{}); err == nil {
		s.ClusterIP = svc.Spec.ClusterIP
		var ports []string
		for _, p := range svc.Spec.Ports {
			ports = append(ports, fmt.Sprint(p.Port))
		}
		sort.Strings(ports)
		s.Service = fmt.Sprintf("%s.%s.svc:%s", svc.Name, k.Namespace, strings.Join(ports, ","))
	}
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	body, err := cs.CoreV1().Services(k.Namespace).ProxyGet("http", ReleaseName, fmt.Sprint(ServicePort), "/health", nil).DoRaw(hctx)
	switch {
	case err == nil && strings.Contains(string(body), `"UP"`):
		s.Health = "UP"
	case err == nil:
		s.Health = "unexpected answer: " + strings.TrimSpace(string(body))
	default:
		s.Health = "unreachable through the API server proxy: " + firstLine(err.Error())
	}
	return s, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// History lists the release's revisions, oldest first.
func (k *Kube) History(ctx context.Context) ([]Revision, error) {
	if err := k.ping(ctx); err != nil {
		return nil, err
	}
	h := action.NewHistory(k.cfg)
	h.Max = 256
	rels, err := h.Run(ReleaseName)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, k.explain(err)
	}
	sort.Slice(rels, func(i, j int) bool { return rels[i].Version < rels[j].Version })
	var out []Revision
	for _, r := range rels {
		rev := Revision{Revision: r.Version, Status: r.Info.Status.String(), Description: r.Info.Description, Updated: r.Info.LastDeployed.Time}
		if r.Chart != nil && r.Chart.Metadata != nil {
			rev.Chart = r.Chart.Metadata.Name + "-" + r.Chart.Metadata.Version
			rev.AppVersion = r.Chart.Metadata.AppVersion
		}
		out = append(out, rev)
	}
	return out, nil
}

// Rollback rolls the release back to revision (0 = the previous one).
func (k *Kube) Rollback(ctx context.Context, revision int) (*ApplyResult, error) {
	if err := k.ping(ctx); err != nil {
		return nil, err
	}
	cur, err := k.current()
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("release %s is not installed in namespace %s: nothing to roll back", ReleaseName, k.Namespace)
	}
	rb := action.NewRollback(k.cfg)
	rb.Version = revision
	rb.MaxHistory = 10
	rb.Timeout = 5 * time.Minute
	if err := rb.Run(ReleaseName); err != nil {
		return nil, k.explain(err)
	}
	// The baseline becomes "unknown": the config no longer matches what runs.
	_ = installer.RemoveFile(installer.BaselinePath(k.Home, k.Deployment.Name))
	return &ApplyResult{Changed: true, URL: fmt.Sprintf("http://%s.%s.svc:%d", ReleaseName, k.Namespace, ServicePort), Action: "rolled back"}, nil
}

// Clean uninstalls the release.
func (k *Kube) Clean(ctx context.Context) (bool, error) {
	if err := k.ping(ctx); err != nil {
		return false, err
	}
	found, err := k.uninstall(ReleaseName, 2*time.Minute)
	if err != nil {
		return false, k.explain(err)
	}
	if !found {
		return false, nil
	}
	_ = installer.RemoveFile(installer.BaselinePath(k.Home, k.Deployment.Name))
	return true, nil
}

// uninstall removes a release without waiting for its objects to go; false
// when it was not installed.
func (k *Kube) uninstall(release string, timeout time.Duration) (bool, error) {
	un := action.NewUninstall(k.cfg)
	un.Wait = false
	un.Timeout = timeout
	if _, err := un.Run(release); err != nil {
		if releaseNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// releaseNotFound reports whether err says a release is not installed
// (the storage driver's error, or the same wrapped by an action as text).
func releaseNotFound(err error) bool {
	return err != nil && (errors.Is(err, driver.ErrReleaseNotFound) || strings.Contains(err.Error(), "not found"))
}

// NewDeployer is NewKube as an installer.Deployer (installer.NewDistributed).
func NewDeployer(home string, d *halconfig.DeploymentConfiguration, progress io.Writer) (installer.Deployer, error) {
	return NewKube(home, d, progress)
}
