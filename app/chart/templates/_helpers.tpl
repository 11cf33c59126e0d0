{{/* Name of the chart's objects: the release name (blue-calculator, green-calculator). */}}
{{- define "calculator.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "calculator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The version as a label value: label values allow no '+', so semver build metadata's '+' becomes '_'
(as in helm.sh/chart), cut to 63 characters ending in a letter or digit.
*/}}
{{- define "calculator.versionLabel" -}}
{{- regexReplaceAll "[^A-Za-z0-9]+$" (.Values.version | replace "+" "_" | trunc 63) "" -}}
{{- end -}}

{{- define "calculator.labels" -}}
{{ include "calculator.selectorLabels" . }}
app.kubernetes.io/version: {{ include "calculator.versionLabel" . | quote }}
app.kubernetes.io/part-of: {{ .Values.appName }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
phoenix.dev/slot: {{ .Values.slot }}
{{- end -}}

{{- define "calculator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "calculator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Pods the slot runs at least: what decides whether a PodDisruptionBudget makes sense. */}}
{{- define "calculator.minPods" -}}
{{- if .Values.autoscaling.enabled -}}{{ .Values.autoscaling.minReplicas }}{{- else -}}{{ .Values.replicaCount }}{{- end -}}
{{- end -}}

{{/* preStop sleep + drain (rounded up to seconds) + extra: always longer than the drain. */}}
{{- define "calculator.terminationGracePeriodSeconds" -}}
{{- add .Values.shutdown.preStopSleepSeconds (div (add .Values.shutdown.drainMs 999) 1000) .Values.shutdown.extraGraceSeconds -}}
{{- end -}}

{{- define "calculator.image" -}}
{{- $repo := required "image.repository is required" .Values.image.repository -}}
{{- $tag := required "image.tag is required (no default)" .Values.image.tag | toString -}}
{{- if eq $tag "latest" -}}{{- fail "image.tag must not be latest: deploy an immutable tag" -}}{{- end -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
