/**
 * Risk flags for a mutating tool call, for the approval card: an ordered list of small pure rules, each
 * looking at one tool (or family) and returning what it finds — privileged pod settings, RBAC grants,
 * cluster-scoped and namespace deletes, scale to 0, Secret changes, arbitrary exec, drains, uninstalls.
 * Pure on purpose: no cluster access, so it runs for every call before approval, also for calls that will fail.
 * A flag names what it found; it never carries a Secret value (messages quote names and paths only).
 */
import { parse, parseAllDocuments } from 'yaml';
import type { RiskFlag } from '@skyflo/protocol';
import { assessObject, patchFragment } from './object-risks.ts';
import { kindOf } from './resource-kinds.ts';

export type { RiskFlag };

type Arguments = Record<string, unknown>;

interface ToolRiskRule {
  /** tool names the rule looks at */
  tools: readonly string[];
  assess: (args: Arguments, tool: string) => RiskFlag[];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function isObject(value: unknown): value is Record<string, unknown> {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Risks of the Kubernetes objects in a YAML stream (k8s_apply content, or a chart's rendered manifests). Exported
 * for helm_upgrade_diff, which assesses the documents a chart would add or change.
 */
export function assessManifest(content: string, options: { namespace?: string } = {}): RiskFlag[] {
  let documents: unknown[];
  try {
    documents = parseAllDocuments(content).map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors[0]!.message);
      return document.toJSON();
    });
  } catch {
    return [{ code: 'UNREADABLE_MANIFEST', severity: 'medium', message: 'The manifest is not valid YAML, so its risks could not be assessed.' }];
  }
  const objects = documents.flatMap((document) => (isObject(document) && document['kind'] === 'List' && Array.isArray(document['items']) ? document['items'] : [document])).filter(isObject);
  return objects.flatMap((object, index) => {
    const metadata = isObject(object['metadata']) ? object['metadata'] : {};
    const kind = typeof object['kind'] === 'string' ? object['kind'] : undefined;
    const name = typeof metadata['name'] === 'string' ? metadata['name'] : `document ${index + 1}`;
    const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : options.namespace;
    const label = `${kind ?? 'Object'} ${namespace && kindOf(kind)?.clusterScoped !== true ? `${namespace}/` : ''}${name}`;
    return [...assessObject(object, { kind, label }), ...systemNamespace(namespace, label)];
  });
}

const systemNamespaces = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

function systemNamespace(namespace: unknown, what: string): RiskFlag[] {
  return typeof namespace === 'string' && systemNamespaces.has(namespace)
    ? [{ code: 'SYSTEM_NAMESPACE', severity: 'medium', message: `${what} is in ${namespace}, where the cluster's own components run.` }]
    : [];
}

function parsePatch(patch: string): unknown {
  try {
    return parse(patch);
  } catch {
    return undefined;
  }
}

/** The rules, in the order their flags are listed (after sorting by severity). */
export const toolRiskRules: ToolRiskRule[] = [
  {
    tools: ['k8s_apply'],
    assess: (args) => {
      const content = text(args['content']);
      return content ? assessManifest(content, { namespace: text(args['namespace']) }) : [];
    },
  },
  {
    tools: ['k8s_patch'],
    assess: (args) => {
      const kind = kindOf(args['resource_type']);
      const label = `${kind?.kind ?? String(args['resource_type'] ?? 'object')} ${args['namespace'] && !kind?.clusterScoped ? `${String(args['namespace'])}/` : ''}${String(args['name'] ?? '')}`;
      const body = parsePatch(text(args['patch']) ?? '');
      if (body === undefined) return [{ code: 'UNREADABLE_PATCH', severity: 'medium', message: `The patch of ${label} is not valid JSON or YAML, so its risks could not be assessed.` }];
      // All three patch types end up as "the fields this writes": a JSON patch is folded into an object first.
      const fragment = Array.isArray(body) ? patchFragment(body) : isObject(body) ? body : {};
      return [...assessObject(fragment, { kind: kind?.kind, label }), ...systemNamespace(args['namespace'], label)];
    },
  },
  {
    tools: ['k8s_delete'],
    assess: (args) => {
      const kind = kindOf(args['resource_type']);
      const name = String(args['name'] ?? '');
      if (kind?.kind === 'Namespace') {
        return [{ code: 'NAMESPACE_DELETE', severity: 'high', message: `Deletes namespace ${name} and everything in it.` }];
      }
      const flags: RiskFlag[] = [];
      if (kind?.kind === 'CustomResourceDefinition') flags.push({ code: 'CLUSTER_SCOPED_DELETE', severity: 'high', message: `Deletes CustomResourceDefinition ${name} and every object of that type in every namespace.` });
      else if (kind?.clusterScoped) flags.push({ code: 'CLUSTER_SCOPED_DELETE', severity: 'high', message: `Deletes the cluster-scoped ${kind.kind} ${name}.` });
      if (kind?.kind === 'Secret') flags.push({ code: 'SECRET_CHANGE', severity: 'medium', message: `Deletes Secret ${String(args['namespace'] ?? 'default')}/${name}.` });
      if (kind?.kind === 'PersistentVolumeClaim' || kind?.kind === 'PersistentVolume') {
        flags.push({ code: 'DATA_LOSS', severity: 'high', message: `Deletes ${kind.kind} ${name}; with a Delete reclaim policy its data is gone for good.` });
      }
      if (kind && ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(kind.kind)) {
        flags.push({ code: 'RBAC_CHANGE', severity: 'medium', message: `Deletes ${kind.kind} ${name}; whoever relies on it loses those permissions.` });
      }
      return [...flags, ...systemNamespace(kind?.clusterScoped ? undefined : args['namespace'], `${kind?.kind ?? String(args['resource_type'])} ${name}`)];
    },
  },
  {
    tools: ['k8s_scale'],
    assess: (args) =>
      args['replicas'] === 0
        ? [{ code: 'SCALE_TO_ZERO', severity: 'high', message: `Scales ${kindOf(args['resource_type'])?.kind ?? String(args['resource_type'])} ${String(args['namespace'] ?? 'default')}/${String(args['name'])} to 0 replicas (no pods serve it).` }]
        : [],
  },
  {
    tools: ['k8s_exec'],
    assess: (args) => [
      { code: 'ARBITRARY_EXEC', severity: 'high', message: `Runs a command inside pod ${String(args['namespace'] ?? 'default')}/${String(args['pod_name'])} with the container's access (files, Secrets mounted there, network).` },
    ],
  },
  {
    tools: ['k8s_run_pod'],
    assess: (args) => [{ code: 'RUN_IMAGE', severity: 'medium', message: `Starts pod ${String(args['name'])} from image ${String(args['image'])}${args['command'] ? ' with a custom command' : ''}.` }],
  },
  {
    tools: ['k8s_drain'],
    assess: (args) => [
      { code: 'NODE_DRAIN', severity: 'high', message: `Evicts every pod from node ${String(args['node_name'])} and cordons it.` },
      ...(args['delete_emptydir_data'] === true ? [{ code: 'DATA_LOSS', severity: 'medium' as const, message: `Pods with emptyDir volumes on ${String(args['node_name'])} lose that data.` }] : []),
    ],
  },
  {
    tools: ['k8s_cordon'],
    assess: (args) => [{ code: 'NODE_CORDON', severity: 'low', message: `No new pods will be scheduled on node ${String(args['node_name'])}.` }],
  },
  {
    tools: ['k8s_port_forward'],
    assess: (args) => [{ code: 'PORT_FORWARD', severity: 'low', message: `Opens a local port on the MCP server host to ${String(args['resource_type'] ?? 'pod')} ${String(args['namespace'] ?? 'default')}/${String(args['name'] ?? args['resource_name'] ?? '')}.` }],
  },
  {
    tools: ['helm_uninstall'],
    assess: (args) => [
      { code: 'RELEASE_UNINSTALL', severity: 'high', message: `Uninstalls Helm release ${String(args['namespace'] ?? 'default')}/${String(args['release_name'])} and deletes every object it created.` },
    ],
  },
  {
    tools: ['helm_install', 'helm_install_with_values', 'helm_upgrade'],
    assess: (args) => {
      const label = `Helm release ${String(args['namespace'] ?? 'default')}/${String(args['release_name'])}`;
      const values = text(args['values']);
      const parsed = values ? parsePatch(values) : undefined;
      // Values are not manifests, but charts commonly pass hostNetwork/privileged/hostPath values straight through.
      const fromValues = isObject(parsed) ? assessObject(parsed, { label: `${label} values` }) : [];
      return [...fromValues, ...systemNamespace(args['namespace'], label)];
    },
  },
  {
    tools: ['helm_repo_add'],
    assess: (args) => [
      { code: 'NEW_CHART_SOURCE', severity: 'low', message: `Adds chart repository ${String(args['url'])}: its charts can then be installed, and read-only tools may contact it.` },
    ],
  },
  {
    tools: ['argo_abort_rollout'],
    assess: (args) => [{ code: 'ROLLOUT_ABORT', severity: 'medium', message: `Aborts rollout ${String(args['namespace'] ?? 'default')}/${String(args['name'])}: traffic goes back to the stable version.` }],
  },
  {
    tools: ['argo_promote'],
    assess: (args) =>
      args['full'] === true
        ? [{ code: 'FULL_PROMOTION', severity: 'medium', message: `Promotes rollout ${String(args['namespace'] ?? 'default')}/${String(args['name'])} to 100% at once, skipping the remaining steps, pauses and analysis.` }]
        : [],
  },
  {
    tools: ['jenkins_stop_build'],
    assess: (args) => [{ code: 'BUILD_ABORT', severity: 'low', message: `Aborts build ${String(args['build'] ?? 'lastBuild')} of ${String(args['jobFullName'])}.` }],
  },
];

const byTool = new Map<string, ToolRiskRule[]>();
for (const rule of toolRiskRules) for (const tool of rule.tools) byTool.set(tool, [...(byTool.get(tool) ?? []), rule]);

const severityOrder = { high: 0, medium: 1, low: 2 } as const;

/** Same code and message once; high first, then medium, then low, otherwise in rule order. */
export function mergeRisks(...lists: RiskFlag[][]): RiskFlag[] {
  const seen = new Set<string>();
  const merged: RiskFlag[] = [];
  for (const flag of lists.flat()) {
    const key = `${flag.code}\u0000${flag.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(flag);
  }
  return merged.sort((a, b) => severityOrder[a.severity] - severityOrder[b.severity]);
}

/**
 * The risk flags of one tool call, most severe first. Meant for mutating calls (the engine asks for every call
 * that needs approval); a tool without rules, or arguments that say nothing risky, give [].
 */
export function assessToolCallRisks(tool: string, args: Record<string, unknown>): RiskFlag[] {
  const rules = byTool.get(tool) ?? [];
  return mergeRisks(...rules.map((rule) => rule.assess(args ?? {}, tool)));
}
