package charts

import (
	"encoding/json"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/ctlproject/ctl/smoke/sampleapp"
)

// values.schema.json of ctl-sampleapp, as `helm install` applies it: the
// user's values are coalesced with values.yaml first, so a key set to null
// is removed. Each case's error names the field.
func TestSampleAppSchemaRejects(t *testing.T) {
	c := loadSampleApp(t)
	app := func(fields string) string { return "apps: [{name: a, " + fields + "}]" }
	for _, tc := range []struct {
		name   string
		values string
		want   []string // substrings of the error, in addition to the chart's prefix
	}{
		{"unknown top-level key", "replicas: 2", []string{"at '': additional properties 'replicas' not allowed"}},
		{"nameOverride is not a key", "nameOverride: x", []string{"at '': additional properties 'nameOverride' not allowed"}},
		{"apps removed", "apps: null", []string{"at '': missing property 'apps'"}},
		{"apps as map", "apps: {a: {successRate: 99}}", []string{"at '/apps'", "got object, want array"}},
		{"app unknown key", app("successrate: 99"), []string{"at '/apps/0'", "'successrate' not allowed"}},
		{"app without name", "apps: [{successRate: 99}]", []string{"at '/apps/0'", "missing property 'name'"}},
		{"name uppercase", "apps: [{name: Healthy}]", []string{"at '/apps/0/name'", "does not match pattern"}},
		{"name with a dot", "apps: [{name: healthy.baseline}]", []string{"at '/apps/0/name'", "does not match pattern"}},
		{"name ends with a dash", "apps: [{name: healthy-}]", []string{"at '/apps/0/name'", "does not match pattern"}},
		{"name too long", "apps: [{name: " + strings.Repeat("a", 64) + "}]", []string{"at '/apps/0/name'", "maxLength"}},
		{"name as number", "apps: [{name: 1}]", []string{"at '/apps/0/name'", "got number, want string"}},
		{"second app bad", "apps: [{name: a}, {name: b, successRate: 100.5}]", []string{"at '/apps/1/successRate'", "maximum"}},
		{"successRate above 100", app("successRate: 101"), []string{"at '/apps/0/successRate'", "maximum"}},
		{"successRate negative", app("successRate: -1"), []string{"at '/apps/0/successRate'", "minimum"}},
		{"successRate as string", app(`successRate: "99"`), []string{"at '/apps/0/successRate'", "got string, want number"}},
		{"latency as number", app("latency: 20"), []string{"at '/apps/0/latency'", "got number, want string"}},
		{"latency without unit", app(`latency: "20"`), []string{"at '/apps/0/latency'", "does not match pattern"}},
		{"latency negative", app("latency: -5ms"), []string{"at '/apps/0/latency'", "does not match pattern"}},
		{"latency with a space", app("latency: 20 ms"), []string{"at '/apps/0/latency'", "does not match pattern"}},
		{"latency unit", app("latency: 2d"), []string{"at '/apps/0/latency'", "does not match pattern"}},
		{"latencyJitter", app("latencyJitter: soon"), []string{"at '/apps/0/latencyJitter'", "does not match pattern"}},
		{"loadRPS negative", app("loadRPS: -1"), []string{"at '/apps/0/loadRPS'", "minimum"}},
		{"loadRPS fractional", app("loadRPS: 1.5"), []string{"at '/apps/0/loadRPS'", "got number, want integer"}},
		{"loadRPS too high", app("loadRPS: 10001"), []string{"at '/apps/0/loadRPS'", "maximum"}},
		{"loadRPS as string", app(`loadRPS: "100"`), []string{"at '/apps/0/loadRPS'", "got string, want integer"}},
		{"metricLabels bad name", app("metricLabels: {smoke-run: x}"), []string{"at '/apps/0/metricLabels'", "additional properties 'smoke-run' not allowed"}},
		{"metricLabels name with a digit first", app("metricLabels: {1run: x}"), []string{"at '/apps/0/metricLabels'", "additional properties '1run' not allowed"}},
		{"metricLabels reserved by the app", app("metricLabels: {code: x}"), []string{"at '/apps/0/metricLabels/code'", "'not' failed"}},
		{"metricLabels reserved le", app("metricLabels: {le: x}"), []string{"at '/apps/0/metricLabels/le'", "'not' failed"}},
		{"metricLabels set by the scrape", app("metricLabels: {job: x}"), []string{"at '/apps/0/metricLabels/job'", "'not' failed"}},
		{"metricLabels reserved prefix", app("metricLabels: {__name: x}"), []string{"at '/apps/0/metricLabels/__name'", "'not' failed"}},
		{"metricLabels value with a comma", app("metricLabels: {scenario: 'a,b'}"), []string{"at '/apps/0/metricLabels/scenario'", "does not match pattern"}},
		{"metricLabels value empty", app("metricLabels: {scenario: ''}"), []string{"at '/apps/0/metricLabels/scenario'", "minLength"}},
		{"metricLabels value a number", app("metricLabels: {smoke_run: 123}"), []string{"at '/apps/0/metricLabels/smoke_run'", "got number, want string"}},
		{"metricLabels as list", app("metricLabels: [scenario=healthy]"), []string{"at '/apps/0/metricLabels'", "got array, want object"}},
		{"podLabels bad value", app("podLabels: {team: 'a b'}"), []string{"at '/apps/0/podLabels/team'", "does not match pattern"}},
		{"podLabels bad key", app("podLabels: {'team lead': x}"), []string{"at '/apps/0/podLabels'", "additional properties 'team lead' not allowed"}},
		{"scrape unknown key", "scrape: {port: 9090}", []string{"at '/scrape'", "'port' not allowed"}},
		{"scrape.annotations as string", `scrape: {annotations: "true"}`, []string{"at '/scrape/annotations'", "got string, want boolean"}},
		{"scrape.annotations removed", "scrape: {annotations: null}", []string{"at '/scrape'", "missing property 'annotations'"}},
		{"serviceMonitor unknown key", "serviceMonitor: {port: http}", []string{"at '/serviceMonitor'", "'port' not allowed"}},
		{"serviceMonitor interval", "serviceMonitor: {interval: soon}", []string{"at '/serviceMonitor/interval'", "does not match pattern"}},
		{"serviceMonitor enabled as string", `serviceMonitor: {enabled: "true"}`, []string{"at '/serviceMonitor/enabled'", "got string, want boolean"}},
		{"serviceMonitor label value not a string", "serviceMonitor: {labels: {release: 1}}", []string{"at '/serviceMonitor/labels/release'", "got number, want string"}},
		{"image as string", "image: ghcr.io/ctlproject/ctl:v1", []string{"at '/image'", "got string, want object"}},
		{"image tag with colon", "image: {tag: 'v1:latest'}", []string{"at '/image/tag'", "does not match pattern"}},
		{"image pull policy", "image: {pullPolicy: Sometimes}", []string{"at '/image/pullPolicy'", "Always", "IfNotPresent", "Never"}},
		{"imagePullSecrets as strings", "imagePullSecrets: [regcred]", []string{"at '/imagePullSecrets/0'", "got string, want object"}},
		{"resources unknown key", "resources: {request: {cpu: 1}}", []string{"at '/resources'", "'request' not allowed"}},
		{"resources bad quantity", "resources: {limits: {memory: lots}}", []string{"at '/resources/limits/memory'"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := renderValues(c, values(t, tc.values))
			if err == nil {
				t.Fatalf("values %q were accepted", tc.values)
			}
			msg := err.Error()
			t.Log(msg)
			for _, want := range append([]string{"values don't meet the specifications of the schema(s)", sampleAppChartName + ":"}, tc.want...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
		})
	}
}

// Values that must pass, besides the golden cases (which render).
func TestSampleAppSchemaAccepts(t *testing.T) {
	c := loadSampleApp(t)
	for _, v := range []string{
		"",
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
		"image: {tag: v1.2.3-rc.1}",
		"image: {tag: sha256:" + strings.Repeat("ab", 32) + "}",
		"imagePullSecrets: [{name: regcred}]",
		"scrape: {annotations: false}",
		"serviceMonitor: {enabled: true, interval: 1m30s, labels: {release: kube-prometheus-stack}}",
		"resources: {requests: {cpu: 0.5, memory: 1Gi}, limits: {cpu: '2', memory: 1e9}}",
		"resources: null",
		"global: {imageRegistry: example.com}",
	} {
		if _, err := renderValues(c, values(t, v)); err != nil {
			t.Errorf("values %q: %v", v, err)
		}
	}
}

// values.yaml passes its own schema, and the schema's bound on loadRPS is
// the sample app's.
func TestSampleAppSchemaOnRawValues(t *testing.T) {
	c := loadSampleApp(t)
	if err := chartutil.ValidateAgainstSchema(c, c.Values); err != nil {
		t.Errorf("values.yaml fails its own schema: %v", err)
	}
	var schema map[string]any
	if err := json.Unmarshal(c.Schema, &schema); err != nil {
		t.Fatal(err)
	}
	load := get(schema, "properties", "apps", "items", "properties", "loadRPS")
	if got, _ := get(load, "maximum").(float64); got != sampleapp.MaxLoadRPS {
		t.Errorf("schema: loadRPS maximum %v, want sampleapp.MaxLoadRPS (%d)", got, sampleapp.MaxLoadRPS)
	}
}
