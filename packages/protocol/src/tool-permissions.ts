/**
 * What each tool of the MCP server needs from the Kubernetes API, written once: the MCP server lists it on every tool
 * (`_meta["skyflo.ai/rbac"]`, mcp-wire.ts) so any MCP client can read the verbs and resources a tool needs, and the
 * operator builds its ClusterRoles from the same table (operator/src/rbac/tool-permissions.ts). Here, in the shared
 * contract package, so neither package depends on the other. The table is keyed by the catalogue's wire names and
 * mirrors each tool's readOnlyHint; packages/operator/test/tool-permissions.test.ts fails when a tool is added to, or
 * removed from, the catalogue without a row here, or when a row's readOnly disagrees with the tool's annotation.
 *
 * Never granted by any profile: escalate, bind and impersonate (they defeat RBAC itself), writes to ClusterRoles
 * and ClusterRoleBindings, nodes/proxy, and certificate signing: a model-driven agent must not be able to widen
 * its own access, whatever a person approves.
 */

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const read = ['get', 'list', 'watch'];
const write = ['create', 'update', 'patch', 'delete'];

/** The API groups and resources an operations agent inspects (kubectl get/describe on workloads and their context). */
const inspectable: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['pods', 'pods/log', 'services', 'endpoints', 'configmaps', 'events', 'namespaces', 'nodes', 'persistentvolumes', 'persistentvolumeclaims', 'serviceaccounts', 'replicationcontrollers', 'resourcequotas', 'limitranges'],
    verbs: read,
  },
  { apiGroups: ['apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io', 'discovery.k8s.io', 'storage.k8s.io', 'events.k8s.io', 'argoproj.io'], resources: ['*'], verbs: read },
  { apiGroups: ['rbac.authorization.k8s.io', 'apiextensions.k8s.io', 'scheduling.k8s.io', 'coordination.k8s.io'], resources: ['*'], verbs: read },
];

/** Changes to the resources above (apply, patch, delete, helm install/upgrade of an application chart). */
const changeable: PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'services', 'endpoints', 'configmaps', 'persistentvolumeclaims', 'serviceaccounts', 'replicationcontrollers', 'namespaces'], verbs: write },
  { apiGroups: ['apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io', 'argoproj.io'], resources: ['*'], verbs: write },
  // Application charts ship namespaced Roles; RBAC's own escalation check still stops granting more than we hold.
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: write },
];

export const permissionSets = {
  inspect: inspectable,
  /** kubectl top / metrics-server */
  metrics: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list'] }],
  /** Helm keeps releases in Secrets of each release's namespace; Jenkins credentials are Secrets too (values never reach the model) */
  readSecrets: [{ apiGroups: [''], resources: ['secrets'], verbs: read }],
  writeSecrets: [{ apiGroups: [''], resources: ['secrets'], verbs: write }],
  change: changeable,
  scale: [{ apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale', 'replicasets/scale'], verbs: ['get', 'update', 'patch'] }],
  nodes: [{ apiGroups: [''], resources: ['nodes'], verbs: ['patch', 'update'] }],
  evict: [{ apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] }, { apiGroups: [''], resources: ['pods'], verbs: ['delete'] }],
  exec: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] }],
  portForward: [{ apiGroups: [''], resources: ['pods/portforward'], verbs: ['create', 'get'] }],
  runPod: [{ apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete'] }, { apiGroups: [''], resources: ['pods/attach'], verbs: ['create', 'get'] }],
  rollouts: [{ apiGroups: ['argoproj.io'], resources: ['rollouts', 'rollouts/status'], verbs: ['get', 'update', 'patch'] }],
  workloadPatch: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['patch', 'update'] }],
  /** k8s_auth_can_i: asking the API server what an identity may do (creates a review object, changes nothing) */
  accessReview: [{ apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'subjectaccessreviews'], verbs: ['create'] }],
  none: [] as PolicyRule[],
} satisfies Record<string, PolicyRule[]>;

export type PermissionSet = keyof typeof permissionSets;

export interface ToolPermission {
  readOnly: boolean;
  needs: PermissionSet[];
}

const reads = (...needs: PermissionSet[]): ToolPermission => ({ readOnly: true, needs });
const writes = (...needs: PermissionSet[]): ToolPermission => ({ readOnly: false, needs });

/** One row per tool of the MCP server's catalogue (packages/mcp-server/src/catalogue.ts). */
export const toolPermissions: Record<string, ToolPermission> = {
  k8s_logs: reads('inspect'),
  k8s_get: reads('inspect', 'readSecrets'),
  k8s_describe: reads('inspect', 'readSecrets'),
  wait_for_x_seconds: reads('none'),
  k8s_rollout_status: reads('inspect'),
  k8s_rollout_history: reads('inspect'),
  k8s_cluster_info: reads('inspect'),
  k8s_auth_can_i: reads('accessReview'),
  k8s_top_pods: reads('metrics'),
  k8s_top_nodes: reads('metrics'),
  k8s_diff: reads('inspect'),
  k8s_apply: writes('inspect', 'change'),
  k8s_patch: writes('inspect', 'change'),
  k8s_set_image: writes('inspect', 'workloadPatch'),
  k8s_rollout_restart: writes('inspect', 'workloadPatch'),
  k8s_scale: writes('inspect', 'scale'),
  k8s_rollout_undo: writes('inspect', 'workloadPatch'),
  k8s_cordon: writes('inspect', 'nodes'),
  k8s_uncordon: writes('inspect', 'nodes'),
  k8s_run_pod: writes('inspect', 'runPod'),
  k8s_exec: writes('inspect', 'exec'),
  k8s_port_forward: writes('inspect', 'portForward'),
  k8s_delete: writes('inspect', 'change'),
  k8s_drain: writes('inspect', 'nodes', 'evict'),
  helm_list_releases: reads('readSecrets'),
  helm_status: reads('readSecrets', 'inspect'),
  helm_history: reads('readSecrets'),
  helm_get_values: reads('readSecrets'),
  helm_get_manifest: reads('readSecrets'),
  helm_show_values: reads('none'),
  helm_search_repo: reads('none'),
  helm_template: reads('none'),
  helm_upgrade_diff: reads('readSecrets', 'inspect'),
  helm_repo_add: writes('none'),
  helm_repo_update: writes('none'),
  helm_repo_remove: writes('none'),
  helm_install: writes('readSecrets', 'writeSecrets', 'inspect', 'change'),
  helm_install_with_values: writes('readSecrets', 'writeSecrets', 'inspect', 'change'),
  helm_upgrade: writes('readSecrets', 'writeSecrets', 'inspect', 'change'),
  helm_uninstall: writes('readSecrets', 'writeSecrets', 'inspect', 'change'),
  helm_rollback: writes('readSecrets', 'writeSecrets', 'inspect', 'change'),
  argo_list_rollouts: reads('inspect'),
  argo_status: reads('inspect'),
  argo_history: reads('inspect'),
  argo_describe: reads('inspect'),
  argo_list_experiments: reads('inspect'),
  argo_list_analysisruns: reads('inspect'),
  argo_promote: writes('inspect', 'rollouts'),
  argo_pause_rollout: writes('inspect', 'rollouts'),
  argo_resume_rollout: writes('inspect', 'rollouts'),
  argo_set_image: writes('inspect', 'rollouts'),
  argo_rollout_restart: writes('inspect', 'rollouts'),
  argo_abort_rollout: writes('inspect', 'rollouts'),
  argo_undo: writes('inspect', 'rollouts'),
  jenkins_get_job: reads('readSecrets'),
  jenkins_get_jobs: reads('readSecrets'),
  jenkins_get_build: reads('readSecrets'),
  jenkins_get_last_builds: reads('readSecrets'),
  jenkins_get_build_log: reads('readSecrets'),
  jenkins_get_job_scm: reads('readSecrets'),
  jenkins_get_build_scm: reads('readSecrets'),
  jenkins_get_build_changesets: reads('readSecrets'),
  jenkins_whoami: reads('readSecrets'),
  jenkins_get_job_parameters: reads('readSecrets'),
  jenkins_trigger_build: writes('readSecrets'),
  jenkins_update_build: writes('readSecrets'),
  jenkins_stop_build: writes('readSecrets'),
  // the kubeconfig's contexts, each one's /version and SelfSubjectReview (allowed to every authenticated identity)
  list_clusters: reads('none'),
  // the engine's own before-state and verification of an approved change (issue 21): the changed objects, their pods,
  // events and controllers (watched), Helm releases (kept in Secrets; the read-only profile drops Secrets as for every row)
  capture_change_baseline: reads('inspect', 'readSecrets'),
  verify_change: reads('inspect', 'readSecrets'),
  preview_tool_call: reads('inspect'),
  // Prometheus and Loki over HTTP with the data source's own credentials (issue 36): nothing from the Kubernetes API
  prometheus_query: reads('none'),
  prometheus_query_range: reads('none'),
  prometheus_alerts: reads('none'),
  prometheus_series: reads('none'),
  loki_query_range: reads('none'),
};

/** Merges rules with the same groups and resources, verbs sorted: a stable, readable rule list. */
export function mergeRules(rules: PolicyRule[]): PolicyRule[] {
  const merged = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const key = `${[...rule.apiGroups].sort().join(',')}|${[...rule.resources].sort().join(',')}`;
    const existing = merged.get(key);
    if (existing) existing.verbs = [...new Set([...existing.verbs, ...rule.verbs])].sort();
    else merged.set(key, { apiGroups: [...rule.apiGroups].sort(), resources: [...rule.resources].sort(), verbs: [...new Set(rule.verbs)].sort() });
  }
  return [...merged.values()].sort((a, b) => JSON.stringify([a.apiGroups, a.resources]).localeCompare(JSON.stringify([b.apiGroups, b.resources])));
}

/**
 * The Kubernetes RBAC rules one tool needs (its row's permission sets, merged), or undefined for a tool without a row
 * (another server's). An empty list: the tool needs nothing from the Kubernetes API (Prometheus, chart repositories).
 */
export function toolRbacRules(toolName: string): PolicyRule[] | undefined {
  const row = Object.hasOwn(toolPermissions, toolName) ? toolPermissions[toolName] : undefined;
  return row ? mergeRules(row.needs.flatMap((need) => permissionSets[need])) : undefined;
}
