{{/*
Names, labels and shared snippets of the ctl-sampleapp chart. The per-app
templates take a dict: (dict "root" $ "app" $app "index" $i).
*/}}

{{/* The chart name: app.kubernetes.io/name of every object. */}}
{{- define "sampleapp.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the release's shared objects (the ServiceMonitor): <release>-<chart>,
or the release name alone when it already contains the chart name. Truncated to
63 characters, the limit of a DNS label.
*/}}
{{- define "sampleapp.fullname" -}}
{{- $name := include "sampleapp.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
The name of one app's Deployment and Service: <release>-<app name>. When that
is longer than 63 characters (a Service name is a DNS label), it is cut to 54
and "-" and the first 8 hex digits of its sha256 are appended, so two long
names that share a prefix still get different objects.
*/}}
{{- define "sampleapp.appFullname" -}}
{{- $full := printf "%s-%s" .root.Release.Name .app.name }}
{{- if le (len $full) 63 }}
{{- $full }}
{{- else }}
{{- printf "%s-%s" ($full | trunc 54 | trimSuffix "-") (sha256sum $full | trunc 8) }}
{{- end }}
{{- end }}

{{/* name-version, for the helm.sh/chart label. */}}
{{- define "sampleapp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The image tag that runs: image.tag, or the chart's appVersion. */}}
{{- define "sampleapp.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString }}
{{- end }}

{{/* The image reference: repository:tag, or repository@sha256:... for a digest. */}}
{{- define "sampleapp.image" -}}
{{- $tag := include "sampleapp.tag" . }}
{{- if hasPrefix "sha256:" $tag }}
{{- printf "%s@%s" .Values.image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
The running version as a valid label value: characters other than
[-A-Za-z0-9_.] become "_", at most 63 characters, alphanumeric at both ends.
*/}}
{{- define "sampleapp.version" -}}
{{- regexReplaceAll "[^-A-Za-z0-9_.]" (include "sampleapp.tag" .) "_" | trunc 63 | trimAll "-_." }}
{{- end }}

{{/*
Selector of every app of the release (the ServiceMonitor's). Immutable in a
Deployment's selector, so never the version.
*/}}
{{- define "sampleapp.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "sampleapp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/* Selector of one app's pods: the release's, and ctl.dev/smoke-app. */}}
{{- define "sampleapp.selectorLabels" -}}
{{ include "sampleapp.releaseSelectorLabels" .root }}
ctl.dev/smoke-app: {{ .app.name | quote }}
{{- end }}

{{/* Labels of the release's shared objects. */}}
{{- define "sampleapp.releaseLabels" -}}
helm.sh/chart: {{ include "sampleapp.chart" . }}
{{ include "sampleapp.releaseSelectorLabels" . }}
app.kubernetes.io/version: {{ include "sampleapp.version" . | quote }}
app.kubernetes.io/component: sample-app
app.kubernetes.io/part-of: ctl
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels of one app's objects. No label is named "version" or "scenario": a
Prometheus kubernetes-pods job maps pod labels onto series labels, which
would clash with the app's metricLabels.
*/}}
{{- define "sampleapp.labels" -}}
helm.sh/chart: {{ include "sampleapp.chart" .root }}
{{ include "sampleapp.selectorLabels" . }}
app.kubernetes.io/version: {{ include "sampleapp.version" .root | quote }}
app.kubernetes.io/component: {{ .app.name | quote }}
app.kubernetes.io/part-of: ctl
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/*
Labels of one app's pod: its podLabels, then the chart's labels, which win on
a clash (a podLabels entry must never break the Deployment's selector).
*/}}
{{- define "sampleapp.podLabels" -}}
{{- $labels := merge (fromYaml (include "sampleapp.labels" .)) (deepCopy (get .app "podLabels" | default dict)) }}
{{- toYaml $labels }}
{{- end }}

{{/* METRIC_LABELS from a metricLabels map: k=v,k2=v2 in name order. */}}
{{- define "sampleapp.metricLabels" -}}
{{- $pairs := list }}
{{- range $k, $v := . }}
{{- $pairs = append $pairs (printf "%s=%s" $k (toString $v)) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/*
The container's environment: LISTEN, then one variable per key the app sets
(a key left out takes the sample app's own default).
*/}}
{{- define "sampleapp.env" -}}
{{- $app := .app -}}
- name: LISTEN
  value: ":8080"
{{- if hasKey $app "successRate" }}
- name: SUCCESS_RATE
  value: {{ $app.successRate | toString | quote }}
{{- end }}
{{- if hasKey $app "latency" }}
- name: LATENCY
  value: {{ $app.latency | toString | quote }}
{{- end }}
{{- if hasKey $app "latencyJitter" }}
- name: LATENCY_JITTER
  value: {{ $app.latencyJitter | toString | quote }}
{{- end }}
{{- if hasKey $app "loadRPS" }}
- name: LOAD_RPS
  value: {{ $app.loadRPS | int64 | toString | quote }}
{{- end }}
{{- with (get $app "metricLabels") }}
- name: METRIC_LABELS
  value: {{ include "sampleapp.metricLabels" . | quote }}
{{- end }}
{{- end }}

{{/*
Checks the schema cannot make: app names are unique, and no pod label becomes,
in a kubernetes-pods job (labelmap of __meta_kubernetes_pod_label_(.+), where
characters other than [a-zA-Z0-9_] read "_"), the name of one of the app's
metricLabels.
*/}}
{{- define "sampleapp.validate" -}}
{{- $seen := dict }}
{{- range $i, $app := .Values.apps }}
{{- if hasKey $seen $app.name }}
{{- fail (printf "apps[%d].name: %q is already the name of apps[%d]; app names must be unique" $i $app.name (get $seen $app.name | int)) }}
{{- end }}
{{- $_ := set $seen $app.name $i }}
{{- $metricLabels := get $app "metricLabels" | default dict }}
{{- $podLabels := fromYaml (include "sampleapp.podLabels" (dict "root" $ "app" $app)) }}
{{- range $label, $_ := $podLabels }}
{{- $series := regexReplaceAll "[^a-zA-Z0-9_]" $label "_" }}
{{- if hasKey $metricLabels $series }}
{{- fail (printf "apps[%d].podLabels: the pod label %q becomes the series label %q in a Prometheus kubernetes-pods job, which clashes with apps[%d].metricLabels.%s; rename one of them" $i $label $series $i $series) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* A one-line description of an app, for NOTES.txt. */}}
{{- define "sampleapp.describe" -}}
{{- $app := .app }}
{{- $rate := "100" }}{{ if hasKey $app "successRate" }}{{ $rate = toString $app.successRate }}{{ end }}
{{- $latency := "20ms" }}{{ if hasKey $app "latency" }}{{ $latency = $app.latency }}{{ end }}
{{- $jitter := "5ms" }}{{ if hasKey $app "latencyJitter" }}{{ $jitter = $app.latencyJitter }}{{ end }}
{{- $load := 0 }}{{ if hasKey $app "loadRPS" }}{{ $load = int64 $app.loadRPS }}{{ end }}
{{- printf "success rate %s%%, latency %s ± %s, " $rate $latency $jitter }}
{{- if gt (int64 $load) 0 }}{{ printf "self-load %d rps" (int64 $load) }}{{ else }}no self-load{{ end }}
{{- with (get $app "metricLabels") }}, labels {{ include "sampleapp.metricLabels" . }}{{ end }}
{{- end }}
