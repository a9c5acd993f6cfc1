/**
 * Risk rules over one Kubernetes object, or a fragment of one (a merge patch, or a JSON patch folded into an
 * object by patchFragment): small pure rules, run in order, each returning the flags it finds. The pod-sandbox
 * rules search the whole object, so they work for Pods, any workload's pod template, CronJobs, custom
 * resources that embed a pod spec (Argo Rollouts) and partial patches alike.
 */
import type { RiskFlag } from '@skyflo/protocol';
import { workloadKinds } from './resource-kinds.ts';

export interface ObjectContext {
  /** the object's kind, when known (a patch of a type the table does not know has none) */
  kind?: string;
  /** how the message names the object, e.g. "ClusterRoleBinding ops-admin" */
  label: string;
}

type ObjectRule = (object: Record<string, unknown>, context: ObjectContext) => RiskFlag[];

/** Host paths whose mount hands over the node (its root, config, container runtime, kernel interfaces, kubelet credentials). */
const criticalHostPaths = ['/', '/etc', '/root', '/home', '/proc', '/sys', '/dev', '/boot', '/var/run', '/run', '/var/run/docker.sock', '/run/docker.sock', '/var/run/containerd', '/run/containerd', '/var/run/crio', '/var/lib/kubelet', '/var/lib/docker', '/var/lib/containerd', '/usr', '/bin', '/sbin', '/lib'];
/** Capabilities that amount to root on the node (or close to it). */
const criticalCapabilities = new Set(['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO', 'DAC_READ_SEARCH', 'DAC_OVERRIDE', 'BPF', 'SYS_BOOT', 'NET_ADMIN']);

function isObject(value: unknown): value is Record<string, unknown> {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value);
}

/** Array entries, or the values of an object built from JSON-patch paths ({"0": …, "-": …}). */
function entriesOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value);
  return [];
}

function strings(value: unknown): string[] {
  return entriesOf(value).filter((entry): entry is string => typeof entry === 'string');
}

/** Visits every mapping in the object with the key it sits under. */
function walk(value: unknown, visit: (node: Record<string, unknown>, key: string) => void, key = ''): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit, key);
    return;
  }
  if (!isObject(value)) return;
  visit(value, key);
  for (const [childKey, child] of Object.entries(value)) walk(child, visit, childKey);
}

export function hostPathSeverity(path: string): 'high' | 'medium' {
  const normalised = path.replace(/\/+$/, '') || '/';
  return criticalHostPaths.some((critical) => normalised === critical || (critical !== '/' && normalised.startsWith(`${critical}/`))) ? 'high' : 'medium';
}

const hostNamespaces = [
  ['hostPID', 'processes'],
  ['hostNetwork', 'network'],
  ['hostIPC', 'IPC'],
] as const;

const podSandboxRule: ObjectRule = (object, { label }) => {
  const flags: RiskFlag[] = [];
  walk(object, (node, key) => {
    if (node['privileged'] === true) flags.push({ code: 'PRIVILEGED_POD', severity: 'high', message: `${label} runs a privileged container (full access to the node).` });
    for (const [field, shared] of hostNamespaces) {
      if (node[field] === true) flags.push({ code: 'HOST_NAMESPACE', severity: 'high', message: `${label} sets ${field}: true (shares the node's ${shared}).` });
    }
    const hostPath = node['hostPath'];
    if (isObject(hostPath) && typeof hostPath['path'] === 'string') {
      const path = hostPath['path'];
      flags.push({ code: 'HOST_PATH', severity: hostPathSeverity(path), message: `${label} mounts the node's ${path} (hostPath).` });
    } else if (typeof hostPath === 'string' && hostPath.startsWith('/')) {
      flags.push({ code: 'HOST_PATH', severity: hostPathSeverity(hostPath), message: `${label} mounts the node's ${hostPath} (hostPath).` });
    }
    if (key === 'capabilities') {
      const added = strings(node['add']).map((capability) => capability.toUpperCase().replace(/^CAP_/, ''));
      if (added.length > 0) {
        const critical = added.filter((capability) => criticalCapabilities.has(capability));
        flags.push({
          code: 'ADDED_CAPABILITIES',
          severity: critical.length > 0 ? 'high' : 'medium',
          message: `${label} adds Linux capabilities ${added.join(', ')}${critical.length > 0 ? ' (enough to take over the node)' : ''}.`,
        });
      }
    }
    if (node['allowPrivilegeEscalation'] === true) flags.push({ code: 'PRIVILEGE_ESCALATION', severity: 'medium', message: `${label} allows privilege escalation (allowPrivilegeEscalation: true).` });
    if (key === 'securityContext' && node['runAsUser'] === 0) flags.push({ code: 'RUN_AS_ROOT', severity: 'low', message: `${label} runs as root (runAsUser: 0).` });
    if (typeof node['hostPort'] === 'number' && node['hostPort'] > 0) flags.push({ code: 'HOST_PORT', severity: 'low', message: `${label} binds port ${node['hostPort']} on the node (hostPort).` });
  });
  return flags;
};

const secretRule: ObjectRule = (_object, { kind, label }) => (kind === 'Secret' ? [{ code: 'SECRET_CHANGE', severity: 'medium', message: `${label}: creates or changes a Secret.` }] : []);

function describeRule(rule: Record<string, unknown>): { verbs: string[]; resources: string[]; apiGroups: string[] } {
  return { verbs: strings(rule['verbs']), resources: strings(rule['resources']), apiGroups: strings(rule['apiGroups']) };
}

const roleRule: ObjectRule = (object, { kind, label }) => {
  if (kind !== 'Role' && kind !== 'ClusterRole') return [];
  const rules = entriesOf(object['rules']).filter(isObject).map(describeRule);
  const flags: RiskFlag[] = [];
  const scope = kind === 'ClusterRole' ? 'in every namespace' : 'in its namespace';
  for (const { verbs, resources } of rules) {
    const allVerbs = verbs.includes('*');
    const allResources = resources.includes('*');
    if (allVerbs && allResources) {
      flags.push(
        kind === 'ClusterRole'
          ? { code: 'CLUSTER_ADMIN_GRANT', severity: 'high', message: `${label} grants every verb on every resource (equivalent to cluster-admin).` }
          : { code: 'RBAC_GRANT', severity: 'high', message: `${label} grants every verb on every resource ${scope}.` },
      );
    } else if (allVerbs || allResources) {
      flags.push({ code: 'RBAC_GRANT', severity: 'high', message: `${label} grants ${allVerbs ? 'every verb' : verbs.join(', ')} on ${allResources ? 'every resource' : resources.join(', ')} ${scope}.` });
    } else if (verbs.some((verb) => ['escalate', 'bind', 'impersonate'].includes(verb))) {
      flags.push({ code: 'RBAC_GRANT', severity: 'high', message: `${label} grants ${verbs.filter((verb) => ['escalate', 'bind', 'impersonate'].includes(verb)).join(', ')} (lets its holder raise its own permissions).` });
    } else if (resources.some((resource) => resource === 'secrets') && verbs.some((verb) => ['get', 'list', 'watch'].includes(verb))) {
      flags.push({ code: 'RBAC_GRANT', severity: 'high', message: `${label} grants reading Secrets ${scope}.` });
    } else if (resources.some((resource) => ['pods/exec', 'pods/attach', 'nodes/proxy'].includes(resource))) {
      flags.push({ code: 'RBAC_GRANT', severity: 'high', message: `${label} grants ${resources.filter((resource) => ['pods/exec', 'pods/attach', 'nodes/proxy'].includes(resource)).join(', ')} (running commands in pods).` });
    }
  }
  if (flags.length === 0 && rules.length > 0) flags.push({ code: 'RBAC_GRANT', severity: 'medium', message: `${label} changes RBAC permissions (${rules.length} rule(s)).` });
  return flags;
};

const broadGroups = new Set(['system:authenticated', 'system:unauthenticated', 'system:serviceaccounts']);

const bindingRule: ObjectRule = (object, { kind, label }) => {
  if (kind !== 'RoleBinding' && kind !== 'ClusterRoleBinding') return [];
  const roleRef = isObject(object['roleRef']) ? object['roleRef'] : undefined;
  const role = typeof roleRef?.['name'] === 'string' ? roleRef['name'] : undefined;
  const subjects = entriesOf(object['subjects']).filter(isObject);
  const who = subjects.map((subject) => `${subject['kind'] ?? 'subject'} ${subject['namespace'] ? `${subject['namespace']}/` : ''}${subject['name'] ?? '?'}`).join(', ') || 'its subjects';
  const flags: RiskFlag[] = [];
  if (role === 'cluster-admin') {
    flags.push({
      code: 'CLUSTER_ADMIN_GRANT',
      severity: 'high',
      message: `${label} binds cluster-admin to ${who}${kind === 'RoleBinding' ? ' (full control of the namespace)' : ' (full control of the cluster)'}.`,
    });
  } else if (kind === 'ClusterRoleBinding' && (role === 'admin' || role === 'edit')) {
    flags.push({ code: 'RBAC_GRANT', severity: 'high', message: `${label} binds ${role} in every namespace to ${who}.` });
  }
  const broad = subjects.filter((subject) => subject['kind'] === 'Group' && broadGroups.has(String(subject['name'])));
  if (broad.length > 0) flags.push({ code: 'RBAC_GRANT', severity: 'high', message: `${label} grants ${role ?? 'a role'} to ${broad.map((subject) => String(subject['name'])).join(', ')} (many or all users).` });
  if (flags.length === 0 && (role || subjects.length > 0)) flags.push({ code: 'RBAC_GRANT', severity: 'medium', message: `${label} grants ${role ? `role ${role}` : 'a role'} to ${who}.` });
  return flags;
};

const webhookRule: ObjectRule = (_object, { kind, label }) =>
  kind === 'MutatingWebhookConfiguration' || kind === 'ValidatingWebhookConfiguration'
    ? [{ code: 'ADMISSION_WEBHOOK', severity: 'medium', message: `${label}: admission webhooks see (and may change or block) every matching API request.` }]
    : [];

const scaleToZeroRule: ObjectRule = (object, { kind, label }) => {
  const spec = isObject(object['spec']) ? object['spec'] : undefined;
  if (!spec) return [];
  if (kind && workloadKinds.has(kind) && spec['replicas'] === 0) return [{ code: 'SCALE_TO_ZERO', severity: 'high', message: `${label} is scaled to 0 replicas (no pods serve it).` }];
  if (kind === 'HorizontalPodAutoscaler' && (spec['maxReplicas'] === 0 || spec['minReplicas'] === 0)) {
    return [{ code: 'SCALE_TO_ZERO', severity: 'high', message: `${label} lets the autoscaler scale its target to 0 replicas.` }];
  }
  return [];
};

/** The rules, in the order their flags are listed. */
export const objectRules: ObjectRule[] = [podSandboxRule, roleRule, bindingRule, secretRule, webhookRule, scaleToZeroRule];

export function assessObject(object: Record<string, unknown>, context: ObjectContext): RiskFlag[] {
  return objectRules.flatMap((rule) => rule(object, context));
}

/** A JSON patch folded into the object it would write: [{op: add, path: /spec/replicas, value: 0}] → {spec: {replicas: 0}}. */
export function patchFragment(operations: unknown[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const operation of operations) {
    if (!isObject(operation) || typeof operation['path'] !== 'string' || !('value' in operation)) continue;
    if (!['add', 'replace', 'copy', 'move', 'test'].includes(String(operation['op'])) || operation['op'] === 'test') continue;
    const segments = operation['path'].split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (segments.length === 0) {
      if (isObject(operation['value'])) Object.assign(root, operation['value']);
      continue;
    }
    let node = root;
    for (const segment of segments.slice(0, -1)) {
      if (!isObject(node[segment])) node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[segments.at(-1)!] = operation['value'];
  }
  return root;
}
