package charts

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/ctlproject/ctl/kayenta/config"
)

// goldenCases are rendered into testdata/<name>.golden.yaml, and linted.
var goldenCases = []goldenCase{
	{"defaults", ""},
	{"scaled", `
replicaCount: 3
image:
  tag: v1.4.0
imagePullSecrets:
  - name: ghcr-pull
resources:
  requests: {cpu: 250m, memory: 256Mi}
  limits: {cpu: "1", memory: 1Gi}
nodeSelector:
  kubernetes.io/os: linux
  node-role.example.com/canary: "true"
tolerations:
  - key: dedicated
    operator: Equal
    value: canary
    effect: NoSchedule
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              app.kubernetes.io/name: kayenta
              app.kubernetes.io/instance: ctl
env:
  - name: PROMETHEUS_URL
    value: http://prometheus-server.monitoring:9090
  - name: PROM_PASSWORD
    valueFrom:
      secretKeyRef: {name: prometheus-basic-auth, key: password}
podAnnotations:
  example.com/team: canary
podLabels:
  team: canary
service:
  annotations:
    example.com/internal: "true"
serviceAccount:
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/kayenta
`},
	{"networkpolicy-servicemonitor", `
networkPolicy:
  enabled: true
  ingressFrom:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: argo-rollouts
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
      podSelector:
        matchLabels:
          app.kubernetes.io/name: prometheus
serviceMonitor:
  enabled: true
  interval: 15s
  labels:
    release: kube-prometheus-stack
`},
	{"secret-files", `
kayentaConfig: |
  server:
    port: 8090
  ctl:
    auth:
      tokenFile: /etc/kayenta/files/api-token
  kayenta:
    prometheus:
      enabled: true
      accounts:
        - name: prometheus
          endpoint.baseUrl: http://prometheus-server.monitoring:9090
          usernamePasswordFile: /etc/kayenta/files/prometheus-credentials
          supportedTypes: [METRICS_STORE]
    memory:
      enabled: true
      accounts:
        - name: in-memory-store
          supportedTypes: [OBJECT_STORE, CONFIGURATION_STORE]
files:
  prometheus-credentials: "kayenta:hunter2\n"
  api-token: "s3cr3t-token\n"
`},
}

// Each chart's golden cases render as testdata/<name>.golden.yaml holds
// them; go test ./charts/ -update rewrites the files.
func TestGolden(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		for _, tc := range ch.golden {
			t.Run(tc.name, func(t *testing.T) {
				assertGolden(t, tc.name+".golden.yaml", ch.manifests(ch.render(t, values(t, tc.values))))
			})
		}
	})
}

// Rendering is deterministic (files, values and labels are maps).
func TestRenderDeterministic(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		for _, tc := range ch.golden {
			t.Run(tc.name, func(t *testing.T) {
				first := ch.manifests(ch.render(t, values(t, tc.values)))
				for range 5 {
					if got := ch.manifests(ch.render(t, values(t, tc.values))); got != first {
						t.Fatal("two renders of the same values differ")
					}
				}
			})
		}
	})
}

func TestObjectsPerCase(t *testing.T) {
	for _, tc := range []struct {
		values string
		want   []string
	}{
		{"", []string{"Deployment", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount"}},
		{"podDisruptionBudget: {enabled: false}\nserviceAccount: {create: false}", []string{"Deployment", "Secret", "Service"}},
		{goldenCases[2].values, []string{"Deployment", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount", "ServiceMonitor"}},
	} {
		if got := render(t, values(t, tc.values)).kinds(t); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("values %q rendered %v, want %v", tc.values, got, tc.want)
		}
	}
}

// Every object, and the pod template, carries the app.kubernetes.io labels.
func TestLabels(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			r := render(t, values(t, tc.values))
			version := "dev"
			if tc.name == "scaled" {
				version = "v1.4.0"
			}
			want := map[string]string{
				"app.kubernetes.io/name":       "kayenta",
				"app.kubernetes.io/instance":   testRelease,
				"app.kubernetes.io/version":    version,
				"app.kubernetes.io/component":  "canary-analysis",
				"app.kubernetes.io/managed-by": "Helm",
				"app.kubernetes.io/part-of":    "ctl",
				"helm.sh/chart":                "kayenta-0.1.0",
			}
			for _, o := range r.objects(t) {
				checkLabels(t, o.kind()+" labels", get(o.m, "metadata", "labels"), want)
				if o.name() != testFullname {
					t.Errorf("%s is named %q, want %q", o.kind(), o.name(), testFullname)
				}
				if ns := str(o.m, "metadata", "namespace"); ns != testNamespace {
					t.Errorf("%s namespace %q, want %q", o.kind(), ns, testNamespace)
				}
			}
			d := r.find(t, "Deployment")
			checkLabels(t, "pod template labels", get(d.m, "spec", "template", "metadata", "labels"), want)
			selector := map[string]string{"app.kubernetes.io/name": "kayenta", "app.kubernetes.io/instance": testRelease}
			for kind, path := range map[string][]any{
				"Deployment":          {"spec", "selector", "matchLabels"},
				"Service":             {"spec", "selector"},
				"PodDisruptionBudget": {"spec", "selector", "matchLabels"},
			} {
				if got := stringMap(get(r.find(t, kind).m, path...)); !maps.Equal(got, selector) {
					t.Errorf("%s selector = %v, want %v", kind, got, selector)
				}
			}
		})
	}
}

// podLabels and podAnnotations cannot break the selector or the checksum.
func TestPodLabelsCannotOverrideChart(t *testing.T) {
	r := render(t, values(t, `
podLabels: {app.kubernetes.io/name: other, app.kubernetes.io/instance: other, team: canary}
podAnnotations: {checksum/config: forged, note: kept}
`))
	tmpl := get(r.find(t, "Deployment").m, "spec", "template", "metadata")
	labels := stringMap(get(tmpl, "labels"))
	if labels["app.kubernetes.io/name"] != "kayenta" || labels["app.kubernetes.io/instance"] != testRelease || labels["team"] != "canary" {
		t.Errorf("pod labels = %v", labels)
	}
	ann := stringMap(get(tmpl, "annotations"))
	if ann["checksum/config"] == "forged" || ann["note"] != "kept" {
		t.Errorf("pod annotations = %v", ann)
	}
}

func checkLabels(t *testing.T, what string, got any, want map[string]string) {
	t.Helper()
	labels := stringMap(got)
	for k, v := range want {
		if labels[k] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, labels[k], v)
		}
	}
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, val := range m {
		out[k] = fmt.Sprint(val)
	}
	return out
}

// The Deployment's pod spec: restricted security settings (checkHardened), the writable
// /tmp, the read-only config mount, probes, arguments and port.
func TestDeploymentPodSpec(t *testing.T) {
	var d appsv1.Deployment
	decodeStrict(t, render(t, nil).find(t, "Deployment"), &d)
	pod := d.Spec.Template.Spec
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas = %v, want 1", d.Spec.Replicas)
	}
	if pod.ServiceAccountName != testFullname {
		t.Errorf("serviceAccountName = %q", pod.ServiceAccountName)
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < 15 {
		t.Errorf("terminationGracePeriodSeconds = %v: shutdown drains for up to 10 s", pod.TerminationGracePeriodSeconds)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	checkHardened(t, d, c)
	if c.Image != "ghcr.io/ctlproject/ctl:dev" || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("image %q pull %q", c.Image, c.ImagePullPolicy)
	}
	if want := []string{"kayenta", "serve", "--config", "/etc/kayenta/kayenta.yml", "--listen", "0.0.0.0:8090"}; !slices.Equal(c.Args, want) {
		t.Errorf("args = %v, want %v", c.Args, want)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8090 || c.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("ports = %+v", c.Ports)
	}
	for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/health" || p.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe = %+v, want GET /health on http", name, p)
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources = %+v", c.Resources)
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m
	}
	vols := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		vols[v.Name] = v
	}
	if m, ok := mounts["/etc/kayenta"]; !ok || !m.ReadOnly || vols[m.Name].Secret == nil || vols[m.Name].Secret.SecretName != testFullname {
		t.Errorf("/etc/kayenta mount %+v, volume %+v: want the release's Secret, read-only", m, vols[m.Name])
	}
	if m, ok := mounts["/tmp"]; !ok || m.ReadOnly || vols[m.Name].EmptyDir == nil {
		t.Errorf("/tmp mount %+v, volume %+v: want a writable emptyDir", m, vols[m.Name])
	}
	if s := d.Spec.Strategy.RollingUpdate; s == nil || s.MaxUnavailable.IntValue() != 0 {
		t.Errorf("rolling update %+v: want maxUnavailable 0", s)
	}
}

// The scaled case reaches the pod spec.
func TestDeploymentScaled(t *testing.T) {
	var d appsv1.Deployment
	decodeStrict(t, render(t, values(t, goldenCases[1].values)).find(t, "Deployment"), &d)
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	if *d.Spec.Replicas != 3 || c.Image != "ghcr.io/ctlproject/ctl:v1.4.0" {
		t.Errorf("replicas %d image %s", *d.Spec.Replicas, c.Image)
	}
	if c.Resources.Limits.Cpu().String() != "1" || c.Resources.Requests.Memory().String() != "256Mi" {
		t.Errorf("resources = %+v", c.Resources)
	}
	if pod.NodeSelector["kubernetes.io/os"] != "linux" || len(pod.Tolerations) != 1 || pod.Tolerations[0].Value != "canary" ||
		pod.Affinity == nil || pod.Affinity.PodAntiAffinity == nil {
		t.Errorf("scheduling: %v %v %v", pod.NodeSelector, pod.Tolerations, pod.Affinity)
	}
	if len(c.Env) != 2 || c.Env[0].Name != "PROMETHEUS_URL" || c.Env[1].ValueFrom == nil || c.Env[1].ValueFrom.SecretKeyRef.Key != "password" {
		t.Errorf("env = %+v", c.Env)
	}
	if len(pod.ImagePullSecrets) != 1 || pod.ImagePullSecrets[0].Name != "ghcr-pull" {
		t.Errorf("imagePullSecrets = %v", pod.ImagePullSecrets)
	}
}

// The image is repository:tag, or repository@digest, with the tag
// defaulting to the chart's appVersion; the version label is the tag made a
// valid label value. Both charts share the helpers, and the cases.
func TestImage(t *testing.T) {
	digest := "sha256:" + strings.Repeat("0f", 32)
	cases := []struct{ values, appVersion, image, version string }{
		{"", "", "ghcr.io/ctlproject/ctl:dev", "dev"},
		{"", "v1.2.3", "ghcr.io/ctlproject/ctl:v1.2.3", "v1.2.3"},
		{"image: {tag: v2.0.0}", "v1.2.3", "ghcr.io/ctlproject/ctl:v2.0.0", "v2.0.0"},
		{"image: {tag: v1.2.3}", "v2.0.0", "ghcr.io/ctlproject/ctl:v1.2.3", "v1.2.3"},
		{"image: {repository: registry.local:5000/ctl, pullPolicy: Always}", "", "registry.local:5000/ctl:dev", "dev"},
		{"image: {tag: " + digest + "}", "", "ghcr.io/ctlproject/ctl@" + digest, "sha256_" + strings.Repeat("0f", 28)},
		{"image: {repository: registry.example.com:5000/ctl, tag: '" + digest + "', pullPolicy: Always}", "",
			"registry.example.com:5000/ctl@" + digest, "sha256_" + strings.Repeat("0f", 28)},
		// The installer sets appVersion to ctl's version, which may carry semver build metadata.
		{"", "v1.2.3+dirty", "ghcr.io/ctlproject/ctl:v1.2.3+dirty", "v1.2.3_dirty"},
		{"", "v2.0.0+build.1", "ghcr.io/ctlproject/ctl:v2.0.0+build.1", "v2.0.0_build.1"},
	}
	forEachChart(t, func(t *testing.T, ch testChart) {
		for _, tc := range cases {
			c := ch.mustLoad(t)
			if tc.appVersion != "" {
				c.Metadata.AppVersion = tc.appVersion
			}
			vals := values(t, tc.values)
			maps.Copy(vals, values(t, ch.deploymentValues))
			d, ctr := oneDeployment(t, ch, renderChart(t, c, vals))
			if ctr.Image != tc.image {
				t.Errorf("values %q appVersion %q: image %q, want %q", tc.values, tc.appVersion, ctr.Image, tc.image)
			}
			if got := d.Labels["app.kubernetes.io/version"]; got != tc.version || len(validation.IsValidLabelValue(got)) != 0 {
				t.Errorf("values %q appVersion %q: version label %q, want %q", tc.values, tc.appVersion, got, tc.version)
			}
		}
	})
}

// oneDeployment decodes the one Deployment of a render of ch, and its one
// container, or fails.
func oneDeployment(t *testing.T, ch testChart, r rendered) (appsv1.Deployment, corev1.Container) {
	t.Helper()
	var found []object
	for _, o := range ch.objects(r, t) {
		if o.kind() == "Deployment" {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one Deployment, rendered %d", len(found))
	}
	var d appsv1.Deployment
	decodeStrict(t, found[0], &d)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: %d containers", d.Name, len(d.Spec.Template.Spec.Containers))
	}
	return d, d.Spec.Template.Spec.Containers[0]
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		release, values, want string
	}{
		{"ctl", "", "ctl-kayenta"},
		{"kayenta", "", "kayenta"},
		{"spin-kayenta", "", "spin-kayenta"},
		{"ctl", "nameOverride: judge", "ctl-judge"},
		{"ctl", "fullnameOverride: spin-kayenta", "spin-kayenta"},
		{strings.Repeat("r", 53), "", strings.Repeat("r", 53) + "-kayenta"},
		{"ctl", "nameOverride: " + strings.Repeat("n", 63), "ctl-" + strings.Repeat("n", 59)},
	} {
		c := loadKayenta(t)
		rv, err := renderValues(c, values(t, tc.values))
		if err != nil {
			t.Fatal(err)
		}
		rv["Release"].(map[string]any)["Name"] = tc.release
		out, err := renderTemplates(c, rv)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.objects(t) {
			if o.name() != tc.want {
				t.Errorf("release %q values %q: %s named %q, want %q", tc.release, tc.values, o.kind(), o.name(), tc.want)
			}
		}
	}
}

func TestServiceAccountName(t *testing.T) {
	for _, tc := range []struct{ values, want string }{
		{"", testFullname},
		{"serviceAccount: {name: kayenta-sa}", "kayenta-sa"},
		{"serviceAccount: {create: false}", "default"},
		{"serviceAccount: {create: false, name: spinnaker}", "spinnaker"},
	} {
		r := render(t, values(t, tc.values))
		if got := str(r.find(t, "Deployment").m, "spec", "template", "spec", "serviceAccountName"); got != tc.want {
			t.Errorf("values %q: serviceAccountName %q, want %q", tc.values, got, tc.want)
		}
	}
}

func TestService(t *testing.T) {
	var s corev1.Service
	decodeStrict(t, render(t, values(t, "service: {type: LoadBalancer, port: 80, annotations: {a: b}}")).find(t, "Service"), &s)
	if s.Spec.Type != corev1.ServiceTypeLoadBalancer || s.Annotations["a"] != "b" || len(s.Spec.Ports) != 1 ||
		s.Spec.Ports[0].Port != 80 || s.Spec.Ports[0].TargetPort.String() != "http" || s.Spec.Ports[0].Name != "http" {
		t.Errorf("service spec = %+v", s.Spec)
	}
	decodeStrict(t, render(t, nil).find(t, "Service"), &s)
	if s.Spec.Type != corev1.ServiceTypeClusterIP || s.Spec.Ports[0].Port != 8090 {
		t.Errorf("default service spec = %+v", s.Spec)
	}
}

// One Secret named after the release holds kayenta.yml and the files; the
// Deployment mounts each file at /etc/kayenta/files/<name>.
func TestSecretAndFiles(t *testing.T) {
	r := render(t, values(t, goldenCases[3].values))
	var s corev1.Secret
	decodeStrict(t, r.find(t, "Secret"), &s)
	if s.Name != testFullname || s.Type != corev1.SecretTypeOpaque {
		t.Errorf("secret %s type %s", s.Name, s.Type)
	}
	want := map[string]string{
		"kayenta.yml":                  values(t, goldenCases[3].values)["kayentaConfig"].(string),
		"files.api-token":              "s3cr3t-token\n",
		"files.prometheus-credentials": "kayenta:hunter2\n",
	}
	got := map[string]string{}
	for k, v := range s.Data {
		got[k] = string(v)
	}
	if !maps.Equal(got, want) {
		t.Errorf("secret data = %q, want %q", got, want)
	}
	var d appsv1.Deployment
	decodeStrict(t, r.find(t, "Deployment"), &d)
	var items []corev1.KeyToPath
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			items = v.Secret.Items
		}
	}
	wantItems := []corev1.KeyToPath{
		{Key: "kayenta.yml", Path: "kayenta.yml"},
		{Key: "files.api-token", Path: "files/api-token"},
		{Key: "files.prometheus-credentials", Path: "files/prometheus-credentials"},
	}
	if !reflect.DeepEqual(items, wantItems) {
		t.Errorf("secret volume items = %+v, want %+v", items, wantItems)
	}
}

func checksum(t *testing.T, vals map[string]any) string {
	t.Helper()
	sum := str(render(t, vals).find(t, "Deployment").m, "spec", "template", "metadata", "annotations", "checksum/config")
	if len(sum) != 64 {
		t.Fatalf("checksum/config = %q, want a sha256", sum)
	}
	return sum
}

// checksum/config follows the Secret's data and nothing else, so pods roll
// exactly when the mounted config changes.
func TestChecksumConfig(t *testing.T) {
	base := checksum(t, nil)
	same := []string{
		"replicaCount: 4",
		"image: {tag: v9.9.9}",
		"resources: {limits: {memory: 2Gi}}",
		"podAnnotations: {a: b}",
		"podLabels: {a: b}",
		"service: {port: 80}",
		"env: [{name: A, value: b}]",
		"networkPolicy: {enabled: true, ingressFrom: [{podSelector: {}}]}",
		"files: {}",
	}
	for _, v := range same {
		if got := checksum(t, values(t, v)); got != base {
			t.Errorf("values %q changed checksum/config", v)
		}
	}
	defaultConfig := loadKayenta(t).Values["kayentaConfig"].(string)
	changed := map[string]map[string]any{
		"kayentaConfig edited":     {"kayentaConfig": defaultConfig + "ctl:\n  executions:\n    maxConcurrent: 8\n"},
		"kayentaConfig whitespace": {"kayentaConfig": defaultConfig + "\n"},
		"a file added":             {"files": map[string]any{"token": "t"}},
	}
	seen := map[string]string{base: "defaults"}
	for name, v := range changed {
		got := checksum(t, v)
		if prev, dup := seen[got]; dup {
			t.Errorf("%s: checksum/config equals that of %s", name, prev)
		}
		seen[got] = name
	}
	a := checksum(t, map[string]any{"files": map[string]any{"token": "one"}})
	b := checksum(t, map[string]any{"files": map[string]any{"token": "two"}})
	if a == b {
		t.Error("changing a file's content kept checksum/config")
	}
}

func TestPodDisruptionBudget(t *testing.T) {
	for _, tc := range []struct {
		values string
		min    string // "" when unset
		max    string
	}{
		{"", "", "1"},
		{"replicaCount: 3", "", "1"},
		{"podDisruptionBudget: {maxUnavailable: 2}", "", "2"},
		{"podDisruptionBudget: {minAvailable: 2}\nreplicaCount: 3", "2", ""},
		{"podDisruptionBudget: {minAvailable: 0}", "0", ""},
		{"podDisruptionBudget: {maxUnavailable: 50%}", "", "50%"},
	} {
		var pdb policyv1.PodDisruptionBudget
		decodeStrict(t, render(t, values(t, tc.values)).find(t, "PodDisruptionBudget"), &pdb)
		var gotMin, gotMax string
		if pdb.Spec.MinAvailable != nil {
			gotMin = pdb.Spec.MinAvailable.String()
		}
		if pdb.Spec.MaxUnavailable != nil {
			gotMax = pdb.Spec.MaxUnavailable.String()
		}
		if gotMin != tc.min || gotMax != tc.max {
			t.Errorf("values %q: minAvailable %q maxUnavailable %q, want %q %q", tc.values, gotMin, gotMax, tc.min, tc.max)
		}
		if pdb.Spec.UnhealthyPodEvictionPolicy == nil || *pdb.Spec.UnhealthyPodEvictionPolicy != policyv1.AlwaysAllow {
			t.Errorf("unhealthyPodEvictionPolicy = %v", pdb.Spec.UnhealthyPodEvictionPolicy)
		}
	}
}

func TestNetworkPolicyAndServiceMonitor(t *testing.T) {
	r := render(t, values(t, goldenCases[2].values))
	var np networkingv1.NetworkPolicy
	decodeStrict(t, r.find(t, "NetworkPolicy"), &np)
	if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].From) != 2 || len(np.Spec.Ingress[0].Ports) != 1 ||
		np.Spec.Ingress[0].Ports[0].Port.IntValue() != 8090 ||
		np.Spec.Ingress[0].From[1].PodSelector.MatchLabels["app.kubernetes.io/name"] != "prometheus" {
		t.Errorf("ingress = %+v", np.Spec.Ingress)
	}
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) {
		t.Errorf("policyTypes = %v", np.Spec.PolicyTypes)
	}
	if np.Spec.PodSelector.MatchLabels["app.kubernetes.io/instance"] != testRelease {
		t.Errorf("podSelector = %v", np.Spec.PodSelector)
	}

	checkServiceMonitor(t, r.find(t, "ServiceMonitor"), "kayenta", "15s")
}

// kindTypes are the kinds of object the charts render: the apiVersion, and
// the Kubernetes type each decodes into.
var kindTypes = map[string]struct {
	apiVersion string
	new        func() any
}{
	"Deployment":          {"apps/v1", func() any { return &appsv1.Deployment{} }},
	"Service":             {"v1", func() any { return &corev1.Service{} }},
	"ServiceAccount":      {"v1", func() any { return &corev1.ServiceAccount{} }},
	"Secret":              {"v1", func() any { return &corev1.Secret{} }},
	"PodDisruptionBudget": {"policy/v1", func() any { return &policyv1.PodDisruptionBudget{} }},
	"NetworkPolicy":       {"networking.k8s.io/v1", func() any { return &networkingv1.NetworkPolicy{} }},
	"ServiceMonitor":      {"monitoring.coreos.com/v1", nil}, // checked by checkServiceMonitor
}

// Every rendered object is of a kind the chart renders, has a valid name,
// and decodes, field for field, into its Kubernetes type.
func TestManifestsDecodeStrictly(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		for _, tc := range ch.golden {
			for _, o := range ch.objects(ch.render(t, values(t, tc.values)), t) {
				ty, ok := kindTypes[o.kind()]
				if !ok || !slices.Contains(ch.kinds, o.kind()) {
					t.Errorf("%s: unexpected kind %q", tc.name, o.kind())
					continue
				}
				if got := str(o.m, "apiVersion"); got != ty.apiVersion {
					t.Errorf("%s: %s apiVersion %q, want %q", tc.name, o.kind(), got, ty.apiVersion)
				}
				if ty.new != nil {
					decodeStrict(t, o, ty.new())
				}
				if errs := validation.IsDNS1035Label(o.name()); len(errs) != 0 {
					t.Errorf("%s: %s %s: %v", tc.name, o.kind(), o.name(), errs)
				}
			}
		}
	})
}

func decodeStrict(t *testing.T, o object, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict([]byte(o.raw), into); err != nil {
		t.Fatalf("%s (%s) does not decode strictly: %v", o.kind(), o.source, err)
	}
}

// The placeholder kayentaConfig in values.yaml is a kayenta.yml that
// `ctl kayenta serve` starts with, without warnings.
func TestDefaultConfigLoads(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"values.yaml", loadKayenta(t).Values["kayentaConfig"].(string)},
	} {
		cfg, warnings, err := config.Parse("/etc/kayenta/kayenta.yml", []byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, w := range warnings {
			t.Errorf("%s: %s", tc.name, w)
		}
		if !cfg.HasObjectStore() || cfg.Server.Port != 8090 {
			t.Errorf("%s: object store %v, port %d", tc.name, cfg.HasObjectStore(), cfg.Server.Port)
		}
	}
}

// kayentaNotes are the kayenta chart's NOTES.txt cases (see TestNotes).
var kayentaNotes = []notesCase{
	{"defaults", "", []string{
		"http://ctl-kayenta.canary.svc:8090",
		"kubectl --namespace canary port-forward service/ctl-kayenta 8090:8090",
		"curl http://127.0.0.1:8090/health",
		"Secret ctl-kayenta",
	}, []string{"WARNING"}},
	{"warn about a blocking PodDisruptionBudget", "podDisruptionBudget: {minAvailable: 1}", []string{"node drains cannot evict"}, nil},
	{"no warning with 2 replicas and minAvailable 1", "podDisruptionBudget: {minAvailable: 1}\nreplicaCount: 2", nil, []string{"WARNING"}},
	{"list the files", goldenCases[3].values, []string{"files (api-token, prometheus-credentials)"}, nil},
}

// NOTES.txt, as `helm install` prints it, says what each case needs to and
// warns only when it should.
func TestNotes(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		for _, tc := range ch.notes {
			t.Run(tc.name, func(t *testing.T) {
				n := ch.render(t, values(t, tc.values))[ch.name+"/templates/NOTES.txt"]
				for _, want := range tc.contains {
					if !strings.Contains(n, want) {
						t.Errorf("values %q: NOTES lack %q:\n%s", tc.values, want, n)
					}
				}
				for _, unwanted := range tc.lacks {
					if strings.Contains(n, unwanted) {
						t.Errorf("values %q: NOTES hold %q:\n%s", tc.values, unwanted, n)
					}
				}
			})
		}
	})
}
