package charts

import (
	"flag"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Fixed release settings for every render, so goldens are stable.
const (
	testRelease   = "ctl"
	testNamespace = "canary"
	testFullname  = "ctl-kayenta"
)

// testKubeVersion is the API server version the installer's tests run.
var testKubeVersion = chartutil.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}

// goldenCase is a set of values rendered into testdata/<name>.golden.yaml,
// and linted.
type goldenCase struct {
	name   string
	values string
}

// schemaCase is a set of values a chart's schema refuses.
type schemaCase struct {
	name   string
	values string
	want   []string // substrings of the error, in addition to the chart's prefix
}

// notesCase is a set of values and what NOTES.txt must and must not say
// with them.
type notesCase struct {
	name     string
	values   string
	contains []string
	lacks    []string
}

// testChart is one of the embedded charts and what the tests that check
// both charts the same way expect of it. kayentaChart (charts_test.go) and
// sampleAppChart (sampleapp_test.go) fill it in.
type testChart struct {
	dir  string                       // directory under the charts root: KayentaName or SampleAppName
	name string                       // name in Chart.yaml
	load func() (*chart.Chart, error) // LoadKayenta or LoadSampleApp
	sub  func() (fs.FS, error)        // Kayenta or SampleApp

	templates    []string // templates the chart has, at least
	contractKeys []string // values.yaml's top-level keys, sorted
	kinds        []string // the kinds of object the chart renders (see kindTypes)

	golden []goldenCase
	// manifests prints a render as the golden files hold it, and objects
	// decodes a render: kayenta renders one object per file, ctl-sampleapp
	// one document per app in a file.
	manifests func(rendered) string
	objects   func(rendered, *testing.T) []object

	lintRejects   []string     // values `helm lint --strict` refuses
	schemaRejects []schemaCase // values values.schema.json refuses, besides sharedSchemaRejects
	schemaAccepts []string     // values it accepts, besides sharedSchemaAccepts and the golden cases
	notes         []notesCase  // what NOTES.txt says (see TestNotes)
	// deploymentValues are values under which the chart renders one
	// Deployment, merged into a test's own.
	deploymentValues string
}

// testCharts are the charts the shared tests run over, one subtest each.
var testCharts = []testChart{kayentaChart, sampleAppChart}

// forEachChart runs f as a subtest per chart, named after its directory.
func forEachChart(t *testing.T, f func(t *testing.T, ch testChart)) {
	t.Helper()
	for _, ch := range testCharts {
		t.Run(ch.dir, func(t *testing.T) { f(t, ch) })
	}
}

// mustLoad loads the embedded chart, or fails.
func (ch testChart) mustLoad(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := ch.load()
	if err != nil {
		t.Fatalf("loading the embedded %s chart: %v", ch.dir, err)
	}
	return c
}

// render renders the embedded chart with vals as the user's values.
func (ch testChart) render(t *testing.T, vals map[string]any) rendered {
	t.Helper()
	return renderChart(t, ch.mustLoad(t), vals)
}

// lintCases are the values `helm lint --strict` must pass: the golden
// cases, and the default values when no golden case has them.
func (ch testChart) lintCases() []goldenCase {
	for _, tc := range ch.golden {
		if tc.values == "" {
			return ch.golden
		}
	}
	return append([]goldenCase{{"defaults", ""}}, ch.golden...)
}

// lintChart runs `helm lint --strict` of the chart directory dir, in
// process, with vals as the user's values.
func lintChart(dir string, vals map[string]any) *action.LintResult {
	l := action.NewLint()
	l.Strict = true
	l.Namespace = testNamespace
	kv := testKubeVersion
	l.KubeVersion = &kv
	return l.Run([]string{dir}, vals)
}

func loadKayenta(t *testing.T) *chart.Chart {
	t.Helper()
	return kayentaChart.mustLoad(t)
}

func loadSampleApp(t *testing.T) *chart.Chart {
	t.Helper()
	return sampleAppChart.mustLoad(t)
}

// renderValues builds the values of a render of c with vals as the user's
// values, as `helm install` does: coalesced with values.yaml and checked
// against values.schema.json.
func renderValues(c *chart.Chart, vals map[string]any) (chartutil.Values, error) {
	return releaseValues(c, testRelease, vals)
}

// releaseValues is renderValues for the release named release.
func releaseValues(c *chart.Chart, release string, vals map[string]any) (chartutil.Values, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = testKubeVersion
	opts := chartutil.ReleaseOptions{Name: release, Namespace: testNamespace, Revision: 1, IsInstall: true}
	return chartutil.ToRenderValues(c, vals, opts, caps)
}

// rendered is one render of the chart: file name (kayenta/templates/x.yaml)
// to output.
type rendered map[string]string

func renderChart(t *testing.T, c *chart.Chart, vals map[string]any) rendered {
	t.Helper()
	rv, err := renderValues(c, vals)
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	out, err := engine.Render(c, rv)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return out
}

func renderTemplates(c *chart.Chart, rv chartutil.Values) (rendered, error) {
	return engine.Render(c, rv)
}

func render(t *testing.T, vals map[string]any) rendered {
	t.Helper()
	return kayentaChart.render(t, vals)
}

func renderSampleApp(t *testing.T, vals map[string]any) rendered {
	t.Helper()
	return sampleAppChart.render(t, vals)
}

// manifests returns the rendered manifests as `helm template` prints them:
// in file-name order, each with its "# Source:" line, without NOTES.txt and
// templates that render nothing.
func (r rendered) manifests() string {
	names := make([]string, 0, len(r))
	for name := range r {
		if strings.HasSuffix(name, ".yaml") && strings.TrimSpace(r[name]) != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		b.WriteString("---\n# Source: " + name + "\n")
		b.WriteString(strings.TrimSpace(r[name]) + "\n")
	}
	return b.String()
}

// object is one rendered Kubernetes object, decoded generically.
type object struct {
	source string
	raw    string
	m      map[string]any
}

func (o object) kind() string { return str(o.m, "kind") }
func (o object) name() string { return str(o.m, "metadata", "name") }

// manifestSep splits a template's output into documents, as Helm's
// releaseutil.SplitManifests does.
var manifestSep = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// docs returns the rendered manifests as `helm template` prints them: in
// file-name order, one "# Source:" line per document, without NOTES.txt
// and empty documents. A file may hold several documents (one per app).
func (r rendered) docs() []string {
	names := make([]string, 0, len(r))
	for name := range r {
		if strings.HasSuffix(name, ".yaml") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []string
	for _, name := range names {
		for _, doc := range manifestSep.Split(r[name], -1) {
			if doc = strings.TrimSpace(doc); doc != "" {
				out = append(out, "# Source: "+name+"\n"+doc+"\n")
			}
		}
	}
	return out
}

func (r rendered) multiManifests() string {
	var b strings.Builder
	for _, d := range r.docs() {
		b.WriteString("---\n" + d)
	}
	return b.String()
}

// objects decodes every rendered object; each file holds one.
func (r rendered) objects(t *testing.T) []object {
	t.Helper()
	return decodeDocs(t, strings.Split(r.manifests(), "---\n"))
}

// multiObjects decodes every rendered document.
func (r rendered) multiObjects(t *testing.T) []object {
	t.Helper()
	return decodeDocs(t, r.docs())
}

// decodeDocs decodes documents that each start with a "# Source:" line,
// skipping empty ones.
func decodeDocs(t *testing.T, docs []string) []object {
	t.Helper()
	var objs []object
	for _, doc := range docs {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		src, body, _ := strings.Cut(doc, "\n")
		var m map[string]any
		if err := yaml.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%s: %v\n%s", src, err, body)
		}
		if m == nil {
			continue
		}
		objs = append(objs, object{source: strings.TrimPrefix(src, "# Source: "), raw: body, m: m})
	}
	return objs
}

// find returns the one object of kind, or fails.
func (r rendered) find(t *testing.T, kind string) object {
	t.Helper()
	var found []object
	for _, o := range r.objects(t) {
		if o.kind() == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s, rendered %d", kind, len(found))
	}
	return found[0]
}

// named returns the one object of kind and name, or fails.
func (r rendered) named(t *testing.T, kind, name string) object {
	t.Helper()
	var found []object
	for _, o := range r.multiObjects(t) {
		if o.kind() == kind && o.name() == name {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %s, rendered %d", kind, name, len(found))
	}
	return found[0]
}

func (r rendered) ofKind(t *testing.T, kind string) []object {
	t.Helper()
	var found []object
	for _, o := range r.multiObjects(t) {
		if o.kind() == kind {
			found = append(found, o)
		}
	}
	return found
}

func (r rendered) kinds(t *testing.T) []string {
	t.Helper()
	var kinds []string
	for _, o := range r.objects(t) {
		kinds = append(kinds, o.kind())
	}
	sort.Strings(kinds)
	return kinds
}

// get walks m by map keys and list indexes (ints).
func get(m any, path ...any) any {
	cur := m
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = mm[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func str(m any, path ...any) string {
	s, _ := get(m, path...).(string)
	return s
}

// values parses YAML into a values map.
func values(t *testing.T, doc string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("values: %v", err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// checkHardened checks the hardening both charts give a Deployment's pod
// and its container c: no service account token, no service links, a
// restricted security context, and the image's ENTRYPOINT.
func checkHardened(t *testing.T, d appsv1.Deployment, c corev1.Container) {
	t.Helper()
	pod := d.Spec.Template.Spec
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken is not false", d.Name)
	}
	if pod.EnableServiceLinks == nil || *pod.EnableServiceLinks {
		t.Errorf("%s: enableServiceLinks is not false", d.Name)
	}
	psc := pod.SecurityContext
	if psc == nil || !isTrue(psc.RunAsNonRoot) || !is(psc.RunAsUser, 65532) || !is(psc.RunAsGroup, 65532) || !is(psc.FSGroup, 65532) ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext = %+v", d.Name, psc)
	}
	sc := c.SecurityContext
	if sc == nil || !isTrue(sc.RunAsNonRoot) || !is(sc.RunAsUser, 65532) || !isTrue(sc.ReadOnlyRootFilesystem) ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Privileged == nil || *sc.Privileged ||
		sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: container securityContext = %+v", d.Name, sc)
	}
	if len(c.Command) != 0 {
		t.Errorf("%s: command %v overrides the image's ENTRYPOINT", d.Name, c.Command)
	}
}

func isTrue(b *bool) bool          { return b != nil && *b }
func is(p *int64, want int64) bool { return p != nil && *p == want }

// checkServiceMonitor checks the ServiceMonitor sm of the chart named
// chartName, rendered with the golden cases' labels {release:
// kube-prometheus-stack}: one endpoint scraping /metrics over http on the
// port named http every interval, the release's Services of the chart in
// the release's namespace, and no spec field the test does not know.
func checkServiceMonitor(t *testing.T, sm object, chartName, interval string) {
	t.Helper()
	if v := str(sm.m, "apiVersion"); v != "monitoring.coreos.com/v1" {
		t.Errorf("ServiceMonitor apiVersion %q", v)
	}
	if got := str(sm.m, "metadata", "labels", "release"); got != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor release label %q", got)
	}
	ep := get(sm.m, "spec", "endpoints", 0)
	if str(ep, "port") != "http" || str(ep, "path") != "/metrics" || str(ep, "interval") != interval || str(ep, "scheme") != "http" {
		t.Errorf("ServiceMonitor endpoint = %v", ep)
	}
	if eps, _ := get(sm.m, "spec", "endpoints").([]any); len(eps) != 1 {
		t.Errorf("%d endpoints", len(eps))
	}
	sel := stringMap(get(sm.m, "spec", "selector", "matchLabels"))
	if want := map[string]string{"app.kubernetes.io/name": chartName, "app.kubernetes.io/instance": testRelease}; !maps.Equal(sel, want) {
		t.Errorf("ServiceMonitor selector = %v, want %v", sel, want)
	}
	if got := get(sm.m, "spec", "namespaceSelector", "matchNames"); !reflect.DeepEqual(got, []any{testNamespace}) {
		t.Errorf("ServiceMonitor namespaces = %v", got)
	}
	spec, _ := sm.m["spec"].(map[string]any)
	for k := range spec {
		if !slices.Contains([]string{"namespaceSelector", "selector", "endpoints"}, k) {
			t.Errorf("ServiceMonitor spec.%s is not a field the test knows", k)
		}
	}
}

// assertGolden compares got with testdata/name, or rewrites it with -update.
func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./charts/ -update to create it)", err)
	}
	if w := strings.ReplaceAll(string(want), "\r\n", "\n"); w != got {
		t.Errorf("%s differs from the render (go test ./charts/ -update rewrites it):\n%s", path, lineDiff(w, got))
	}
}

// lineDiff names the first differing line of want and got.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  golden: " + w + "\n  render: " + g
		}
	}
	return "(no line differs)"
}
