package halconfig

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestImportSeedBlog imports the blog's listing verbatim: the canary
// section must equal the listing field by field (the secret kept as its
// value), and nothing is left out, so there are no notes.
func TestImportSeedBlog(t *testing.T) {
	data := readTestdata(t, "halyard/seed-blog.yml")
	imp, err := ImportHalyard("seed-blog.yml", data, "")
	if err != nil {
		t.Fatal(err)
	}
	want := &DeploymentConfiguration{
		Name:                  "default",
		DeploymentEnvironment: DeploymentEnvironment{Type: EnvLocal},
		Canary:                seedCanary("http://YOUR_PROMETHEUS_SERVER:PORT"),
	}
	if !reflect.DeepEqual(imp.Deployment, want) {
		t.Errorf("imported deployment\n%+v\nwant\n%+v", imp.Deployment.Canary, want.Canary)
	}
	if len(imp.Notes) != 0 {
		t.Errorf("notes for a file with only a canary section: %q", imp.Notes)
	}

	// Field by field against the listing itself, read as plain YAML.
	var listing struct {
		DeploymentConfigurations []struct {
			Canary struct {
				Enabled             bool             `yaml:"enabled"`
				ServiceIntegrations []map[string]any `yaml:"serviceIntegrations"`
				ReduxLoggerEnabled  bool             `yaml:"reduxLoggerEnabled"`
				DefaultMetricsAcct  string           `yaml:"defaultMetricsAccount"`
				DefaultStorageAcct  string           `yaml:"defaultStorageAccount"`
				DefaultJudge        string           `yaml:"defaultJudge"`
				DefaultMetricsStore string           `yaml:"defaultMetricsStore"`
				StagesEnabled       bool             `yaml:"stagesEnabled"`
				TemplatesEnabled    bool             `yaml:"templatesEnabled"`
				ShowAllConfigs      bool             `yaml:"showAllConfigsEnabled"`
			} `yaml:"canary"`
		} `yaml:"deploymentConfigurations"`
	}
	if err := yaml.Unmarshal(data, &listing); err != nil {
		t.Fatal(err)
	}
	lc := listing.DeploymentConfigurations[0].Canary
	c := imp.Deployment.Canary
	if c.Enabled != lc.Enabled || c.ReduxLoggerEnabled != lc.ReduxLoggerEnabled || c.DefaultMetricsAccount != lc.DefaultMetricsAcct ||
		c.DefaultStorageAccount != lc.DefaultStorageAcct || c.DefaultJudge != lc.DefaultJudge || c.DefaultMetricsStore != lc.DefaultMetricsStore ||
		c.StagesEnabled != lc.StagesEnabled || c.TemplatesEnabled != lc.TemplatesEnabled || c.ShowAllConfigsEnabled != lc.ShowAllConfigs {
		t.Errorf("canary fields differ from the listing: %+v vs %+v", c, lc)
	}
	if len(lc.ServiceIntegrations) != 4 {
		t.Fatalf("the listing has %d integrations, want 4", len(lc.ServiceIntegrations))
	}
	for _, li := range lc.ServiceIntegrations {
		si := c.Integration(li["name"].(string))
		if si == nil {
			t.Fatalf("integration %v missing", li["name"])
		}
		for k, v := range li {
			switch k {
			case "name":
			case "enabled":
				if si.Enabled != v.(bool) {
					t.Errorf("%s.enabled = %v", si.Name, si.Enabled)
				}
			case "accounts":
				accts := v.([]any)
				if len(accts) != len(si.Accounts) {
					t.Errorf("%s: %d accounts, want %d", si.Name, len(si.Accounts), len(accts))
					continue
				}
				for i, la := range accts {
					checkAccountFields(t, si, si.Accounts[i], la.(map[string]any), "")
				}
			default:
				if si.Bool(k) != v.(bool) {
					t.Errorf("%s.%s = %v, want %v", si.Name, k, si.Bool(k), v)
				}
			}
		}
	}
	if got := c.Integration("aws").Account("my-s3").Get("secretAccessKey"); got != "ACCESS_KEY" {
		t.Errorf("secretAccessKey = %q, want the listing's value", got)
	}
}

// checkAccountFields compares every key of a listing account with the imported account.
func checkAccountFields(t *testing.T, si *ServiceIntegration, a *Account, la map[string]any, prefix string) {
	t.Helper()
	for k, v := range la {
		switch {
		case prefix == "" && k == "name":
			if a.Name != v {
				t.Errorf("%s account name %q, want %q", si.Name, a.Name, v)
			}
		case prefix == "" && k == "supportedTypes":
			var want []SupportedType
			for _, x := range v.([]any) {
				want = append(want, SupportedType(x.(string)))
			}
			if !reflect.DeepEqual(a.SupportedTypes, want) {
				t.Errorf("%s/%s supportedTypes %v, want %v", si.Name, a.Name, a.SupportedTypes, want)
			}
		default:
			if m, ok := v.(map[string]any); ok {
				checkAccountFields(t, si, a, m, prefix+k+".")
				continue
			}
			if got := a.Get(prefix + k); got != v {
				t.Errorf("%s/%s %s%s = %q, want %q", si.Name, a.Name, prefix, k, got, v)
			}
		}
	}
	if prefix == "" {
		n := 0
		var count func(m map[string]any)
		count = func(m map[string]any) {
			for k, v := range m {
				if sub, ok := v.(map[string]any); ok {
					count(sub)
				} else if k != "name" && k != "supportedTypes" {
					n++
				}
			}
		}
		count(la)
		if n != len(a.Values) {
			t.Errorf("%s/%s has %d values, the listing %d: %v", si.Name, a.Name, len(a.Values), n, a.Values)
		}
	}
}

// TestImportDistributed imports the richer Halyard file: environment mapped
// (kubeconfig from the kubernetes account), every non-canary section named
// in the notes.
func TestImportDistributed(t *testing.T) {
	path := filepath.Join("testdata", "halyard", "distributed.yml")
	imp, err := ImportHalyardFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	d := imp.Deployment
	if d.Name != "default" {
		t.Errorf("imported %q, want currentDeployment default", d.Name)
	}
	wantEnv := DeploymentEnvironment{Type: EnvDistributed, AccountName: "my-k8s", Location: "spinnaker", KubeconfigFile: "/home/spinnaker/.kube/config"}
	if d.DeploymentEnvironment != wantEnv {
		t.Errorf("environment %+v, want %+v", d.DeploymentEnvironment, wantEnv)
	}
	c := d.Canary
	g := c.Integration("google")
	if !g.Enabled || !g.GCSEnabled || g.StackdriverEnabled || g.MetadataCachingIntervalMS == nil || *g.MetadataCachingIntervalMS != 60000 {
		t.Errorf("google integration %+v", g)
	}
	gcp := g.Account("my-gcp")
	wantGCP := map[string]string{"project": "my-project", "jsonPath": "/home/spinnaker/.gcp/key.json", "bucket": "spin-kayenta", "bucketLocation": "us", "rootFolder": "kayenta"}
	if gcp == nil || !reflect.DeepEqual(gcp.Values, wantGCP) {
		t.Fatalf("my-gcp = %+v", gcp)
	}
	// Halyard wrote METRICS_STORE although stackdriverEnabled is false: recomputed, and said so.
	if !reflect.DeepEqual(gcp.SupportedTypes, []SupportedType{ObjectStore, ConfigurationStore}) {
		t.Errorf("my-gcp types %v", gcp.SupportedTypes)
	}
	if p := c.Integration("prometheus").Account("my-prometheus"); p == nil || p.Get("password") != "prom-password" || p.Get("username") != "kayenta" {
		t.Errorf("my-prometheus = %+v", p)
	}
	if c.DefaultStorageAccount != "my-gcp" || c.DefaultMetricsAccount != "my-prometheus" || c.DefaultMetricsStore != "prometheus" {
		t.Errorf("defaults %+v", c)
	}

	notes := strings.Join(imp.Notes, "\n")
	for _, want := range []string{
		"kubeconfig /home/spinnaker/.kube/config taken from kubernetes account my-k8s",
		"uses context gke_my-project_us-central1_prod",
		"supportedTypes [METRICS_STORE CONFIGURATION_STORE OBJECT_STORE] recomputed as [OBJECT_STORE CONFIGURATION_STORE]",
		"halyardVersion 1.11.0-20181115",
		"1 other deployment(s) (staging)",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	assertNothingSilentlyDropped(t, readTestdata(t, "halyard/distributed.yml"), 0, imp.Notes)
}

// assertNothingSilentlyDropped checks that every non-empty section of the
// deployment ctl does not carry over, and every deploymentEnvironment
// field it does not map, is named in a note.
func assertNothingSilentlyDropped(t *testing.T, data []byte, index int, notes []string) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	dep := lookup(doc.Content[0], "deploymentConfigurations").Content[index]
	var sectionNote, envNote string
	for _, n := range notes {
		if strings.HasPrefix(n, "not imported (ctl manages only the canary stack): ") {
			sectionNote = n
		}
		if strings.HasPrefix(n, "not imported from deploymentEnvironment: ") {
			envNote = n
		}
	}
	named := func(note, key string) bool {
		_, list, _ := strings.Cut(note, ": ")
		for _, k := range strings.Split(list, ", ") {
			if k == key {
				return true
			}
		}
		return false
	}
	for i := 0; i+1 < len(dep.Content); i += 2 {
		k, v := dep.Content[i].Value, dep.Content[i+1]
		switch k {
		case "name", "canary":
		case "deploymentEnvironment":
			for j := 0; j+1 < len(v.Content); j += 2 {
				ek, ev := v.Content[j].Value, v.Content[j+1]
				if ek == "type" || ek == "accountName" || ek == "location" || isEmptyNode(ev) {
					continue
				}
				if !named(envNote, ek) {
					t.Errorf("deploymentEnvironment.%s dropped without a note (%q)", ek, envNote)
				}
			}
		default:
			if !isEmptyNode(v) && !named(sectionNote, k) {
				t.Errorf("section %s dropped without a note (%q)", k, sectionNote)
			}
		}
	}
}

func TestImportSelectDeployment(t *testing.T) {
	data := readTestdata(t, "halyard/distributed.yml")
	imp, err := ImportHalyard("distributed.yml", data, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if imp.Deployment.Name != "staging" {
		t.Fatalf("imported %q", imp.Deployment.Name)
	}
	if imp.Deployment.DeploymentEnvironment != (DeploymentEnvironment{Type: EnvLocal}) {
		t.Errorf("environment %+v", imp.Deployment.DeploymentEnvironment)
	}
	if !reflect.DeepEqual(imp.Deployment.Canary, defaultCanary()) {
		t.Errorf("staging canary %+v, want the defaults", imp.Deployment.Canary)
	}
	notes := strings.Join(imp.Notes, "\n")
	for _, want := range []string{"deploymentEnvironment.type LocalDebian becomes local", "1 other deployment(s) (default)"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if strings.Contains(notes, "kubeconfig") {
		t.Errorf("staging has no accountName, so no kubeconfig: %s", notes)
	}
	assertNothingSilentlyDropped(t, data, 1, imp.Notes)

	_, err = ImportHalyard("distributed.yml", data, "prod")
	if err == nil || !strings.Contains(err.Error(), `distributed.yml: no deployment "prod" (it has: default, staging)`) {
		t.Errorf("unknown deployment: %v", err)
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name, data string
		deployment string
		want       string
	}{
		{"not YAML", "a: [", "", "h.yml: not YAML"},
		{"not a mapping", "- a\n", "", "h.yml: not a Halyard config"},
		{"empty", "", "", "h.yml: not a Halyard config"},
		{"ctl file", string(readTestdata(t, "good/seed.yaml")), "", "h.yml: this is already a ctl config"},
		{"no deployments", "currentDeployment: default\n", "", "h.yml: no deploymentConfigurations"},
		{"empty deployments", "currentDeployment: default\ndeploymentConfigurations: []\n", "", "h.yml: no deploymentConfigurations"},
		{"deployment without name", "deploymentConfigurations:\n- canary: {}\n", "", "h.yml:2:3: deploymentConfigurations[0]: missing name"},
		{"current deployment missing", "currentDeployment: prod\ndeploymentConfigurations:\n- name: default\n", "", `no deployment "prod" (it has: default)`},
		{"name ctl cannot use", "currentDeployment: Prod\ndeploymentConfigurations:\n- name: Prod\n", "", `deployment name "Prod" cannot be used by ctl`},
		{"unknown canary field", string(readTestdata(t, "halyard/unknown-canary-field.yml")), "",
			`h.yml:18:5: deploymentConfigurations[0].canary: unknown field "atlasEnabled"`},
		{"wrong type in canary", "deploymentConfigurations:\n- name: default\n  canary:\n    enabled: yes\n", "",
			`h.yml:4:14: deploymentConfigurations[0].canary.enabled: want true or false, got "yes"`},
		{"unknown field in the second deployment", "deploymentConfigurations:\n- name: a\n- name: b\n  canary:\n    foo: 1\n", "b",
			`h.yml:5:5: deploymentConfigurations[1].canary: unknown field "foo"`},
		{"duplicate integration", "deploymentConfigurations:\n- name: default\n  canary:\n    serviceIntegrations:\n    - name: aws\n      enabled: true\n    - name: aws\n      s3Enabled: true\n", "",
			`h.yml:7:13: deploymentConfigurations[0].canary.serviceIntegrations: integration "aws" appears more than once (first at line 5)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp, err := ImportHalyard("h.yml", []byte(tt.data), tt.deployment)
			if err == nil {
				t.Fatalf("ImportHalyard succeeded: %+v", imp)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
	// The canary error is a *ParseError with the position.
	_, err := ImportHalyard("h.yml", readTestdata(t, "halyard/unknown-canary-field.yml"), "")
	var pe *ParseError
	if !errors.As(err, &pe) || len(pe.Errs) != 1 || pe.Errs[0].Line != 18 || pe.Errs[0].Column != 5 {
		t.Errorf("got %#v", err)
	}
	if _, err := ImportHalyardFile(filepath.Join(t.TempDir(), "missing"), ""); err == nil || !strings.Contains(err.Error(), "reading Halyard config") {
		t.Errorf("missing file: %v", err)
	}
}

// TestImportFirstDeploymentWithoutCurrent: with no currentDeployment the
// first deployment is imported.
func TestImportFirstDeploymentWithoutCurrent(t *testing.T) {
	imp, err := ImportHalyard("h.yml", []byte("deploymentConfigurations:\n- name: first\n- name: second\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if imp.Deployment.Name != "first" {
		t.Errorf("imported %q", imp.Deployment.Name)
	}
}

// TestImportIntoStore: the import as `ctl config import` applies it, through
// Edit, and the result round-trips through the file.
func TestImportIntoStore(t *testing.T) {
	s := newTestStore(t, "")
	listing := strings.ReplaceAll(string(readTestdata(t, "halyard/seed-blog.yml")), "http://YOUR_PROMETHEUS_SERVER:PORT", "http://prometheus.example:9090")
	imp, err := ImportHalyard("seed-blog.yml", []byte(listing), "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Edit(EditOptions{Deployment: imp.Deployment.Name}, func(h *Halconfig, d *DeploymentConfiguration) error {
		*d = *imp.Deployment
		return nil
	})
	if err != nil || len(res.Problems) != 0 {
		t.Fatalf("Edit = %+v, %v", res, err)
	}
	got := string(mustReadFile(t, s.Path))
	if want := string(readTestdata(t, "good/seed.yaml")); got != want {
		t.Errorf("imported config\n%s\nwant good/seed.yaml\n%s", got, want)
	}
}
