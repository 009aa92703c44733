{{/*
Names, labels and shared snippets of the kayenta chart.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "kayenta.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of every object: fullnameOverride, or <release>-<name>, or the
release name alone when it already contains the chart name. Truncated to 63
characters, the limit of a DNS label (Service names).
*/}}
{{- define "kayenta.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* name-version, for the helm.sh/chart label. */}}
{{- define "kayenta.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The image tag that runs: image.tag, or the chart's appVersion. */}}
{{- define "kayenta.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString }}
{{- end }}

{{/* The image reference: repository:tag, or repository@sha256:... for a digest. */}}
{{- define "kayenta.image" -}}
{{- $tag := include "kayenta.tag" . }}
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
{{- define "kayenta.version" -}}
{{- regexReplaceAll "[^-A-Za-z0-9_.]" (include "kayenta.tag" .) "_" | trunc 63 | trimAll "-_." }}
{{- end }}

{{/*
Selector labels: the subset that identifies this release's pods. They are
immutable in a Deployment's selector, so they never include the version.
*/}}
{{- define "kayenta.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kayenta.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "kayenta.labels" -}}
helm.sh/chart: {{ include "kayenta.chart" . }}
{{ include "kayenta.selectorLabels" . }}
app.kubernetes.io/version: {{ include "kayenta.version" . | quote }}
app.kubernetes.io/component: canary-analysis
app.kubernetes.io/part-of: ctl
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels of the pods: podLabels, then the chart's labels, which win on a clash
(a podLabels entry must never break the Deployment's selector).
*/}}
{{- define "kayenta.podLabels" -}}
{{- $labels := merge (fromYaml (include "kayenta.labels" .)) (deepCopy (.Values.podLabels | default dict)) }}
{{- toYaml $labels }}
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "kayenta.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kayenta.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The data of the config Secret: kayenta.yml, and files.<name> for each entry of
files, in name order (the prefix keeps a file from shadowing kayenta.yml). The
Deployment's checksum/config annotation is the sha256 of this text, so pods
roll exactly when the mounted files change.
*/}}
{{- define "kayenta.secretData" -}}
kayenta.yml: {{ .Values.kayentaConfig | b64enc | quote }}
{{- range $name, $content := .Values.files }}
{{ printf "files.%s" $name | quote }}: {{ $content | toString | b64enc | quote }}
{{- end }}
{{- end }}

{{/*
The PodDisruptionBudget's limit: minAvailable or maxUnavailable as set (at most
one, the schema checks), else maxUnavailable: 1.
*/}}
{{- define "kayenta.pdbLimit" -}}
{{- $pdb := .Values.podDisruptionBudget }}
{{- if not (kindIs "invalid" $pdb.minAvailable) }}
minAvailable: {{ include "kayenta.intOrString" $pdb.minAvailable }}
{{- else if not (kindIs "invalid" $pdb.maxUnavailable) }}
maxUnavailable: {{ include "kayenta.intOrString" $pdb.maxUnavailable }}
{{- else }}
maxUnavailable: 1
{{- end }}
{{- end }}

{{/* An IntOrString value: a quoted string ("50%") or a bare whole number. */}}
{{- define "kayenta.intOrString" -}}
{{- if kindIs "string" . }}{{ quote . }}{{ else }}{{ int64 . }}{{ end }}
{{- end }}
