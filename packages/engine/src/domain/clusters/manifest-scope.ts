/**
 * Scope for what a Helm call really writes (issue 31). A chart installed into `staging` may template a ConfigMap with
 * `metadata.namespace: prod`, or a ClusterRoleBinding; the release namespace in the arguments says nothing about them.
 * So, like k8s_apply per document, a Helm call is judged on every object of the manifest its preview rendered (the
 * manifest the approval's digest covers), and on the objects an upgrade, rollback or uninstall deletes: each is placed
 * in its namespace (metadata.namespace, else the release's), outside every namespace (a cluster-scoped kind), or
 * nowhere (a document that could not be read). Pure rules; the gate supplies the objects and the cluster's CRDs.
 */
import type { ManifestObjectRef, MemberScope, RiskFlag } from '@skyflo/protocol';
import { namespaceInScope } from './member-scope.ts';

/** One object of a rendered manifest, as the MCP server's preview reports it (preview_tool_call `objects`, the protocol's shape). */
export type WrittenObject = ManifestObjectRef;

/** The Helm tools that write a manifest: their preview reports its objects, and scope is judged on those. */
export const manifestTools: ReadonlySet<string> = new Set(['helm_install', 'helm_install_with_values', 'helm_upgrade', 'helm_rollback', 'helm_uninstall']);

/** The preview's `objects`, read defensively: undefined when absent or not a list (then nothing can be placed). */
export function writtenObjectsOf(value: unknown): WrittenObject[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const text = (field: unknown) => (typeof field === 'string' && field ? field : undefined);
  return value.map((item) => {
    const entry = item && typeof item === 'object' ? (item as Record<string, unknown>) : {};
    const [kind, apiVersion, name, namespace] = [text(entry['kind']), text(entry['apiVersion']), text(entry['name']), text(entry['namespace'])];
    return { ...(kind ? { kind } : {}), ...(apiVersion ? { apiVersion } : {}), ...(name ? { name } : {}), ...(namespace ? { namespace } : {}), ...(entry['removed'] === true ? { removed: true } : {}) };
  });
}

export interface Placement {
  /** every namespace the call writes, the release's first, then the others in order of appearance */
  namespaces: string[];
  /** namespace → the objects written there, as "ConfigMap prod/settings" */
  byNamespace: Map<string, string[]>;
  /** objects outside every namespace, as "ClusterRoleBinding everyone-admin" */
  clusterScoped: string[];
  /** documents whose kind could not be read: they cannot be placed */
  unplaced: string[];
}

function labelOf(object: WrittenObject, namespace: string | undefined): string {
  const name = object.name ?? '(unnamed)';
  return `${object.kind ?? 'document'} ${namespace ? `${namespace}/` : ''}${name}${object.removed ? ' (deleted)' : ''}`;
}

/**
 * Where each object lands. `clusterScoped[i]` says whether objects[i]'s kind lives outside namespaces (the built-in
 * table and the cluster's CRDs, looked up by the caller). The release namespace is always written (helm keeps the
 * release record there), so it is always listed first.
 */
export function placeObjects(objects: readonly WrittenObject[], releaseNamespace: string, clusterScoped: readonly boolean[]): Placement {
  const placement: Placement = { namespaces: [releaseNamespace], byNamespace: new Map([[releaseNamespace, []]]), clusterScoped: [], unplaced: [] };
  objects.forEach((object, index) => {
    if (!object.kind) return void placement.unplaced.push(labelOf(object, object.namespace));
    if (clusterScoped[index]) return void placement.clusterScoped.push(labelOf(object, undefined));
    const namespace = object.namespace ?? releaseNamespace;
    if (!placement.byNamespace.has(namespace)) {
      placement.byNamespace.set(namespace, []);
      placement.namespaces.push(namespace);
    }
    placement.byNamespace.get(namespace)!.push(labelOf(object, namespace));
  });
  return placement;
}

/** "a, b, c and 4 more": a refusal or flag names the objects, but a chart of hundreds does not fill the card. */
function listed(labels: readonly string[], max = 8): string {
  return labels.length <= max ? labels.join(', ') : `${labels.slice(0, max).join(', ')} and ${labels.length - max} more`;
}

/**
 * Why the call writes outside `scope`, naming the objects; undefined when every object is inside. Only a scope limited
 * to namespaces can be left by a manifest (the cluster was checked on the arguments). Ends with "Nothing was run."
 * like the other scope refusals (the gate rewords it at execution).
 */
export function manifestScopeRefusal(input: { scope: MemberScope | undefined; tool: string; cluster: string; placement: Placement }): string | undefined {
  const { scope, placement } = input;
  if (!scope?.namespaces) return undefined;
  const allowed = scope.namespaces.join(', ') || 'none';
  const outside = [
    ...placement.namespaces.filter((namespace) => !namespaceInScope(scope, namespace)).flatMap((namespace) => placement.byNamespace.get(namespace)!.map((label) => `${label} (namespace ${namespace})`)),
    ...placement.clusterScoped.map((label) => `${label} (cluster-scoped)`),
    ...placement.unplaced.map((label) => `${label} (unreadable, cannot be placed in a namespace)`),
  ];
  // (the release namespace itself is judged on the arguments, before the preview)
  if (outside.length === 0) return undefined;
  return `Refused: ${input.tool} writes objects outside your scope in cluster ${input.cluster} (you may use the namespaces ${allowed}): ${listed(outside)}. Nothing was run.`;
}

/**
 * The card's flags for a manifest that reaches beyond its release namespace: several namespaces (all named), and
 * cluster-scoped objects. The approver must not read "staging" and approve a write to prod.
 */
export function placementRisks(placement: Placement): RiskFlag[] {
  const risks: RiskFlag[] = [];
  if (placement.namespaces.length > 1) {
    const [release, ...others] = placement.namespaces;
    const elsewhere = others.flatMap((namespace) => placement.byNamespace.get(namespace)!);
    risks.push({
      code: 'MULTIPLE_NAMESPACES',
      severity: 'medium',
      message: `Writes to ${placement.namespaces.length} namespaces (${placement.namespaces.join(', ')}), not only the release namespace ${release}: ${listed(elsewhere)}.`,
    });
  }
  if (placement.clusterScoped.length > 0) {
    risks.push({ code: 'CLUSTER_SCOPED_OBJECTS', severity: 'medium', message: `Writes objects outside any namespace (cluster-scoped): ${listed(placement.clusterScoped)}.` });
  }
  if (placement.unplaced.length > 0) {
    risks.push({ code: 'UNREADABLE_MANIFEST', severity: 'medium', message: `${placement.unplaced.length} document(s) of the manifest could not be read, so where they land cannot be told.` });
  }
  return risks;
}
