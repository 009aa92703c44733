package charts

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/ctlproject/ctl/smoke/sampleapp"
)

// sampleAppGoldenCases are rendered into testdata/<name>.golden.yaml, and
// linted.
var sampleAppGoldenCases = []goldenCase{
	{"sampleapp-two-apps", `
apps:
  - name: healthy-baseline
    successRate: 99
    latency: 20ms
    latencyJitter: 5ms
    loadRPS: 100
    metricLabels: {scenario: healthy, version: baseline, smoke_run: abc123}
  - name: healthy-canary
    successRate: 99
    latency: 20ms
    latencyJitter: 5ms
    loadRPS: 100
    metricLabels: {scenario: healthy, version: canary, smoke_run: abc123}
`},
	{"sampleapp-servicemonitor", `
image:
  tag: v1.4.0
imagePullSecrets:
  - name: ghcr-pull
apps:
  - name: faulty-baseline
    successRate: 99.5
    latency: 20ms
    latencyJitter: 5ms
    loadRPS: 50
    metricLabels: {scenario: faulty, version: baseline, smoke_run: abc123}
    podLabels: {team: canary}
  - name: faulty-canary
    successRate: 70
    latency: 150ms
    latencyJitter: "0"
    loadRPS: 50
    metricLabels: {scenario: faulty, version: canary, smoke_run: abc123}
scrape:
  annotations: false
serviceMonitor:
  enabled: true
  interval: 5s
  labels:
    release: kube-prometheus-stack
resources:
  requests: {cpu: 20m, memory: 32Mi}
  limits: {memory: 128Mi}
`},
}

func TestSampleAppObjects(t *testing.T) {
	for _, tc := range []struct {
		values string
		want   []string // kind/name
	}{
		{"", nil},
		{"serviceMonitor: {enabled: true}", []string{"ServiceMonitor/ctl-ctl-sampleapp"}},
		{sampleAppGoldenCases[0].values, []string{
			"Deployment/ctl-healthy-baseline", "Deployment/ctl-healthy-canary",
			"Service/ctl-healthy-baseline", "Service/ctl-healthy-canary",
		}},
		{sampleAppGoldenCases[1].values, []string{
			"Deployment/ctl-faulty-baseline", "Deployment/ctl-faulty-canary",
			"Service/ctl-faulty-baseline", "Service/ctl-faulty-canary",
			"ServiceMonitor/ctl-ctl-sampleapp",
		}},
	} {
		var got []string
		for _, o := range renderSampleApp(t, values(t, tc.values)).multiObjects(t) {
			got = append(got, o.kind()+"/"+o.name())
			if ns := str(o.m, "metadata", "namespace"); ns != testNamespace {
				t.Errorf("%s/%s namespace %q, want %q", o.kind(), o.name(), ns, testNamespace)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("values %q rendered %v, want %v", tc.values, got, tc.want)
		}
	}
}

// Each app's objects carry the app.kubernetes.io labels and
// ctl.dev/smoke-app; each app's selector is its own; no pod label is named
// version or scenario.
func TestSampleAppLabels(t *testing.T) {
	r := renderSampleApp(t, values(t, sampleAppGoldenCases[1].values))
	common := map[string]string{
		"app.kubernetes.io/name":       sampleAppChartName,
		"app.kubernetes.io/instance":   testRelease,
		"app.kubernetes.io/version":    "v1.4.0",
		"app.kubernetes.io/managed-by": "Helm",
		"app.kubernetes.io/part-of":    "ctl",
		"helm.sh/chart":                "ctl-sampleapp-0.1.0",
	}
	for _, app := range []string{"faulty-baseline", "faulty-canary"} {
		want := maps.Clone(common)
		want["app.kubernetes.io/component"] = app
		want["ctl.dev/smoke-app"] = app
		selector := map[string]string{
			"app.kubernetes.io/name":     sampleAppChartName,
			"app.kubernetes.io/instance": testRelease,
			"ctl.dev/smoke-app":          app,
		}
		name := testRelease + "-" + app
		d := r.named(t, "Deployment", name)
		s := r.named(t, "Service", name)
		checkLabels(t, "Deployment "+name, get(d.m, "metadata", "labels"), want)
		checkLabels(t, "Service "+name, get(s.m, "metadata", "labels"), want)
		podLabels := stringMap(get(d.m, "spec", "template", "metadata", "labels"))
		checkLabels(t, "pod template "+name, get(d.m, "spec", "template", "metadata", "labels"), want)
		for _, forbidden := range []string{"version", "scenario", "smoke_run"} {
			if _, ok := podLabels[forbidden]; ok {
				t.Errorf("pod label %q on %s would clash with the app's metric labels", forbidden, name)
			}
		}
		if got := stringMap(get(d.m, "spec", "selector", "matchLabels")); !maps.Equal(got, selector) {
			t.Errorf("Deployment %s selector = %v, want %v", name, got, selector)
		}
		if got := stringMap(get(s.m, "spec", "selector")); !maps.Equal(got, selector) {
			t.Errorf("Service %s selector = %v, want %v", name, got, selector)
		}
	}
	// podLabels reach the pod, not the selector.
	if got := str(r.named(t, "Deployment", "ctl-faulty-baseline").m, "spec", "template", "metadata", "labels", "team"); got != "canary" {
		t.Errorf("podLabels team = %q", got)
	}
	if got := str(r.named(t, "Deployment", "ctl-faulty-canary").m, "spec", "template", "metadata", "labels", "team"); got != "" {
		t.Errorf("another app's podLabels reached faulty-canary: team = %q", got)
	}
	sm := r.find(t, "ServiceMonitor")
	smWant := maps.Clone(common)
	smWant["app.kubernetes.io/component"] = "sample-app"
	smWant["release"] = "kube-prometheus-stack"
	checkLabels(t, "ServiceMonitor", get(sm.m, "metadata", "labels"), smWant)
}

// podLabels cannot break an app's selector.
func TestSampleAppPodLabelsCannotOverrideChart(t *testing.T) {
	r := renderSampleApp(t, values(t, `
apps:
  - name: a
    podLabels: {app.kubernetes.io/name: other, app.kubernetes.io/instance: other, ctl.dev/smoke-app: b, team: canary}
`))
	labels := stringMap(get(r.named(t, "Deployment", "ctl-a").m, "spec", "template", "metadata", "labels"))
	if labels["app.kubernetes.io/name"] != sampleAppChartName || labels["app.kubernetes.io/instance"] != testRelease ||
		labels["ctl.dev/smoke-app"] != "a" || labels["team"] != "canary" {
		t.Errorf("pod labels = %v", labels)
	}
}

// envOf returns a getenv over a container's environment, failing on
// valueFrom or duplicate names.
func envOf(t *testing.T, c corev1.Container) (func(string) string, []string) {
	t.Helper()
	m := map[string]string{}
	var names []string
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Errorf("env %s uses valueFrom", e.Name)
		}
		if _, dup := m[e.Name]; dup {
			t.Errorf("env %s set twice", e.Name)
		}
		m[e.Name] = e.Value
		names = append(names, e.Name)
	}
	return func(k string) string { return m[k] }, names
}

func sampleAppContainer(t *testing.T, r rendered, name string) (appsv1.Deployment, corev1.Container) {
	t.Helper()
	var d appsv1.Deployment
	decodeStrict(t, r.named(t, "Deployment", name), &d)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: %d containers", name, len(d.Spec.Template.Spec.Containers))
	}
	return d, d.Spec.Template.Spec.Containers[0]
}

// The rendered Deployment's environment carries the app's values: the
// sample app, reading it as `ctl canary sample-app` does, gets exactly the
// options asked for. Values come as the Helm SDK gets them from Go (ints,
// float64s, []any) and as YAML gives them.
func TestSampleAppEnvCarriesValues(t *testing.T) {
	goValues := map[string]any{"apps": []any{
		map[string]any{
			"name": "healthy-baseline", "successRate": 99.0, "latency": "20ms", "latencyJitter": "5ms", "loadRPS": 100,
			"metricLabels": map[string]any{"scenario": "healthy", "version": "baseline", "smoke_run": "abc123"},
		},
		map[string]any{
			"name": "faulty-canary", "successRate": 70.5, "latency": "1m0.15s", "latencyJitter": "0s", "loadRPS": int64(sampleapp.MaxLoadRPS),
			"metricLabels": map[string]any{"scenario": "faulty", "version": "canary", "note": "a=b"},
		},
		map[string]any{"name": "dead", "successRate": 0, "loadRPS": 0},
		map[string]any{"name": "bare"},
	}}
	want := map[string]sampleapp.Options{
		"healthy-baseline": {SuccessRate: 99, Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, LoadRPS: 100,
			Labels: map[string]string{"scenario": "healthy", "version": "baseline", "smoke_run": "abc123"}},
		"faulty-canary": {SuccessRate: 70.5, Latency: time.Minute + 150*time.Millisecond, LoadRPS: sampleapp.MaxLoadRPS,
			Labels: map[string]string{"scenario": "faulty", "version": "canary", "note": "a=b"}},
		// 0 is a value, not "unset": the chart must not fall back to a default.
		"dead": {SuccessRate: 0, Latency: sampleapp.DefaultOptions().Latency, Jitter: sampleapp.DefaultOptions().Jitter},
		"bare": sampleapp.DefaultOptions(),
	}
	wantEnv := map[string][]string{
		"healthy-baseline": {"LISTEN", "SUCCESS_RATE", "LATENCY", "LATENCY_JITTER", "LOAD_RPS", "METRIC_LABELS"},
		"faulty-canary":    {"LISTEN", "SUCCESS_RATE", "LATENCY", "LATENCY_JITTER", "LOAD_RPS", "METRIC_LABELS"},
		"dead":             {"LISTEN", "SUCCESS_RATE", "LOAD_RPS"},
		"bare":             {"LISTEN"},
	}
	for source, vals := range map[string]map[string]any{
		"Go":   goValues,
		"YAML": values(t, sampleAppGoldenCases[0].values),
	} {
		r := renderSampleApp(t, vals)
		apps, _ := vals["apps"].([]any)
		for _, a := range apps {
			name := a.(map[string]any)["name"].(string)
			_, c := sampleAppContainer(t, r, testRelease+"-"+name)
			getenv, names := envOf(t, c)
			o, err := sampleapp.OptionsFromEnv(getenv)
			if err != nil {
				t.Errorf("%s %s: the app refuses its environment: %v", source, name, err)
				continue
			}
			if err := o.Validate(); err != nil {
				t.Errorf("%s %s: %v", source, name, err)
			}
			if o.Listen != ":8080" || getenv("LISTEN") != ":8080" {
				t.Errorf("%s %s: LISTEN %q", source, name, getenv("LISTEN"))
			}
			w, ok := want[name]
			if source == "YAML" {
				w, ok = sampleapp.Options{SuccessRate: 99, Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, LoadRPS: 100,
					Labels: map[string]string{"scenario": "healthy", "version": strings.TrimPrefix(name, "healthy-"), "smoke_run": "abc123"}}, true
			}
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			o.Listen, w.Listen = "", ""
			if len(w.Labels) == 0 {
				w.Labels = nil
			}
			if !reflect.DeepEqual(o, w) {
				t.Errorf("%s %s: the app runs with\n %+v\nwant\n %+v\nenv %v", source, name, o, w, c.Env)
			}
			if source == "Go" && !slices.Equal(names, wantEnv[name]) {
				t.Errorf("%s %s: env %v, want %v", source, name, names, wantEnv[name])
			}
		}
	}
	// METRIC_LABELS lists the labels in name order.
	_, c := sampleAppContainer(t, renderSampleApp(t, goValues), "ctl-healthy-baseline")
	if getenv, _ := envOf(t, c); getenv("METRIC_LABELS") != "scenario=healthy,smoke_run=abc123,version=baseline" {
		t.Errorf("METRIC_LABELS = %q", getenv("METRIC_LABELS"))
	}
}

// The pod spec: the ctl image running `canary sample-app`, port 8080 named
// http, probes on /healthz, the kayenta chart's hardening (checkHardened).
func TestSampleAppPodSpec(t *testing.T) {
	for _, tc := range sampleAppGoldenCases {
		r := renderSampleApp(t, values(t, tc.values))
		for _, o := range r.ofKind(t, "Deployment") {
			d, c := sampleAppContainer(t, r, o.name())
			pod := d.Spec.Template.Spec
			if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
				t.Errorf("%s: replicas = %v, want 1", d.Name, d.Spec.Replicas)
			}
			checkHardened(t, d, c)
			if want := []string{"canary", "sample-app"}; !slices.Equal(c.Args, want) {
				t.Errorf("%s: args = %v, want %v", d.Name, c.Args, want)
			}
			if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8080 || c.Ports[0].Protocol != corev1.ProtocolTCP {
				t.Errorf("%s: ports = %+v", d.Name, c.Ports)
			}
			for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "http" {
					t.Errorf("%s: %s probe = %+v, want GET /healthz on http", d.Name, name, p)
				}
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() ||
				!c.Resources.Limits.Cpu().IsZero() {
				t.Errorf("%s: resources = %+v", d.Name, c.Resources)
			}
			ann := d.Spec.Template.Annotations
			if tc.name == "sampleapp-two-apps" {
				want := map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/metrics"}
				if !maps.Equal(ann, want) {
					t.Errorf("%s: pod annotations = %v, want %v", d.Name, ann, want)
				}
				if c.Image != "ghcr.io/ctlproject/ctl:dev" || c.ImagePullPolicy != corev1.PullIfNotPresent || len(pod.ImagePullSecrets) != 0 {
					t.Errorf("%s: image %q pull %q secrets %v", d.Name, c.Image, c.ImagePullPolicy, pod.ImagePullSecrets)
				}
			} else {
				if len(ann) != 0 {
					t.Errorf("%s: pod annotations %v with scrape.annotations false", d.Name, ann)
				}
				if c.Image != "ghcr.io/ctlproject/ctl:v1.4.0" || len(pod.ImagePullSecrets) != 1 || pod.ImagePullSecrets[0].Name != "ghcr-pull" {
					t.Errorf("%s: image %q secrets %v", d.Name, c.Image, pod.ImagePullSecrets)
				}
				if c.Resources.Limits.Memory().String() != "128Mi" {
					t.Errorf("%s: resources = %+v", d.Name, c.Resources)
				}
			}
		}
		for _, o := range r.ofKind(t, "Service") {
			var s corev1.Service
			decodeStrict(t, o, &s)
			if s.Spec.Type != corev1.ServiceTypeClusterIP || len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Name != "http" ||
				s.Spec.Ports[0].Port != 8080 || s.Spec.Ports[0].TargetPort.String() != "http" {
				t.Errorf("Service %s spec = %+v", s.Name, s.Spec)
			}
		}
	}
}

// <release>-<name>, and a hashed cut when that exceeds a DNS label: names
// stay valid, within 63 characters and distinct.
func TestSampleAppNames(t *testing.T) {
	long := strings.Repeat("a", 63)
	cases := []struct {
		release, app, want string
	}{
		{"ctl", "healthy-baseline", "ctl-healthy-baseline"},
		{"ctl-smoke-abc123", "healthy-canary", "ctl-smoke-abc123-healthy-canary"},
		{"r", strings.Repeat("x", 61), "r-" + strings.Repeat("x", 61)}, // exactly 63
	}
	for _, tc := range cases {
		c := loadSampleApp(t)
		rv := sampleAppRenderValues(t, c, tc.release, map[string]any{"apps": []any{map[string]any{"name": tc.app}}})
		r, err := renderTemplates(c, rv)
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{"Deployment", "Service"} {
			if got := r.ofKind(t, kind); len(got) != 1 || got[0].name() != tc.want {
				t.Errorf("release %s app %s: %s named %v, want %s", tc.release, tc.app, kind, got, tc.want)
			}
		}
	}

	// Two long names with a common 54-character prefix.
	c := loadSampleApp(t)
	release := "ctl-smoke-0123456789"
	apps := []any{map[string]any{"name": long[:50] + "-baseline"}, map[string]any{"name": long[:50] + "-canary"}}
	r, err := renderTemplates(c, sampleAppRenderValues(t, c, release, map[string]any{"apps": apps}))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range r.ofKind(t, "Service") {
		n := o.name()
		if errs := validation.IsDNS1035Label(n); len(errs) != 0 {
			t.Errorf("Service name %q: %v", n, errs)
		}
		if !strings.HasPrefix(n, release+"-aaaa") || len(n) != 63 {
			t.Errorf("Service name %q (%d characters), want a 63-character cut of %s-<name>", n, len(n), release)
		}
		seen[n] = true
		app := str(o.m, "metadata", "labels", "ctl.dev/smoke-app")
		if d := r.named(t, "Deployment", n); str(d.m, "metadata", "labels", "ctl.dev/smoke-app") != app {
			t.Errorf("Deployment %s is not app %s's", n, app)
		}
	}
	if len(seen) != 2 {
		t.Errorf("two long app names got the names %v", seen)
	}
}

// sampleAppRenderValues is renderValues with another release name.
func sampleAppRenderValues(t *testing.T, c *chart.Chart, release string, vals map[string]any) chartutil.Values {
	t.Helper()
	rv, err := releaseValues(c, release, vals)
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	return rv
}

// Names must be unique: the schema cannot say so, the templates fail.
func TestSampleAppUniqueNames(t *testing.T) {
	c := loadSampleApp(t)
	rv, err := renderValues(c, values(t, `
apps:
  - name: healthy-baseline
  - name: healthy-canary
  - name: healthy-baseline
`))
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	_, err = renderTemplates(c, rv)
	if err == nil {
		t.Fatal("two apps named healthy-baseline rendered")
	}
	for _, want := range []string{`apps[2].name: "healthy-baseline" is already the name of apps[0]`, "must be unique"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// A pod label that a kubernetes-pods job would map onto one of the app's
// metric labels is refused.
func TestSampleAppPodLabelClash(t *testing.T) {
	c := loadSampleApp(t)
	for _, tc := range []struct{ podLabels, want string }{
		{"{version: v2}", `the pod label "version" becomes the series label "version"`},
		{"{smoke.run: x}", `the pod label "smoke.run" becomes the series label "smoke_run"`},
	} {
		rv, err := renderValues(c, values(t, `
apps:
  - name: a
    metricLabels: {version: canary, smoke_run: abc}
    podLabels: `+tc.podLabels))
		if err != nil {
			t.Fatalf("values: %v", err)
		}
		_, err = renderTemplates(c, rv)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "apps[0].podLabels") {
			t.Errorf("podLabels %s: err %v, want %q", tc.podLabels, err, tc.want)
		}
	}
	// Without a clash, pod labels are fine.
	rv, err := renderValues(c, values(t, "apps: [{name: a, metricLabels: {version: canary}, podLabels: {team: x}}]"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := renderTemplates(c, rv); err != nil {
		t.Error(err)
	}
}

func TestSampleAppServiceMonitor(t *testing.T) {
	r := renderSampleApp(t, values(t, sampleAppGoldenCases[1].values))
	sm := r.find(t, "ServiceMonitor")
	checkServiceMonitor(t, sm, sampleAppChartName, "5s")
	sel := stringMap(get(sm.m, "spec", "selector", "matchLabels"))
	// It selects every app's Service, and nothing else of the release is a Service.
	for _, s := range r.ofKind(t, "Service") {
		labels := stringMap(get(s.m, "metadata", "labels"))
		for k, v := range sel {
			if labels[k] != v {
				t.Errorf("ServiceMonitor does not select Service %s (labels %v)", s.name(), labels)
			}
		}
	}
}

// sampleAppNotes are the ctl-sampleapp chart's NOTES.txt cases (see
// TestNotes).
var sampleAppNotes = []notesCase{
	{"two apps", sampleAppGoldenCases[0].values, []string{
		"ctl-healthy-baseline: success rate 99%, latency 20ms ± 5ms, self-load 100 rps, labels scenario=healthy,smoke_run=abc123,version=baseline",
		"ctl-healthy-canary: success rate 99%",
		"kubectl --namespace canary get pods -l app.kubernetes.io/name=ctl-sampleapp,app.kubernetes.io/instance=ctl",
		"ctl.dev/smoke-app=healthy-baseline",
		"port-forward service/ctl-healthy-baseline 8080:8080",
		`prometheus.io/scrape: "true"`,
	}, []string{"WARNING"}},
	{"describe an app with defaults", "apps: [{name: a, successRate: 0}]", []string{"ctl-a: success rate 0%, latency 20ms ± 5ms, no self-load"}, nil},
	{"without apps", "", []string{"has no apps"}, nil},
	{"with a ServiceMonitor", sampleAppGoldenCases[1].values, []string{
		"ServiceMonitor ctl-ctl-sampleapp selects every app's Service",
		"(its labels include release=kube-prometheus-stack).",
	}, []string{"WARNING"}},
	{"warn about scraping twice", "apps: [{name: a}]\nserviceMonitor: {enabled: true}", []string{"scrapes every pod twice"}, nil},
	{"warn about no scraping", "apps: [{name: a}]\nscrape: {annotations: false}", []string{"nothing tells Prometheus"}, nil},
}
