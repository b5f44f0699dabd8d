{{/*
Names fixed by docs/CONTRACTS.md: the operator looks these objects up by name.
*/}}
{{- define "toolgate.operatorName" -}}toolgate-operator{{- end -}}
{{- define "toolgate.webhookSecretName" -}}toolgate-webhook-tls{{- end -}}
{{- define "toolgate.webhookConfigurationName" -}}toolgate-injector{{- end -}}
{{- define "toolgate.certificateName" -}}toolgate-webhook{{- end -}}
{{- define "toolgate.issuerName" -}}toolgate-selfsigned{{- end -}}

{{- define "toolgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "toolgate.labels" -}}
helm.sh/chart: {{ include "toolgate.chart" . }}
app.kubernetes.io/name: toolgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: toolgate
{{- end -}}

{{- define "toolgate.operatorSelectorLabels" -}}
app.kubernetes.io/name: toolgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "toolgate.operatorLabels" -}}
{{ include "toolgate.labels" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "toolgate.operatorImage" -}}
{{- printf "%s:%s" .Values.operator.image.repository (default .Chart.AppVersion .Values.operator.image.tag) -}}
{{- end -}}

{{- define "toolgate.sidecarImage" -}}
{{- printf "%s:%s" .Values.sidecar.image.repository (default .Chart.AppVersion .Values.sidecar.image.tag) -}}
{{- end -}}

{{- define "toolgate.initImage" -}}
{{- printf "%s:%s" .Values.sidecar.initImage.repository (default .Chart.AppVersion .Values.sidecar.initImage.tag) -}}
{{- end -}}

{{- define "toolgate.webhookServiceHost" -}}
{{- printf "%s.%s.svc" (include "toolgate.operatorName" .) .Release.Namespace -}}
{{- end -}}

{{/*
Whether the ValidatingAdmissionPolicy toolgate-selected-pods guards pod creation (webhook.outageScope=selectedPods with
failurePolicy Fail, on Kubernetes 1.30+ where ValidatingAdmissionPolicy is GA): then the pod webhook itself may fail
open, because the API server refuses every pod an McpPolicy selects that reaches it without the sidecar.
*/}}
{{- define "toolgate.podGuard" -}}
{{- if and (eq .Values.webhook.failurePolicy "Fail") (eq (.Values.webhook.outageScope | default "selectedPods") "selectedPods") (semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version) -}}
true
{{- end -}}
{{- end -}}

{{- define "toolgate.podWebhookFailurePolicy" -}}
{{- if include "toolgate.podGuard" . -}}Ignore{{- else -}}{{ .Values.webhook.failurePolicy }}{{- end -}}
{{- end -}}

{{/*
The namespaces the pod webhook (and its guard) sees: webhook.namespaceSelector, and never kube-system or the release
namespace, whatever the selector says (a pod there must never wait for the operator, the operator's own included).
*/}}
{{- define "toolgate.podNamespaceSelector" -}}
{{- $selector := deepCopy (.Values.webhook.namespaceSelector | default dict) -}}
{{- $expressions := concat ($selector.matchExpressions | default list) (list (dict "key" "kubernetes.io/metadata.name" "operator" "NotIn" "values" (list "kube-system" .Release.Namespace))) -}}
{{- $_ := set $selector "matchExpressions" $expressions -}}
{{- if not $selector.matchLabels }}{{ $_ := unset $selector "matchLabels" }}{{ end -}}
{{- toYaml $selector -}}
{{- end -}}
