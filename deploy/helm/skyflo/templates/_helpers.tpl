{{/* Names and labels shared by the templates. */}}
{{- define "skyflo.operatorName" -}}
{{- printf "%s-operator" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "skyflo.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "skyflo.labels" -}}
app.kubernetes.io/name: skyflo
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: skyflo
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "skyflo.operatorSelector" -}}
app.kubernetes.io/name: skyflo
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/*
The MCP server's access profile: skyfloai.accessProfile, else the older skyfloai.rbac.profile (operate is
cluster-admin-like's older name), else on an upgrade the profile the SkyfloAI already has (so an upgrade never changes
what an installation may do), else read-only: the default for a first install.
*/}}
{{- define "skyflo.existingRbac" -}}
{{- $existing := lookup "skyflo.ai/v1" "SkyfloAI" .Release.Namespace .Values.skyfloai.name | default dict -}}
{{- dig "spec" "rbac" dict $existing | toJson -}}
{{- end -}}

{{- define "skyflo.accessProfile" -}}
{{- $s := .Values.skyfloai -}}
{{- $profile := $s.accessProfile | default $s.rbac.profile -}}
{{- if not $profile -}}
{{- $profile = get (include "skyflo.existingRbac" . | fromJson) "profile" | default "read-only" -}}
{{- end -}}
{{- if eq $profile "operate" -}}cluster-admin-like{{- else -}}{{ $profile }}{{- end -}}
{{- end -}}

{{- define "skyflo.accessNamespaces" -}}
{{- $namespaces := .Values.skyfloai.namespaces -}}
{{- if not $namespaces -}}
{{- $namespaces = get (include "skyflo.existingRbac" . | fromJson) "namespaces" | default list -}}
{{- end -}}
{{- toJson $namespaces -}}
{{- end -}}

{{/*
"true" when this release's SkyfloAI runs cluster-enforced approvals: it is created here, may write (not read-only),
and approvals.enforcement is cluster. Then the chart creates the executor's ServiceAccount and RBAC.
*/}}
{{- define "skyflo.clusterEnforced" -}}
{{- $s := .Values.skyfloai -}}
{{- if and $s.create (not $s.readOnly) (ne (include "skyflo.accessProfile" .) "read-only") (eq $s.approvals.enforcement "cluster") -}}true{{- end -}}
{{- end -}}
