package charts

import (
	"bytes"
	"io/fs"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
)

// The ctl-sampleapp chart's values contract: the top-level keys ctl fills,
// and the keys of one entry of apps.
var (
	sampleAppContractKeys = []string{"apps", "image", "imagePullSecrets", "resources", "scrape", "serviceMonitor"}
	sampleAppAppKeys      = []string{"latency", "latencyJitter", "loadRPS", "metricLabels", "name", "podLabels", "successRate"}
)

const sampleAppChartName = "ctl-sampleapp"

func loadSampleApp(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := LoadSampleApp()
	if err != nil {
		t.Fatalf("LoadSampleApp: %v", err)
	}
	return c
}

func renderSampleApp(t *testing.T, vals map[string]any) rendered {
	t.Helper()
	return renderChart(t, loadSampleApp(t), vals)
}

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

// multiObjects decodes every rendered document.
func (r rendered) multiObjects(t *testing.T) []object {
	t.Helper()
	var objs []object
	for _, doc := range r.docs() {
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

func TestLoadSampleApp(t *testing.T) {
	c := loadSampleApp(t)
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	md := c.Metadata
	if md.APIVersion != chart.APIVersionV2 || md.Name != sampleAppChartName || md.Type != "application" || md.Version != "0.1.0" {
		t.Errorf("metadata = %s %s %s %s, want v2 %s application 0.1.0", md.APIVersion, md.Name, md.Type, md.Version, sampleAppChartName)
	}
	if md.AppVersion == "" {
		t.Error("appVersion is empty: the image tag defaults to it")
	}
	if md.KubeVersion != "" {
		t.Errorf("kubeVersion %q: a constraint can refuse test API servers; keep none", md.KubeVersion)
	}
	if len(c.Schema) == 0 {
		t.Error("values.schema.json was not loaded")
	}
	var templates []string
	for _, f := range c.Templates {
		templates = append(templates, f.Name)
	}
	for _, want := range []string{
		"templates/_helpers.tpl", "templates/NOTES.txt", "templates/deployment.yaml", "templates/service.yaml",
		"templates/servicemonitor.yaml",
	} {
		if !slices.Contains(templates, want) {
			t.Errorf("template %s missing; loaded %v", want, templates)
		}
	}
	var keys []string
	for k := range c.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, sampleAppContractKeys) {
		t.Errorf("values.yaml top-level keys:\n got %v\nwant %v", keys, sampleAppContractKeys)
	}
	if got := str(c.Values, "image", "repository"); got != "ghcr.io/ctlproject/ctl" {
		t.Errorf("image.repository = %q", got)
	}
	if apps, ok := c.Values["apps"].([]any); !ok || len(apps) != 0 {
		t.Errorf("apps = %v, want an empty list by default", c.Values["apps"])
	}

	// The schema's keys of an app are the contract's.
	var schema map[string]any
	if err := yaml.Unmarshal(c.Schema, &schema); err != nil {
		t.Fatal(err)
	}
	props, _ := get(schema, "properties", "apps", "items", "properties").(map[string]any)
	var appKeys []string
	for k := range props {
		appKeys = append(appKeys, k)
	}
	sort.Strings(appKeys)
	if !reflect.DeepEqual(appKeys, sampleAppAppKeys) {
		t.Errorf("schema keys of an app:\n got %v\nwant %v", appKeys, sampleAppAppKeys)
	}
}

// The embedded chart is the chart `helm install ./charts/sampleapp` loads.
func TestSampleAppLoadMatchesHelmLoadDir(t *testing.T) {
	fromDir, err := loader.LoadDir(SampleAppName)
	if err != nil {
		t.Fatal(err)
	}
	embedded := loadSampleApp(t)
	if got, want := fileMap(embedded.Raw), fileMap(fromDir.Raw); !reflect.DeepEqual(got, want) {
		t.Errorf("embedded files differ from the directory:\n got %v\nwant %v", keysOf(got), keysOf(want))
	}
	if !reflect.DeepEqual(embedded.Metadata, fromDir.Metadata) {
		t.Errorf("metadata differs: %+v vs %+v", embedded.Metadata, fromDir.Metadata)
	}
	if !reflect.DeepEqual(embedded.Values, fromDir.Values) {
		t.Error("values differ")
	}
	if !bytes.Equal(embedded.Schema, fromDir.Schema) {
		t.Error("schema differs")
	}
}

func TestSampleAppSubFS(t *testing.T) {
	sub, err := SampleApp()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Chart.yaml", "values.yaml", "values.schema.json", "README.md", "templates/_helpers.tpl", "templates/NOTES.txt", ".helmignore"} {
		if _, err := fs.Stat(sub, name); err != nil {
			t.Errorf("SampleApp(): %v", err)
		}
	}
	c, err := Load(sub, ".")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fileMap(c.Raw), fileMap(loadSampleApp(t).Raw)) {
		t.Error(`Load(SampleApp(), ".") differs from LoadSampleApp()`)
	}
	d, err := Load(BuiltinOrDir("."), SampleAppName)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fileMap(d.Raw), fileMap(loadSampleApp(t).Raw)) {
		t.Error("the directory's chart differs from the embedded one")
	}
}
