{{/* Names, labels and shared pod pieces of the canary-engine chart. */}}

{{- define "canary-engine.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "canary-engine.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "canary-engine.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "canary-engine.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Labels of every object; pass (dict "ctx" $ "component" "worker"). */}}
{{- define "canary-engine.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: canary-engine
{{ include "canary-engine.selectorLabels" . }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "canary-engine.selectorLabels" -}}
app.kubernetes.io/name: {{ include "canary-engine.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "canary-engine.workerServiceAccount" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-worker" (include "canary-engine.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "canary-engine.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "canary-engine.temporalTlsSecret" -}}
{{- default (printf "%s-temporal-tls" (include "canary-engine.fullname" .)) .Values.temporal.tls.existingSecret }}
{{- end }}

{{- define "canary-engine.temporalApiKeySecret" -}}
{{- default (printf "%s-temporal-api-key" (include "canary-engine.fullname" .)) .Values.temporal.apiKey.existingSecret }}
{{- end }}

{{- define "canary-engine.hasTemporalApiKey" -}}
{{- if or .Values.temporal.apiKey.existingSecret .Values.temporal.apiKey.value }}true{{ end }}
{{- end }}

{{/* Environment both processes read to reach Temporal (worker/config.ts). */}}
{{- define "canary-engine.temporalEnv" -}}
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: CANARY_TASK_QUEUE
  value: {{ .Values.temporal.taskQueue | quote }}
{{- if .Values.temporal.tls.enabled }}
{{- $tls := .Values.temporal.tls }}
{{- if or $tls.existingSecret $tls.cert }}
- name: CANARY_TEMPORAL_TLS_CERT
  value: /etc/canary/temporal-tls/tls.crt
- name: CANARY_TEMPORAL_TLS_KEY
  value: /etc/canary/temporal-tls/tls.key
{{- end }}
{{- if or $tls.existingSecret $tls.ca }}
- name: CANARY_TEMPORAL_TLS_CA
  value: /etc/canary/temporal-tls/ca.crt
{{- end }}
{{- with $tls.serverName }}
- name: CANARY_TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if include "canary-engine.hasTemporalApiKey" . }}
- name: CANARY_TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "canary-engine.temporalApiKeySecret" . }}
      key: {{ if .Values.temporal.apiKey.existingSecret }}{{ .Values.temporal.apiKey.existingSecretKey }}{{ else }}api-key{{ end }}
{{- end }}
{{- end }}

{{/* Volumes and mounts shared by both pods: a writable /tmp and the Temporal TLS files. */}}
{{- define "canary-engine.commonVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if include "canary-engine.engineConfig" . }}
- name: engine-config
  configMap:
    name: {{ include "canary-engine.fullname" . }}-engine-config
{{- end }}
{{- if .Values.temporal.tls.enabled }}
- name: temporal-tls
  secret:
    secretName: {{ include "canary-engine.temporalTlsSecret" . }}
    defaultMode: 0440
    optional: false
{{- end }}
{{- end }}

{{- define "canary-engine.commonVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if include "canary-engine.engineConfig" . }}
- name: engine-config
  mountPath: /etc/canary/engine
  readOnly: true
{{- end }}
{{- if .Values.temporal.tls.enabled }}
- name: temporal-tls
  mountPath: /etc/canary/temporal-tls
  readOnly: true
{{- end }}
{{- end }}

{{- /*
The operator's engine config (worker/engine-config.ts) as JSON, or nothing when there is none to
render (the worker then has only the "default" source at prometheusUrl). Worker and API both read
it, so the API refuses what the worker could not run.
*/}}
{{- define "canary-engine.engineConfig" -}}
{{- if or .Values.metricsSources .Values.adHocMetricsAddresses .Values.auth.oidc .Values.notificationSinks -}}
{{- $config := dict "metricsSources" .Values.metricsSources "adHocMetricsAddresses" .Values.adHocMetricsAddresses "notificationSinks" .Values.notificationSinks -}}
{{- if .Values.auth.oidc }}{{ $_ := set $config "auth" (dict "oidc" .Values.auth.oidc) }}{{ end -}}
{{- $config | toJson -}}
{{- end -}}
{{- end }}

{{- /* "true" when the API has static tokens (a Secret to mount); with OIDC issuers they may be absent. */}}
{{- define "canary-engine.apiTokens" -}}
{{- if or .Values.api.tokens.existingSecret .Values.api.tokens.value }}true{{ end -}}
{{- end }}

{{- define "canary-engine.engineConfigEnv" -}}
{{- if include "canary-engine.engineConfig" . }}
- name: CANARY_ENGINE_CONFIG
  value: /etc/canary/engine/engine.json
{{- end }}
{{- end }}

{{/* Logs and traces (docs/observability.md): the log level, and OTLP tracing when an endpoint is set. */}}
{{- define "canary-engine.observabilityEnv" -}}
{{- $o := .Values.observability }}
- name: CANARY_LOG_LEVEL
  value: {{ $o.logLevel | quote }}
{{- if $o.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $o.otlpEndpoint | quote }}
{{- if $o.otlpHeadersSecret }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ $o.otlpHeadersSecret | quote }}
      key: headers
{{- end }}
{{- with $o.resourceAttributes }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ . | quote }}
{{- end }}
{{- with $o.sampler }}
- name: OTEL_TRACES_SAMPLER
  value: {{ . | quote }}
{{- end }}
{{- with $o.samplerArg }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
