package charts

import (
	"reflect"
	"sort"
	"testing"

	"sigs.k8s.io/yaml"
)

// sampleAppAppKeys are the keys of one entry of apps, in the ctl-sampleapp
// chart's values contract.
var sampleAppAppKeys = []string{"latency", "latencyJitter", "loadRPS", "metricLabels", "name", "podLabels", "successRate"}

const sampleAppChartName = "ctl-sampleapp"

// sampleAppChart is the ctl-sampleapp chart, for the tests shared by both
// charts.
var sampleAppChart = testChart{
	dir:  SampleAppName,
	name: sampleAppChartName,
	load: LoadSampleApp,
	sub:  SampleApp,
	templates: []string{
		"templates/_helpers.tpl", "templates/NOTES.txt", "templates/deployment.yaml", "templates/service.yaml",
		"templates/servicemonitor.yaml",
	},
	// The values contract: the top-level keys ctl fills.
	contractKeys:  []string{"apps", "image", "imagePullSecrets", "resources", "scrape", "serviceMonitor"},
	kinds:         []string{"Deployment", "Service", "ServiceMonitor"},
	golden:        sampleAppGoldenCases,
	manifests:     rendered.multiManifests,
	objects:       rendered.multiObjects,
	lintRejects:   sampleAppLintRejects,
	schemaRejects: sampleAppSchemaRejects,
	schemaAccepts: sampleAppSchemaAccepts,
	notes:         sampleAppNotes,
	// One app, so the chart renders one Deployment.
	deploymentValues: "apps: [{name: a}]",
}

// The apps of the values contract: none by default, and the schema's keys
// of an app are the contract's. (TestLoad checks the rest of the chart.)
func TestSampleAppAppsContract(t *testing.T) {
	c := loadSampleApp(t)
	if apps, ok := c.Values["apps"].([]any); !ok || len(apps) != 0 {
		t.Errorf("apps = %v, want an empty list by default", c.Values["apps"])
	}

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
