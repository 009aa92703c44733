package charts

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/smoke/sampleapp"
)

// oneApp is the values of one app, named a, with more fields.
func oneApp(fields string) string { return "apps: [{name: a, " + fields + "}]" }

// sampleAppSchemaRejects are values the ctl-sampleapp schema refuses,
// besides sharedSchemaRejects (see TestSchemaRejects).
var sampleAppSchemaRejects = []schemaCase{
	{"nameOverride is not a key", "nameOverride: x", []string{"at '': additional properties 'nameOverride' not allowed"}},
	{"apps removed", "apps: null", []string{"at '': missing property 'apps'"}},
	{"apps as map", "apps: {a: {successRate: 99}}", []string{"at '/apps'", "got object, want array"}},
	{"app unknown key", oneApp("successrate: 99"), []string{"at '/apps/0'", "'successrate' not allowed"}},
	{"app without name", "apps: [{successRate: 99}]", []string{"at '/apps/0'", "missing property 'name'"}},
	{"name uppercase", "apps: [{name: Healthy}]", []string{"at '/apps/0/name'", "does not match pattern"}},
	{"name with a dot", "apps: [{name: healthy.baseline}]", []string{"at '/apps/0/name'", "does not match pattern"}},
	{"name ends with a dash", "apps: [{name: healthy-}]", []string{"at '/apps/0/name'", "does not match pattern"}},
	{"name too long", "apps: [{name: " + strings.Repeat("a", 64) + "}]", []string{"at '/apps/0/name'", "maxLength"}},
	{"name as number", "apps: [{name: 1}]", []string{"at '/apps/0/name'", "got number, want string"}},
	{"second app bad", "apps: [{name: a}, {name: b, successRate: 100.5}]", []string{"at '/apps/1/successRate'", "maximum"}},
	{"successRate above 100", oneApp("successRate: 101"), []string{"at '/apps/0/successRate'", "maximum"}},
	{"successRate negative", oneApp("successRate: -1"), []string{"at '/apps/0/successRate'", "minimum"}},
	{"successRate as string", oneApp(`successRate: "99"`), []string{"at '/apps/0/successRate'", "got string, want number"}},
	{"latency as number", oneApp("latency: 20"), []string{"at '/apps/0/latency'", "got number, want string"}},
	{"latency without unit", oneApp(`latency: "20"`), []string{"at '/apps/0/latency'", "does not match pattern"}},
	{"latency negative", oneApp("latency: -5ms"), []string{"at '/apps/0/latency'", "does not match pattern"}},
	{"latency with a space", oneApp("latency: 20 ms"), []string{"at '/apps/0/latency'", "does not match pattern"}},
	{"latency unit", oneApp("latency: 2d"), []string{"at '/apps/0/latency'", "does not match pattern"}},
	{"latencyJitter", oneApp("latencyJitter: soon"), []string{"at '/apps/0/latencyJitter'", "does not match pattern"}},
	{"loadRPS negative", oneApp("loadRPS: -1"), []string{"at '/apps/0/loadRPS'", "minimum"}},
	{"loadRPS fractional", oneApp("loadRPS: 1.5"), []string{"at '/apps/0/loadRPS'", "got number, want integer"}},
	{"loadRPS too high", oneApp("loadRPS: 10001"), []string{"at '/apps/0/loadRPS'", "maximum"}},
	{"loadRPS as string", oneApp(`loadRPS: "100"`), []string{"at '/apps/0/loadRPS'", "got string, want integer"}},
	{"metricLabels bad name", oneApp("metricLabels: {smoke-run: x}"), []string{"at '/apps/0/metricLabels'", "additional properties 'smoke-run' not allowed"}},
	{"metricLabels name with a digit first", oneApp("metricLabels: {1run: x}"), []string{"at '/apps/0/metricLabels'", "additional properties '1run' not allowed"}},
	{"metricLabels reserved by the app", oneApp("metricLabels: {code: x}"), []string{"at '/apps/0/metricLabels/code'", "'not' failed"}},
	{"metricLabels reserved le", oneApp("metricLabels: {le: x}"), []string{"at '/apps/0/metricLabels/le'", "'not' failed"}},
	{"metricLabels set by the scrape", oneApp("metricLabels: {job: x}"), []string{"at '/apps/0/metricLabels/job'", "'not' failed"}},
	{"metricLabels reserved prefix", oneApp("metricLabels: {__name: x}"), []string{"at '/apps/0/metricLabels/__name'", "'not' failed"}},
	{"metricLabels value with a comma", oneApp("metricLabels: {scenario: 'a,b'}"), []string{"at '/apps/0/metricLabels/scenario'", "does not match pattern"}},
	{"metricLabels value empty", oneApp("metricLabels: {scenario: ''}"), []string{"at '/apps/0/metricLabels/scenario'", "minLength"}},
	{"metricLabels value a number", oneApp("metricLabels: {smoke_run: 123}"), []string{"at '/apps/0/metricLabels/smoke_run'", "got number, want string"}},
	{"metricLabels as list", oneApp("metricLabels: [scenario=healthy]"), []string{"at '/apps/0/metricLabels'", "got array, want object"}},
	{"podLabels bad value", oneApp("podLabels: {team: 'a b'}"), []string{"at '/apps/0/podLabels/team'", "does not match pattern"}},
	{"podLabels bad key", oneApp("podLabels: {'team lead': x}"), []string{"at '/apps/0/podLabels'", "additional properties 'team lead' not allowed"}},
	{"scrape unknown key", "scrape: {port: 9090}", []string{"at '/scrape'", "'port' not allowed"}},
	{"scrape.annotations as string", `scrape: {annotations: "true"}`, []string{"at '/scrape/annotations'", "got string, want boolean"}},
	{"scrape.annotations removed", "scrape: {annotations: null}", []string{"at '/scrape'", "missing property 'annotations'"}},
	{"serviceMonitor unknown key", "serviceMonitor: {port: http}", []string{"at '/serviceMonitor'", "'port' not allowed"}},
}

// sampleAppSchemaAccepts are values the ctl-sampleapp schema must pass,
// besides sharedSchemaAccepts and the golden cases (which render).
var sampleAppSchemaAccepts = []string{
	"apps: []",
	"apps: [{name: a}]",
	"apps: [{name: 0a-1}]",
	"apps: [{name: " + strings.Repeat("a", 63) + "}]",
	"apps: [{name: a, successRate: 0, loadRPS: 0, latency: '0', latencyJitter: 0s}]",
	"apps: [{name: a, successRate: 100, loadRPS: 10000}]",
	"apps: [{name: a, successRate: 99.95, latency: 1.5s, latencyJitter: 250us}]",
	"apps: [{name: a, latency: 1m0.15s, latencyJitter: 500µs}]",
	"apps: [{name: a, latency: .5s}]",
	"apps: [{name: a, metricLabels: {}, podLabels: {}}]",
	"apps: [{name: a, metricLabels: {_private: x, Version: 'a=b', scenario: 'with space'}}]",
	"apps: [{name: a, podLabels: {example.com/team: canary, empty: ''}}]",
	"scrape: {annotations: false}",
	"serviceMonitor: {enabled: true, interval: 1m30s, labels: {release: kube-prometheus-stack}}",
	"resources: null",
}

// The schema's bound on loadRPS is the sample app's. (TestSchemaOnRawValues
// checks that values.yaml passes the schema.)
func TestSampleAppSchemaLoadRPSMaximum(t *testing.T) {
	c := loadSampleApp(t)
	var schema map[string]any
	if err := json.Unmarshal(c.Schema, &schema); err != nil {
		t.Fatal(err)
	}
	load := get(schema, "properties", "apps", "items", "properties", "loadRPS")
	if got, _ := get(load, "maximum").(float64); got != sampleapp.MaxLoadRPS {
		t.Errorf("schema: loadRPS maximum %v, want sampleapp.MaxLoadRPS (%d)", got, sampleapp.MaxLoadRPS)
	}
}
