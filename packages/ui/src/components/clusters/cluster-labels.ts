/**
 * What the Command Center says about clusters, as plain functions (node-tested without JSX): the approval card's
 * headline ("prod-eu · namespace payments"), the cluster of any tool card, the home page's health strip, the
 * policy modes and the scope editor's parsing.
 */
import type { ClusterPolicy, ClusterPolicyMode, ClusterStatus, HealthResponse, MemberScope } from '@skyflo/protocol';

/** The approval facts a card may carry (tool.awaiting_approval / the stored record). */
export interface ClusterFacts {
  args: Record<string, unknown>;
  cluster?: { name: string; server: string; label?: string };
  namespace?: string;
  /** every namespace the call writes, when more than `namespace` (a Helm chart's objects, issue 31) */
  namespaces?: string[];
  /** it also writes cluster-scoped objects */
  cluster_scoped?: boolean;
}

/** The cluster a call runs on: the one the approval is bound to, else the `context` argument the engine filled in. */
export function clusterOfCall(tool: ClusterFacts): { name: string; server?: string; label?: string } | undefined {
  if (tool.cluster) return tool.cluster;
  const context = tool.args['context'];
  return typeof context === 'string' && context.trim() ? { name: context } : undefined;
}

/** The namespace a call targets: the approval's, else its `namespace` argument. */
export function namespaceOfCall(tool: ClusterFacts): string | undefined {
  if (tool.namespace) return tool.namespace;
  const namespace = tool.args['namespace'];
  return typeof namespace === 'string' && namespace.trim() ? namespace : undefined;
}

/**
 * "prod-eu · namespace payments", "prod-eu · all namespaces" (a cluster-scoped call says nothing about a namespace);
 * a call whose objects reach several namespaces names them all ("staging · namespaces shop, prod"), and cluster-scoped
 * objects too: nobody approves a write to prod reading only "shop".
 */
export function clusterHeadline(tool: ClusterFacts): string | undefined {
  const cluster = clusterOfCall(tool);
  if (!cluster) return undefined;
  const clusterWide = tool.cluster_scoped ? ' + cluster-scoped objects' : '';
  if (tool.namespaces && tool.namespaces.length > 1) return `${cluster.name} · namespaces ${tool.namespaces.join(', ')}${clusterWide}`;
  const namespace = namespaceOfCall(tool);
  if (namespace) return `${cluster.name} · namespace ${namespace}${clusterWide}`;
  return tool.args['all_namespaces'] === true ? `${cluster.name} · all namespaces` : `${cluster.name}${clusterWide}`;
}

/** A label badge's text and tone: production-like labels are red, so nobody approves in prod thinking it is staging. */
export function labelBadge(label: string | undefined): { text: string; tone: 'danger' | 'warn' | 'neutral' } | undefined {
  if (!label?.trim()) return undefined;
  const text = label.trim().toUpperCase();
  if (/^(prod|production|prd|live)\b/i.test(label.trim())) return { text, tone: 'danger' };
  if (/^(stag|staging|stage|pre|preprod|uat)/i.test(label.trim())) return { text, tone: 'warn' };
  return { text, tone: 'neutral' };
}

export interface HealthStripItem {
  name: string;
  label?: string;
  reachable: boolean;
  /** what the strip says under the name: the version and identity, or why it cannot be reached */
  detail: string;
  current: boolean;
}

/**
 * One item per cluster for the home page's health strip: unreachable ones first (what needs attention), each saying
 * why; `/health`'s degraded components fill in a reason the cluster list did not give.
 */
export function healthStrip(clusters: ClusterStatus[], health?: HealthResponse): HealthStripItem[] {
  const healthReason = (name: string): string | undefined => {
    const listed = health?.clusters?.find((cluster) => cluster.name === name)?.error;
    if (listed) return listed;
    const component = Object.entries(health?.components ?? {}).find(([key]) => key === name || key === `cluster ${name}` || key === `cluster:${name}` || key === `clusters.${name}`);
    return component && component[1] !== 'ok' ? component[1].replace(/^error: /, '') : undefined;
  };
  return clusters
    .map((cluster) => ({
      name: cluster.name,
      label: cluster.label,
      reachable: cluster.reachable,
      current: cluster.current,
      detail: cluster.reachable
        ? [cluster.version, cluster.identity ? `as ${cluster.identity}` : undefined].filter(Boolean).join(' · ') || 'reachable'
        : (cluster.error ?? healthReason(cluster.name) ?? 'not reachable (no reason given)'),
    }))
    .sort((a, b) => Number(a.reachable) - Number(b.reachable) || a.name.localeCompare(b.name));
}

export const policyModes: Array<{ mode: ClusterPolicyMode; label: string; help: string }> = [
  { mode: 'read_only', label: 'Read-only', help: 'No change runs here; a write is refused before any approval is asked.' },
  { mode: 'self', label: 'Requester approves', help: 'The person who asked may approve their own change.' },
  { mode: 'approver', label: 'Approver required', help: 'Only an approver or admin may approve.' },
  { mode: 'four_eyes', label: 'Four eyes', help: 'Two people: someone other than the requester must approve.' },
];

export function policyModeLabel(mode: string | undefined): string {
  return policyModes.find((entry) => entry.mode === mode)?.label ?? (mode ? mode : 'Default');
}

/** "payments-*, checkout" → ["payments-*", "checkout"]: comma, space or newline separated, blanks and repeats dropped. */
export function parseList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((item) => item.trim()).filter(Boolean))];
}

/** A glob as the engine reads it ("payments-*"): lower-case names, digits, '-', '.', and '*' wildcards. */
export function invalidPatterns(patterns: string[]): string[] {
  return patterns.filter((pattern) => !/^[a-z0-9*]([-a-z0-9.*]*[a-z0-9*])?$/.test(pattern));
}

/**
 * The body of PATCH /team/members/{id}/scope from the editor's fields: an empty field means "every" (the key is
 * left out), so clearing both fields gives the member everything again.
 */
export function scopeFromFields(clusters: string[], namespacesText: string): MemberScope {
  const namespaces = parseList(namespacesText);
  return { ...(clusters.length > 0 ? { clusters } : {}), ...(namespaces.length > 0 ? { namespaces } : {}) };
}

/** "prod-eu, staging · payments-*" or "Everything" for the team table. */
export function describeScope(scope: MemberScope | undefined): string {
  const clusters = scope?.clusters?.length ? scope.clusters.join(', ') : 'all clusters';
  const namespaces = scope?.namespaces?.length ? scope.namespaces.join(', ') : 'all namespaces';
  return !scope?.clusters?.length && !scope?.namespaces?.length ? 'Everything' : `${clusters} · ${namespaces}`;
}

/** The policies of one cluster (its cluster-wide one first, then namespace patterns), for the Settings table. */
export function policiesOf(policies: ClusterPolicy[], cluster: string): ClusterPolicy[] {
  return policies.filter((policy) => policy.cluster === cluster).sort((a, b) => Number(!!a.namespace_pattern) - Number(!!b.namespace_pattern) || (a.namespace_pattern ?? '').localeCompare(b.namespace_pattern ?? ''));
}

/**
 * Replaces one cluster's policies in the full list (PUT sends them all): a cluster-wide `mode` (undefined = the
 * engine's default, no row) and its namespace rows; rows without a pattern are dropped, the first of a repeated
 * pattern wins.
 */
export function withClusterPolicies(policies: ClusterPolicy[], cluster: string, mode: ClusterPolicyMode | undefined, namespaceRows: Array<{ pattern: string; mode: ClusterPolicyMode }>): ClusterPolicy[] {
  const seen = new Set<string>();
  const rows = namespaceRows
    .map((row) => ({ pattern: row.pattern.trim(), mode: row.mode }))
    .filter((row) => row.pattern && !seen.has(row.pattern) && seen.add(row.pattern))
    .map((row) => ({ cluster, namespace_pattern: row.pattern, mode: row.mode }));
  return [...policies.filter((policy) => policy.cluster !== cluster), ...(mode ? [{ cluster, mode }] : []), ...rows];
}

/** The cluster a conversation is on: the one it is pinned to, else the kubeconfig's current one (the engine's default). */
export function effectiveCluster(clusters: ClusterStatus[] | undefined, pinned: string | undefined): { cluster?: ClusterStatus; name?: string } {
  if (pinned) return { cluster: clusters?.find((cluster) => cluster.name === pinned), name: pinned };
  const current = clusters?.find((cluster) => cluster.current);
  return { cluster: current, name: current?.name };
}
