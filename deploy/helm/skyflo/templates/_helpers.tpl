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

{{/*
The MCP server's --confirm (skyfloai.mcp.confirm): MCP_CONFIRM and, with mode=skyflo, the engine the calls are proposed
to (this release's engine Service unless engineUrl says otherwise), the API token they are proposed with and the
state key, both read from Secrets (never inline: a token in values would sit in the release's history). A name the
user's own skyfloai.mcp.env sets is left to it.
*/}}
{{- define "skyflo.mcpConfirmEnv" -}}
{{- $s := .Values.skyfloai -}}
{{- $confirm := $s.mcp.confirm | default dict -}}
{{- $mode := $confirm.mode | default "" -}}
{{- $env := list -}}
{{- if $mode }}
{{- $env = append $env (dict "name" "MCP_CONFIRM" "value" $mode) -}}
{{- end }}
{{- if eq $mode "skyflo" }}
{{- $engineUrl := $confirm.engineUrl | default (printf "http://%s-engine.%s.svc:8080" $s.name .Release.Namespace) -}}
{{- $env = append $env (dict "name" "SKYFLO_ENGINE_URL" "value" $engineUrl) -}}
{{- $env = append $env (dict "name" "SKYFLO_ENGINE_TOKEN" "valueFrom" (dict "secretKeyRef" (dict "name" $confirm.engineTokenSecret "key" ($confirm.engineTokenSecretKey | default "token")))) -}}
{{- with $confirm.stateKeySecret }}
{{- $env = append $env (dict "name" "MCP_STATE_KEY" "valueFrom" (dict "secretKeyRef" (dict "name" . "key" ($confirm.stateKeySecretKey | default "key")))) -}}
{{- end }}
{{- end }}
{{- $own := list -}}
{{- range ($s.mcp.env | default list) }}{{ $own = append $own .name }}{{ end -}}
{{- $kept := list -}}
{{- range $env }}{{ if not (has .name $own) }}{{ $kept = append $kept . }}{{ end }}{{ end -}}
{{- toYaml $kept -}}
{{- end -}}
