package prometheus

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"

	"github.com/ctlproject/ctl/kayenta/metrics"
)

// ServiceType is the "type" of a Prometheus metric query config.
const ServiceType = "prometheus"

// DefaultScopeLabel is the label gce_instance scopes are matched on
// (kayenta.prometheus.scopeLabel).
const DefaultScopeLabel = "instance"

// PromQLPrefix marks a custom template whose expansion is the whole query.
const PromQLPrefix = "PromQL:"

// QueryConfig is a canary metric's Prometheus query
// (PrometheusCanaryMetricSetQueryConfig, "type":"prometheus").
type QueryConfig struct {
	Type string `json:"type,omitempty"`
	// ResourceType selects built-in scope filters: gce_instance or
	// aws_ec2_instance. Empty means the scope's resourceType.
	ResourceType string `json:"resourceType,omitempty"`
	// MetricName is required unless the template is PromQL:….
	MetricName    string   `json:"metricName,omitempty"`
	LabelBindings []string `json:"labelBindings,omitempty"`
	GroupByFields []string `json:"groupByFields,omitempty"`
	// CustomInlineTemplate is a filter template (or PromQL:… query); it wins
	// over CustomFilterTemplate.
	CustomInlineTemplate string `json:"customInlineTemplate,omitempty"`
	// CustomFilterTemplate names one of the canary config's templates.
	CustomFilterTemplate string `json:"customFilterTemplate,omitempty"`
	// CustomFilter is deprecated; Kayenta rejects any non-null value.
	CustomFilter *string `json:"customFilter,omitempty"`
}

// ParseQueryConfig decodes a metric config's "query" object. Unknown fields
// are ignored, as in Kayenta; a "type" other than "prometheus" is an error.
func ParseQueryConfig(raw json.RawMessage) (QueryConfig, error) {
	var qc QueryConfig
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return qc, metrics.Argumentf("The metric's query config is missing.")
	}
	if err := json.Unmarshal(raw, &qc); err != nil {
		return qc, &metrics.ArgumentError{Message: "Invalid Prometheus query config: " + err.Error(), Cause: err}
	}
	if qc.Type != "" && qc.Type != ServiceType {
		return qc, metrics.Argumentf("Query config of type '%s' cannot be run by a Prometheus account.", qc.Type)
	}
	return qc, nil
}

// BuildQuery builds the PromQL for a metric and scope exactly as Kayenta's
// PrometheusMetricsService.buildQuery:
//
//  1. resourceType is qc.ResourceType if it has text, else the scope's
//     (extendedScopeParams.resourceType).
//  2. The custom filter is qc.CustomInlineTemplate, else
//     templates[qc.CustomFilterTemplate], expanded with the bindings (later
//     ones win) scope project/resourceType/scope/location (non-empty ones),
//     qc.ResourceType, then every extendedScopeParam; see expandTemplate.
//  3. A filter starting with "PromQL:" is returned without the prefix, as
//     the whole query.
//  4. Otherwise metricName is required; the filters are the comma-split
//     custom filter followed by labelBindings, or without a custom filter
//     labelBindings plus the gce_instance (scopeLabel=~"<scope>-.{4}",
//     zone=~".+/[projects/<project>/]zones/<location>-.{1}") or
//     aws_ec2_instance (asg_groupName="<scope>", zone=~"<location>.{1}")
//     filters; and the query is avg(metric{filters}) [by (groupByFields)].
//
// scopeLabel "" means DefaultScopeLabel. Every error is a
// *metrics.ArgumentError with Kayenta's message.
func BuildQuery(qc QueryConfig, templates map[string]string, scope metrics.Scope, scopeLabel string) (string, error) {
	if scopeLabel == "" {
		scopeLabel = DefaultScopeLabel
	}
	project := scope.ExtendedScopeParams["project"]
	resourceType := scope.ExtendedScopeParams["resourceType"]
	if hasText(qc.ResourceType) {
		resourceType = qc.ResourceType
	}

	customFilter, err := expandCustomFilter(qc, templates, scope)
	if err != nil {
		return "", err
	}
	if rest, ok := strings.CutPrefix(customFilter, PromQLPrefix); ok {
		return rest, nil
	}
	if qc.MetricName == "" {
		return "", metrics.Argumentf("Metric Name is required when query type is Default.")
	}

	filters := append([]string(nil), qc.LabelBindings...)
	if customFilter == "" {
		switch {
		case resourceType == "gce_instance":
			if scope.Location == "" {
				return "", metrics.Argumentf("Location (i.e. region) is required when resourceType is 'gce_instance'.")
			}
			if scope.Scope != "" {
				filters = append(filters, scopeLabel+`=~"`+scope.Scope+`-.{4}"`)
			}
			zone := ".+/"
			if project != "" {
				zone += "projects/" + project + "/"
			}
			zone += "zones/" + scope.Location + "-.{1}"
			filters = append(filters, `zone=~"`+zone+`"`)
		case resourceType == "aws_ec2_instance":
			if scope.Location == "" {
				return "", metrics.Argumentf("Location (i.e. region) is required when resourceType is 'aws_ec2_instance'.")
			}
			if scope.Scope != "" {
				filters = append(filters, `asg_groupName="`+scope.Scope+`"`)
			}
			filters = append(filters, `zone=~"`+scope.Location+`.{1}"`)
		case resourceType != "":
			return "", metrics.Argumentf("There is no explicit support for resourceType '%s'. You may build whatever query makes sense for your environment via label bindings and custom filter templates.", resourceType)
		default:
			return "", metrics.Argumentf("Either a resource type or a custom filter is required.")
		}
	} else {
		filters = append(javaSplitComma(customFilter), filters...)
	}

	var b strings.Builder
	b.WriteString("avg(")
	b.WriteString(qc.MetricName)
	if len(filters) > 0 {
		b.WriteByte('{')
		b.WriteString(strings.Join(filters, ","))
		b.WriteByte('}')
	}
	b.WriteByte(')')
	if len(qc.GroupByFields) > 0 {
		b.WriteString(" by (")
		b.WriteString(strings.Join(qc.GroupByFields, ","))
		b.WriteByte(')')
	}
	return b.String(), nil
}

// expandCustomFilter is QueryConfigUtils.expandCustomFilter with Prometheus'
// base scope attributes (project, resourceType, scope, location). It returns
// "" when the query config has no template.
func expandCustomFilter(qc QueryConfig, templates map[string]string, scope metrics.Scope) (string, error) {
	if qc.CustomFilter != nil {
		return "", metrics.Argumentf("CanaryMetricSetQueryConfig.customFilter is deprecated, use CanaryMetricSetQueryConfig.customInlineTemplate instead.")
	}
	var tmpl string
	switch {
	case qc.CustomInlineTemplate != "":
		tmpl = qc.CustomInlineTemplate
	case qc.CustomFilterTemplate != "":
		if len(templates) == 0 {
			return "", metrics.Argumentf("Custom filter template '%s' was referenced, but no templates were defined.", qc.CustomFilterTemplate)
		}
		t, ok := templates[qc.CustomFilterTemplate]
		if !ok {
			return "", metrics.Argumentf("Custom filter template '%s' was not found.", qc.CustomFilterTemplate)
		}
		tmpl = t
	default:
		return "", nil
	}
	// Undo Orca's escaping of templates ($\{ → ${).
	tmpl = strings.ReplaceAll(tmpl, `$\{`, "${")

	vars := map[string]string{}
	put := func(k, v string) {
		if v != "" {
			vars[k] = v
		}
	}
	// The scope's properties (PrometheusCanaryScope).
	put("project", scope.ExtendedScopeParams["project"])
	put("resourceType", scope.ExtendedScopeParams["resourceType"])
	put("scope", scope.Scope)
	put("location", scope.Location)
	// The query config's (only resourceType exists there).
	put("resourceType", qc.ResourceType)
	for k, v := range scope.ExtendedScopeParams {
		vars[k] = v
	}

	out, err := expandTemplate(tmpl, vars)
	if err != nil {
		return "", &metrics.ArgumentError{Message: "Problem evaluating custom filter template: " + tmpl, Cause: err}
	}
	return out, nil
}

// javaSplitComma splits s on commas like Java's String.split(","): trailing
// empty strings are dropped.
func javaSplitComma(s string) []string {
	parts := strings.Split(s, ",")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// hasText is Spring's StringUtils.hasText.
func hasText(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) }) >= 0
}
