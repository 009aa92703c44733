package prometheus

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/kayenta/metrics"
)

// testdata/promql-vectors.json holds, verbatim, the 14 PrometheusMetricsServiceSpec
// rows of shared/reference/kayenta-vectors.json ("Can dry-run query
// generation", spinnaker/kayenta a69573be).
type promqlVector struct {
	SourceFile string `json:"source_file"`
	TestName   string `json:"test_name"`
	Params     struct {
		Function             string            `json:"function"`
		ScopeLabel           string            `json:"scopeLabel"`
		MetricName           string            `json:"metricName"`
		Location             *string           `json:"location"`
		LabelBindings        []string          `json:"labelBindings"`
		CustomFilterTemplate *string           `json:"customFilterTemplate"`
		CustomInlineTemplate *string           `json:"customInlineTemplate"`
		ResourceType         *string           `json:"resourceType"`
		Scope                *string           `json:"scope"`
		ExtendedScopeParams  map[string]string `json:"extendedScopeParams"`
		Templates            map[string]string `json:"templates"`
	} `json:"params"`
	Expected struct {
		Query string `json:"query"`
	} `json:"expected"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func TestBuildQueryKayentaVectors(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "promql-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []promqlVector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) != 14 {
		t.Fatalf("want the 14 PrometheusMetricsServiceSpec rows, got %d", len(vs))
	}
	for _, v := range vs {
		suite := strings.TrimSuffix(filepath.Base(v.SourceFile), ".groovy")
		t.Run(suite+"/"+v.TestName, func(t *testing.T) {
			if v.Params.Function != "PrometheusMetricsService.buildQuery" {
				t.Fatalf("unexpected function %q", v.Params.Function)
			}
			qc := QueryConfig{
				Type:                 ServiceType,
				ResourceType:         str(v.Params.ResourceType),
				MetricName:           v.Params.MetricName,
				LabelBindings:        v.Params.LabelBindings,
				CustomInlineTemplate: str(v.Params.CustomInlineTemplate),
				CustomFilterTemplate: str(v.Params.CustomFilterTemplate),
			}
			scope := metrics.Scope{
				Scope:               str(v.Params.Scope),
				Location:            str(v.Params.Location),
				ExtendedScopeParams: v.Params.ExtendedScopeParams,
			}
			got, err := BuildQuery(qc, v.Params.Templates, scope, v.Params.ScopeLabel)
			if err != nil {
				t.Fatalf("BuildQuery: %v", err)
			}
			if got != v.Expected.Query {
				t.Errorf("BuildQuery =\n  %s\nwant\n  %s", got, v.Expected.Query)
			}
		})
	}
}

func TestBuildQuery(t *testing.T) {
	tmpls := map[string]string{"byScope": `version="${scope}"`, "escaped": `version="$\{scope}"`}
	for _, tc := range []struct {
		name       string
		qc         QueryConfig
		scope      metrics.Scope
		scopeLabel string
		want       string
	}{
		{
			name:  "group by fields",
			qc:    QueryConfig{MetricName: "requests_total", CustomInlineTemplate: `version="${scope}"`, GroupByFields: []string{"code", "method"}},
			scope: metrics.Scope{Scope: "baseline"},
			want:  `avg(requests_total{version="baseline"}) by (code,method)`,
		},
		{
			name:       "gce project and custom scope label",
			qc:         QueryConfig{MetricName: "cpu", ResourceType: "gce_instance"},
			scope:      metrics.Scope{Scope: "app-v001", Location: "us-east1", ExtendedScopeParams: map[string]string{"project": "my-proj"}},
			scopeLabel: "server_group",
			want:       `avg(cpu{server_group=~"app-v001-.{4}",zone=~".+/projects/my-proj/zones/us-east1-.{1}"})`,
		},
		{
			name:  "gce without scope",
			qc:    QueryConfig{MetricName: "cpu", ResourceType: "gce_instance"},
			scope: metrics.Scope{Location: "us-east1"},
			want:  `avg(cpu{zone=~".+/zones/us-east1-.{1}"})`,
		},
		{
			name:  "resourceType from the scope's extendedScopeParams",
			qc:    QueryConfig{MetricName: "cpu"},
			scope: metrics.Scope{Scope: "asg", Location: "eu-west-1", ExtendedScopeParams: map[string]string{"resourceType": "aws_ec2_instance"}},
			want:  `avg(cpu{asg_groupName="asg",zone=~"eu-west-1.{1}"})`,
		},
		{
			name:  "query resourceType wins over the scope's",
			qc:    QueryConfig{MetricName: "cpu", ResourceType: "aws_ec2_instance"},
			scope: metrics.Scope{Location: "eu-west-1", ExtendedScopeParams: map[string]string{"resourceType": "gce_instance"}},
			want:  `avg(cpu{zone=~"eu-west-1.{1}"})`,
		},
		{
			name:  "blank query resourceType falls back to the scope's",
			qc:    QueryConfig{MetricName: "cpu", ResourceType: "  "},
			scope: metrics.Scope{Location: "eu-west-1", ExtendedScopeParams: map[string]string{"resourceType": "aws_ec2_instance"}},
			want:  `avg(cpu{zone=~"eu-west-1.{1}"})`,
		},
		{
			name: "no filters at all",
			qc:   QueryConfig{MetricName: "up", CustomInlineTemplate: ","},
			want: `avg(up)`,
		},
		{
			name: "trailing commas dropped like Java's split",
			qc:   QueryConfig{MetricName: "up", CustomInlineTemplate: "a=\"b\",,", LabelBindings: []string{"c=\"d\""}},
			want: `avg(up{a="b",c="d"})`,
		},
		{
			name: "leading empty token kept like Java's split",
			qc:   QueryConfig{MetricName: "up", CustomInlineTemplate: ",a=\"b\""},
			want: `avg(up{,a="b"})`,
		},
		{
			name:  "template by name",
			qc:    QueryConfig{MetricName: "up", CustomFilterTemplate: "byScope"},
			scope: metrics.Scope{Scope: "canary"},
			want:  `avg(up{version="canary"})`,
		},
		{
			name:  "Orca-escaped template",
			qc:    QueryConfig{MetricName: "up", CustomFilterTemplate: "escaped"},
			scope: metrics.Scope{Scope: "canary"},
			want:  `avg(up{version="canary"})`,
		},
		{
			name:  "PromQL ignores metricName, labelBindings and groupBy",
			qc:    QueryConfig{MetricName: "x", LabelBindings: []string{"a=b"}, GroupByFields: []string{"g"}, CustomInlineTemplate: `PromQL:sum(rate(http_requests_total{version="${scope}"}[1m]))`},
			scope: metrics.Scope{Scope: "baseline"},
			want:  `sum(rate(http_requests_total{version="baseline"}[1m]))`,
		},
		{
			name:  "PromQL with a default",
			qc:    QueryConfig{CustomInlineTemplate: `PromQL:histogram_quantile(${quantile:-0.95}, sum(rate(lat_bucket[${window:-5m}])) by (le))`},
			scope: metrics.Scope{ExtendedScopeParams: map[string]string{"window": "1m"}},
			want:  `histogram_quantile(0.95, sum(rate(lat_bucket[1m])) by (le))`,
		},
		{
			name: "escape keeps a literal ${",
			qc:   QueryConfig{CustomInlineTemplate: `PromQL:label_replace(up, "x", "$${1}", "instance", "(.*)")`},
			want: `label_replace(up, "x", "${1}", "instance", "(.*)")`,
		},
		{
			name:  "extendedScopeParams override scope and location",
			qc:    QueryConfig{CustomInlineTemplate: `PromQL:up{s="${scope}",l="${location}",p="${project}",r="${resourceType}"}`, ResourceType: "gce_instance"},
			scope: metrics.Scope{Scope: "s1", Location: "l1", ExtendedScopeParams: map[string]string{"scope": "s2", "project": "p1"}},
			want:  `up{s="s2",l="l1",p="p1",r="gce_instance"}`,
		},
		{
			name:  "empty extended param is bound (default not used)",
			qc:    QueryConfig{CustomInlineTemplate: `PromQL:up{a="${a:-dflt}"}`},
			scope: metrics.Scope{ExtendedScopeParams: map[string]string{"a": ""}},
			want:  `up{a=""}`,
		},
		{
			name:  "values are expanded recursively",
			qc:    QueryConfig{CustomInlineTemplate: `PromQL:up{job="${job}"}`},
			scope: metrics.Scope{Scope: "api", ExtendedScopeParams: map[string]string{"job": "${scope}-svc"}},
			want:  `up{job="api-svc"}`,
		},
		{
			name: "unclosed variable left alone",
			qc:   QueryConfig{CustomInlineTemplate: `PromQL:up offset ${oops`},
			want: `up offset ${oops`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BuildQuery(tc.qc, tmpls, tc.scope, tc.scopeLabel)
			if err != nil {
				t.Fatalf("BuildQuery: %v", err)
			}
			if got != tc.want {
				t.Errorf("BuildQuery =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestBuildQueryErrors(t *testing.T) {
	deprecated := "x"
	for _, tc := range []struct {
		name      string
		qc        QueryConfig
		templates map[string]string
		scope     metrics.Scope
		want      string
	}{
		{"no metric name", QueryConfig{ResourceType: "gce_instance"}, nil, metrics.Scope{Location: "l"},
			"Metric Name is required when query type is Default."},
		{"neither resource type nor filter", QueryConfig{MetricName: "m"}, nil, metrics.Scope{},
			"Either a resource type or a custom filter is required."},
		{"unsupported resource type", QueryConfig{MetricName: "m", ResourceType: "k8s_pod"}, nil, metrics.Scope{},
			"There is no explicit support for resourceType 'k8s_pod'. You may build whatever query makes sense for your environment via label bindings and custom filter templates."},
		{"gce without location", QueryConfig{MetricName: "m", ResourceType: "gce_instance"}, nil, metrics.Scope{Scope: "s"},
			"Location (i.e. region) is required when resourceType is 'gce_instance'."},
		{"aws without location", QueryConfig{MetricName: "m", ResourceType: "aws_ec2_instance"}, nil, metrics.Scope{Scope: "s"},
			"Location (i.e. region) is required when resourceType is 'aws_ec2_instance'."},
		{"no templates defined", QueryConfig{MetricName: "m", CustomFilterTemplate: "t"}, nil, metrics.Scope{},
			"Custom filter template 't' was referenced, but no templates were defined."},
		{"template not found", QueryConfig{MetricName: "m", CustomFilterTemplate: "t"}, map[string]string{"u": "x"}, metrics.Scope{},
			"Custom filter template 't' was not found."},
		{"undefined variable", QueryConfig{MetricName: "m", CustomInlineTemplate: "a=${nope},b=${scope}"}, nil, metrics.Scope{Scope: "s"},
			"Problem evaluating custom filter template: a=${nope},b=${scope}"},
		{"undefined variable in an escaped template", QueryConfig{MetricName: "m", CustomInlineTemplate: `a=$\{nope}`}, nil, metrics.Scope{},
			"Problem evaluating custom filter template: a=${nope}"},
		{"scope unbound when empty", QueryConfig{CustomInlineTemplate: `PromQL:up{v="${scope}"}`}, nil, metrics.Scope{},
			`Problem evaluating custom filter template: PromQL:up{v="${scope}"}`},
		{"cycle", QueryConfig{CustomInlineTemplate: `PromQL:${a}`}, nil, metrics.Scope{ExtendedScopeParams: map[string]string{"a": "${b}", "b": "${a}"}},
			"Problem evaluating custom filter template: PromQL:${a}"},
		{"deprecated customFilter", QueryConfig{MetricName: "m", CustomFilter: &deprecated}, nil, metrics.Scope{},
			"CanaryMetricSetQueryConfig.customFilter is deprecated, use CanaryMetricSetQueryConfig.customInlineTemplate instead."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BuildQuery(tc.qc, tc.templates, tc.scope, "")
			if err == nil {
				t.Fatalf("BuildQuery = %q, want error %q", got, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error =\n  %s\nwant\n  %s", err, tc.want)
			}
			if !metrics.IsArgumentError(err) {
				t.Errorf("error %T is not a *metrics.ArgumentError", err)
			}
		})
	}

	// The cause names the variable.
	_, err := BuildQuery(QueryConfig{MetricName: "m", CustomInlineTemplate: "a=${nope}"}, nil, metrics.Scope{}, "")
	if cause := errors.Unwrap(err); cause == nil || !strings.Contains(cause.Error(), "'nope'") {
		t.Errorf("cause = %v, want it to name 'nope'", cause)
	}
}

func TestExpandTemplate(t *testing.T) {
	vars := map[string]string{"a": "1", "d": "x$", "e": "", "n": "${a}${a}"}
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"${a}", "1"},
		{"${a}${a}", "11"},
		{"$${a}", "${a}"},
		{"$$${a}", "$${a}"},
		{"$${a", "$${a"},
		{"$a", "$a"},
		{"${b:-two}", "two"},
		{"${b:-${a}}", "${a}"}, // the first } ends the variable: default "${a", then "}"
		{"${e:-no}", ""},
		{"${a:-no}", "1"},
		{"${n}", "11"},
		{"${d}${a}", "x${a}"}, // commons-text: the value's trailing $ escapes the next variable
		{"${:-dflt}", "dflt"},
		{"${a}}", "1}"},
		{"}${a}{", "}1{"},
	} {
		got, err := expandTemplate(tc.in, vars)
		if err != nil {
			t.Errorf("expandTemplate(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("expandTemplate(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Unbound variables; `up{a="${x"}` is one too: the first } ends the name.
	for _, in := range []string{"${b}", "${}", "${a${a}}", "x ${b:x}", `up{a="${x"}`} {
		if got, err := expandTemplate(in, vars); err == nil {
			t.Errorf("expandTemplate(%q) = %q, want an error", in, got)
		}
	}
}

func TestParseQueryConfig(t *testing.T) {
	qc, err := ParseQueryConfig(json.RawMessage(`{"type":"prometheus","metricName":"m","labelBindings":["a=b"],"groupByFields":["g"],
		"customInlineTemplate":"t","customFilterTemplate":"f","resourceType":"gce_instance","serviceType":"prometheus","unknown":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if qc.MetricName != "m" || qc.LabelBindings[0] != "a=b" || qc.GroupByFields[0] != "g" || qc.CustomInlineTemplate != "t" ||
		qc.CustomFilterTemplate != "f" || qc.ResourceType != "gce_instance" || qc.CustomFilter != nil {
		t.Errorf("ParseQueryConfig = %+v", qc)
	}
	if qc, err := ParseQueryConfig(json.RawMessage(`{"customFilter":null}`)); err != nil || qc.CustomFilter != nil {
		t.Errorf("customFilter null: %+v, %v", qc, err)
	}
	for _, raw := range []string{``, `null`, `[1]`, `{"type":"datadog"}`, `{"metricName":1}`} {
		if _, err := ParseQueryConfig(json.RawMessage(raw)); !metrics.IsArgumentError(err) {
			t.Errorf("ParseQueryConfig(%s) error = %v, want an ArgumentError", raw, err)
		}
	}
}
