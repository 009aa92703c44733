package charts

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
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

func loadKayenta(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := LoadKayenta()
	if err != nil {
		t.Fatalf("LoadKayenta: %v", err)
	}
	return c
}

// renderValues builds the values of a render of c with vals as the user's
// values, as `helm install` does: coalesced with values.yaml and checked
// against values.schema.json.
func renderValues(c *chart.Chart, vals map[string]any) (chartutil.Values, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = testKubeVersion
	opts := chartutil.ReleaseOptions{Name: testRelease, Namespace: testNamespace, Revision: 1, IsInstall: true}
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
	return renderChart(t, loadKayenta(t), vals)
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

// objects decodes every rendered object; each file holds one.
func (r rendered) objects(t *testing.T) []object {
	t.Helper()
	var objs []object
	for _, doc := range strings.Split(r.manifests(), "---\n") {
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
