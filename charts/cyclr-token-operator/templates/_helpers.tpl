{{/*
The chart name, for app.kubernetes.io/name.
*/}}
{{- define "cyclr-token-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name. For the release "cyclr-token-operator" it is the chart name,
so the objects are named as config/default names them (its namePrefix). At most 28
characters: the longest name built on it, "<prefix>-controller-manager-metrics-service", must
fit in the 63 of a Service name.
*/}}
{{- define "cyclr-token-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 28 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 28 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 28 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The manager's ServiceAccount, Deployment and Pods.
*/}}
{{- define "cyclr-token-operator.managerName" -}}
{{ include "cyclr-token-operator.fullname" . }}-controller-manager
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "cyclr-token-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "cyclr-token-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels of the manager's Deployment, Pods and metrics Service.
*/}}
{{- define "cyclr-token-operator.managerLabels" -}}
{{ include "cyclr-token-operator.labels" . }}
control-plane: controller-manager
{{- end }}

{{/*
What selects the manager's Pods (for the Deployment, the metrics Service and the
NetworkPolicy) and the metrics Service (for the ServiceMonitor). control-plane is kept from
config/manager, where kubebuilder's tooling and docs expect it.
*/}}
{{- define "cyclr-token-operator.selectorLabels" -}}
control-plane: controller-manager
app.kubernetes.io/name: {{ include "cyclr-token-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The manager's image: by digest when one is given, else by tag (default: the appVersion).
*/}}
{{- define "cyclr-token-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
A file of config/ as hack/sync-chart-files.sh copied it into files/; call with
(list $ "rbac/role.yaml"). Fails when the copy is missing, rather than render empty rules.
*/}}
{{- define "cyclr-token-operator.configFile" -}}
{{- $root := index . 0 }}
{{- $path := printf "files/%s" (index . 1) }}
{{- $content := $root.Files.Get $path }}
{{- if not $content }}
{{- fail (printf "%s is missing from the chart: run 'make manifests' (hack/sync-chart-files.sh)" $path) }}
{{- end }}
{{- $content }}
{{- end }}

{{/*
A Role or ClusterRole with the name and rules of a role in config/rbac (named as
config/default names it: the prefix, then the file's name); call with
(dict "root" $ "file" "role.yaml" "kind" "Role" "namespace" "team-a"), the namespace for a
Role only.
*/}}
{{- define "cyclr-token-operator.role" -}}
{{- $root := .root }}
{{- $role := include "cyclr-token-operator.configFile" (list $root (printf "rbac/%s" .file)) | fromYaml }}
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}
metadata:
  name: {{ include "cyclr-token-operator.fullname" $root }}-{{ $role.metadata.name }}
  {{- with .namespace }}
  namespace: {{ . }}
  {{- end }}
  labels:
    {{- include "cyclr-token-operator.labels" $root | nindent 4 }}
rules:
  {{- toYaml $role.rules | nindent 2 }}
{{- end }}

{{/*
A RoleBinding or ClusterRoleBinding of the manager's ServiceAccount to one of the roles above;
call with (dict "root" $ "name" "manager-rolebinding" "kind" "RoleBinding" "roleKind" "Role"
"role" "manager-role" "namespace" "team-a"), the namespace for a RoleBinding only.
*/}}
{{- define "cyclr-token-operator.binding" -}}
{{- $fullname := include "cyclr-token-operator.fullname" .root }}
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}
metadata:
  name: {{ $fullname }}-{{ .name }}
  {{- with .namespace }}
  namespace: {{ . }}
  {{- end }}
  labels:
    {{- include "cyclr-token-operator.labels" .root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {{ .roleKind }}
  name: {{ $fullname }}-{{ .role }}
subjects:
- kind: ServiceAccount
  name: {{ include "cyclr-token-operator.managerName" .root }}
  namespace: {{ .root.Release.Namespace }}
{{- end }}
