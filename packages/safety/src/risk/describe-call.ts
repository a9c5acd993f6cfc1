/**
 * A mutating call in plain words, from its arguments: what it changes ("scales deployment shop/web to 5 replicas")
 * and whether it is destructive. Destructive means it can lose data or take a service down — scale to 0, delete,
 * uninstall, drain — judged from the call itself, not from the tool's name or its `destructiveHint` annotation
 * (which marks everything k8s_scale does, including 3 → 5). Pure: no cluster access.
 */
import { kindOf } from './resource-kinds.ts';

type Arguments = Record<string, unknown>;

const str = (value: unknown, fallback = ''): string => (typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : fallback);

/** "deployment shop/web" (the namespace only for namespaced kinds; no type word when the call names none). */
function objectLabel(resourceType: unknown, namespace: unknown, name: unknown, defaultNamespace = 'default'): string {
  const kind = kindOf(resourceType);
  const type = (kind?.kind ?? str(resourceType)).toLowerCase();
  const named = kind?.clusterScoped ? str(name) : `${str(namespace, defaultNamespace)}/${str(name)}`;
  return type ? `${type} ${named}` : named;
}

const release = (args: Arguments) => `Helm release ${str(args['namespace'], 'default')}/${str(args['release_name'])}`;
const rollout = (args: Arguments) => `rollout ${str(args['namespace'], 'default')}/${str(args['name'])}`;

/** What each tool's call does, in words; a tool without an entry is described by its name. */
const describers: Record<string, (args: Arguments) => string> = {
  k8s_scale: (args) => `scales ${objectLabel(args['resource_type'], args['namespace'], args['name'])} to ${str(args['replicas'], '?')} replica${args['replicas'] === 1 ? '' : 's'}`,
  k8s_delete: (args) => `deletes ${objectLabel(args['resource_type'], args['namespace'], args['name'])}`,
  k8s_apply: (args) => {
    const kinds = [...str(args['content']).matchAll(/^kind:\s*(\S+)/gm)].map((match) => match[1]!);
    return kinds.length === 0 ? 'applies a manifest' : `applies ${kinds.length === 1 ? `a ${kinds[0]}` : `${kinds.length} objects (${[...new Set(kinds)].join(', ')})`}`;
  },
  k8s_patch: (args) => `patches ${objectLabel(args['resource_type'], args['namespace'], args['name'])}`,
  k8s_set_image: (args) => `sets the image of ${objectLabel(args['resource_type'], args['namespace'], args['resource_name'])} (${str(args['container_images'])})`,
  k8s_rollout_restart: (args) => `restarts the pods of ${objectLabel(args['resource_type'] ?? 'deployment', args['namespace'], args['name'])}`,
  k8s_rollout_undo: (args) => `rolls ${objectLabel(args['resource_type'], args['namespace'], args['name'])} back to ${args['to_revision'] !== undefined ? `revision ${str(args['to_revision'])}` : 'its previous revision'}`,
  k8s_drain: (args) => `drains node ${str(args['node_name'])} (evicts its pods and cordons it)`,
  k8s_cordon: (args) => `cordons node ${str(args['node_name'])} (no new pods are scheduled there)`,
  k8s_uncordon: (args) => `uncordons node ${str(args['node_name'])}`,
  k8s_exec: (args) => `runs a command in pod ${str(args['namespace'], 'default')}/${str(args['pod_name'])}`,
  k8s_run_pod: (args) => `starts pod ${str(args['namespace'], 'default')}/${str(args['name'])} from image ${str(args['image'])}`,
  k8s_port_forward: (args) => `opens a port forward to ${str(args['resource_type'], 'pod')} ${str(args['namespace'], 'default')}/${str(args['resource_name'])}`,
  helm_install: (args) => `installs chart ${str(args['chart'])} as ${release(args)}`,
  helm_install_with_values: (args) => `installs chart ${str(args['chart'])} as ${release(args)} with custom values`,
  helm_upgrade: (args) => `upgrades ${release(args)} to chart ${str(args['chart'])}${args['version'] ? ` ${str(args['version'])}` : ''}`,
  helm_uninstall: (args) => `uninstalls ${release(args)} and deletes every object it created`,
  helm_rollback: (args) => `rolls ${release(args)} back to ${args['revision'] ? `revision ${str(args['revision'])}` : 'its previous revision'}`,
  helm_repo_add: (args) => `adds chart repository ${str(args['name'])} (${str(args['url'])})`,
  helm_repo_remove: (args) => `removes chart repository ${str(args['name'])}`,
  helm_repo_update: () => 'refreshes the chart repository indexes',
  argo_abort_rollout: (args) => `aborts ${rollout(args)}`,
  argo_pause_rollout: (args) => `pauses ${rollout(args)}`,
  argo_resume_rollout: (args) => `resumes ${rollout(args)}`,
  argo_promote: (args) => `promotes ${rollout(args)}${args['full'] === true ? ' fully (skipping the remaining steps)' : ' to its next step'}`,
  argo_rollout_restart: (args) => `restarts the pods of ${rollout(args)}`,
  argo_set_image: (args) => `sets the image of ${rollout(args)} to ${str(args['image'])}`,
  argo_undo: (args) => `rolls ${rollout(args)} back to ${args['to_revision'] !== undefined ? `revision ${str(args['to_revision'])}` : 'its previous revision'}`,
  jenkins_trigger_build: (args) => `starts a build of Jenkins job ${str(args['jobFullName'])}`,
  jenkins_stop_build: (args) => `aborts build ${str(args['build'], 'lastBuild')} of Jenkins job ${str(args['jobFullName'])}`,
  jenkins_update_build: (args) => `changes the name or description of build ${str(args['build'])} of Jenkins job ${str(args['jobFullName'])}`,
};

/** What the call does, in words, e.g. "scales deployment shop/web to 5 replicas". */
export function describeToolCall(tool: string, args: Arguments): string {
  const describe = describers[tool];
  if (!describe) return `runs ${tool}`;
  try {
    return describe(args ?? {});
  } catch {
    return `runs ${tool}`;
  }
}

/** What the call changes: Jenkins, a Helm chart source, or the cluster. */
export function changedSystem(tool: string): string {
  if (tool.startsWith('jenkins_')) return 'Jenkins';
  if (tool.startsWith('helm_repo_')) return "the MCP server's chart sources";
  return 'the cluster';
}

/** Why a call is destructive (data loss or an outage), or undefined when it is not. */
const destructiveRules: Record<string, (args: Arguments) => string | undefined> = {
  k8s_scale: (args) => (args['replicas'] === 0 ? `scaling ${objectLabel(args['resource_type'], args['namespace'], args['name'])} to 0 leaves no pod serving it` : undefined),
  k8s_delete: (args) => `deleting ${objectLabel(args['resource_type'], args['namespace'], args['name'])} removes it (and what it owns)`,
  helm_uninstall: (args) => `uninstalling ${release(args)} deletes every object it created`,
  k8s_drain: (args) => `draining node ${str(args['node_name'])} evicts every pod on it`,
};

/**
 * Risk codes that mean data loss or an outage wherever they come from (the call's arguments, or a manifest a
 * preview rendered: a patch to replicas 0, a chart that deletes a PersistentVolumeClaim).
 */
export const destructiveRiskCodes: ReadonlySet<string> = new Set(['SCALE_TO_ZERO', 'NAMESPACE_DELETE', 'CLUSTER_SCOPED_DELETE', 'DATA_LOSS', 'RELEASE_UNINSTALL', 'NODE_DRAIN']);

/** Why this call can lose data or take a service down, or undefined when it cannot (as far as its arguments tell). */
export function destructiveReason(tool: string, args: Arguments): string | undefined {
  try {
    return destructiveRules[tool]?.(args ?? {});
  } catch {
    return undefined;
  }
}

/** Destructive = data loss or an outage, judged from the call and the risks found in it (see destructiveRiskCodes). */
export function isDestructiveCall(tool: string, args: Arguments, risks: ReadonlyArray<{ code: string }> = []): boolean {
  return destructiveReason(tool, args) !== undefined || risks.some((risk) => destructiveRiskCodes.has(risk.code));
}
