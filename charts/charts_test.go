package charts

import (
	"bytes"
	"io/fs"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// kayentaChart is the kayenta chart, for the tests shared by both charts.
var kayentaChart = testChart{
	dir:  KayentaName,
	name: "kayenta",
	load: LoadKayenta,
	sub:  Kayenta,
	templates: []string{
		"templates/_helpers.tpl", "templates/NOTES.txt", "templates/deployment.yaml", "templates/service.yaml",
		"templates/serviceaccount.yaml", "templates/secret.yaml", "templates/pdb.yaml",
		"templates/networkpolicy.yaml", "templates/servicemonitor.yaml",
	},
	// The values contract: the top-level keys the installer fills.
	contractKeys: []string{
		"affinity", "env", "files", "fullnameOverride", "image", "imagePullSecrets", "kayentaConfig",
		"nameOverride", "networkPolicy", "nodeSelector", "podAnnotations", "podDisruptionBudget",
		"podLabels", "replicaCount", "resources", "service", "serviceAccount", "serviceMonitor",
		"tolerations",
	},
	kinds: []string{
		"Deployment", "Service", "ServiceAccount", "Secret", "PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor",
	},
	golden:        goldenCases,
	manifests:     rendered.manifests,
	objects:       rendered.objects,
	lintRejects:   kayentaLintRejects,
	schemaRejects: kayentaSchemaRejects,
	schemaAccepts: kayentaSchemaAccepts,
	notes:         kayentaNotes,
}

// The chart's metadata, templates and values contract.
func TestLoad(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		c := ch.mustLoad(t)
		if err := c.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		md := c.Metadata
		if md.APIVersion != chart.APIVersionV2 || md.Name != ch.name || md.Type != "application" || md.Version != "0.1.0" {
			t.Errorf("metadata = %s %s %s %s, want v2 %s application 0.1.0", md.APIVersion, md.Name, md.Type, md.Version, ch.name)
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
		for _, want := range ch.templates {
			if !slices.Contains(templates, want) {
				t.Errorf("template %s missing; loaded %v", want, templates)
			}
		}
		var keys []string
		for k := range c.Values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !reflect.DeepEqual(keys, ch.contractKeys) {
			t.Errorf("values.yaml top-level keys:\n got %v\nwant %v", keys, ch.contractKeys)
		}
		if got := str(c.Values, "image", "repository"); got != "ghcr.io/ctlproject/ctl" {
			t.Errorf("image.repository = %q", got)
		}
	})
}

// The embedded chart is the chart `helm install ./charts/<dir>` loads.
func TestLoadMatchesHelmLoadDir(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		fromDir, err := loader.LoadDir(ch.dir)
		if err != nil {
			t.Fatal(err)
		}
		embedded := ch.mustLoad(t)
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
	})
}

// Kayenta() and SampleApp() are the charts' directories, rooted at
// Chart.yaml, hidden and '_' files included.
func TestSubFS(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		sub, err := ch.sub()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{
			"Chart.yaml", "values.yaml", "values.schema.json", "README.md", "templates/_helpers.tpl", "templates/NOTES.txt", ".helmignore",
		} {
			if _, err := fs.Stat(sub, name); err != nil {
				t.Errorf("%s sub-FS: %v", ch.dir, err)
			}
		}
		c, err := Load(sub, ".")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fileMap(c.Raw), fileMap(ch.mustLoad(t).Raw)) {
			t.Errorf(`Load(<%s sub-FS>, ".") differs from the embedded chart`, ch.dir)
		}
	})
}

func TestBuiltinOrDir(t *testing.T) {
	if got := BuiltinOrDir(""); got != fs.FS(FS) {
		t.Errorf(`BuiltinOrDir("") = %T, want the embedded FS`, got)
	}
	forEachChart(t, func(t *testing.T, ch testChart) {
		// "." is this package's directory, a charts root in a checkout.
		c, err := Load(BuiltinOrDir("."), ch.dir)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fileMap(c.Raw), fileMap(ch.mustLoad(t).Raw)) {
			t.Error("the directory's chart differs from the embedded one")
		}
		if _, err := Load(BuiltinOrDir(t.TempDir()), ch.dir); err == nil {
			t.Error("Load from a directory without the chart succeeded")
		}
	})
}

// Load applies .helmignore and Helm's defaults and drops a byte-order mark,
// as helm's directory loader does.
func TestLoadIgnoresLikeHelm(t *testing.T) {
	fsys := fstest.MapFS{
		"c/Chart.yaml":             {Data: []byte("\xEF\xBB\xBFapiVersion: v2\nname: c\nversion: 1.0.0\n")},
		"c/values.yaml":            {Data: []byte("a: 1\n")},
		"c/.helmignore":            {Data: []byte("*.swp\nscratch/\n")},
		"c/templates/cm.yaml":      {Data: []byte("kind: ConfigMap\n")},
		"c/templates/cm.yaml.swp":  {Data: []byte("junk")},
		"c/templates/.hidden.yaml": {Data: []byte("junk")},
		"c/scratch/notes.txt":      {Data: []byte("junk")},
		"c/files/kept.txt":         {Data: []byte("kept")},
		"other/Chart.yaml":         {Data: []byte("junk")},
		"c/templates/_helpers.tpl": {Data: []byte(`{{ define "x" }}{{ end }}`)},
	}
	c, err := Load(fsys, "c")
	if err != nil {
		t.Fatal(err)
	}
	got := keysOf(fileMap(c.Raw))
	want := []string{".helmignore", "Chart.yaml", "files/kept.txt", "templates/_helpers.tpl", "templates/cm.yaml", "values.yaml"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("loaded %v, want %v", got, want)
	}
	if c.Metadata.Name != "c" {
		t.Errorf("name %q: the byte-order mark was not dropped", c.Metadata.Name)
	}

	if _, err := Load(fstest.MapFS{"c/values.yaml": {Data: []byte("a: 1\n")}}, "c"); err == nil ||
		!strings.Contains(err.Error(), "loading chart c") {
		t.Errorf("a chart without Chart.yaml: err = %v", err)
	}
}

func fileMap(files []*chart.File) map[string]string {
	m := map[string]string{}
	for _, f := range files {
		m[f.Name] = string(f.Data)
	}
	return m
}

func keysOf(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
