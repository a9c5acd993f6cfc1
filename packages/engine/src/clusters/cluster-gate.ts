/**
 * The gate's cluster step (issue 22), before any preview: which cluster a Kubernetes/Helm/Argo call acts on (its
 * `context`, else the conversation's cluster — written into the arguments, so the preview, the args hash and the
 * execution all name it), whether the requester's scope allows it, and, for a write, the approval policy that applies
 * there (a read-only cluster refuses the write here, before any approval is asked). A read across all namespaces by
 * a member limited to namespaces is limited to them (`limit`, run by limited-listing.ts). At execution,
 * `checkAtExecution` refuses an approved call whose cluster's API server is no longer the one that was approved, or
 * which an admin has since put outside the requester's (or the approver's) scope.
 */
import type { ClusterRef, ClusterStatus, MemberScope } from '@skyflo/protocol';
import type { ToolGateway, ToolInfo } from '../mcp/tool-gateway.ts';
import type { ApprovalPolicyApplied, ApprovalRecord } from '../ports/index.ts';
import type { ClusterDirectory } from './cluster-directory.ts';
import type { ClusterPolicies } from './cluster-policies.ts';
import { acceptsContext, actsOutsideNamespaces, isClusterTool, targetOf } from './cluster-target.ts';
import { customResourceScopesFor } from './custom-resource-scopes.ts';
import type { NamespaceLimit } from './limited-listing.ts';
import { clusterInScope, scopeRefusal } from './member-scope.ts';

export interface ClusterDeps {
  directory: ClusterDirectory;
  /** per-cluster approval policy; absent: the environment's policy everywhere */
  policies?: ClusterPolicies;
  /**
   * A user's scope as it is now (the users table), read right before an approved call runs: an admin may have
   * narrowed it since the call was proposed. Absent: the scope the run started with is used.
   */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
  /** asks the cluster's CRDs whether a custom resource is cluster-scoped (for members limited to namespaces) */
  tools?: Pick<ToolGateway, 'callTool'>;
}

/** What an approval binds about the cluster, stored with the approval row. */
export interface ClusterBinding {
  cluster: ClusterRef;
  namespace?: string;
  policy?: ApprovalPolicyApplied;
}

export type ClusterResolution =
  | { ok: true; args: Record<string, unknown>; binding?: ClusterBinding; /** run per allowed namespace (a scoped member's all-namespaces read) */ limit?: NamespaceLimit }
  | { ok: false; text: string; code: 'UNKNOWN_CLUSTER' | 'OUT_OF_SCOPE' | 'READ_ONLY_CLUSTER' | 'CLUSTER_UNAVAILABLE' };

export interface ResolveInput {
  tool: string;
  info: ToolInfo | undefined;
  args: Record<string, unknown>;
  /** the conversation's cluster */
  pinned?: string;
  /** the requester's scope */
  scope?: MemberScope;
  /** the call changes something (needs approval): the cluster policy applies */
  write: boolean;
}

export const clusterRefOf = (cluster: ClusterStatus): ClusterRef => ({ name: cluster.name, server: cluster.server, ...(cluster.label ? { label: cluster.label } : {}) });

export function createClusterGate(deps: ClusterDeps) {
  /**
   * For a member limited to namespaces: whether the call names a custom resource the cluster defines as
   * cluster-scoped, or why that cannot be told (then the call is refused: fail closed).
   */
  async function customScope(scope: MemberScope | undefined, cluster: string, tool: string, args: Record<string, unknown>): Promise<{ outside: boolean; refusal?: string }> {
    if (!scope?.namespaces || !deps.tools || !clusterInScope(scope, cluster)) return { outside: false };
    const outside = await customResourceScopesFor(deps.tools).outsideNamespaces(cluster, args);
    if (outside !== 'unknown') return { outside };
    return { outside: true, refusal: `Refused: the CustomResourceDefinitions of cluster ${cluster} could not be read, so whether ${tool} acts inside your namespaces (${scope.namespaces.join(', ')}) cannot be told. Nothing was run.` };
  }

  async function resolve(input: ResolveInput): Promise<ClusterResolution> {
    if (!isClusterTool(input.tool, input.info)) return { ok: true, args: input.args };
    let clusters: ClusterStatus[];
    try {
      clusters = await deps.directory.list();
    } catch (error) {
      // Fail closed: without the cluster list the engine cannot say (or bind) where the call would run.
      return { ok: false, code: 'CLUSTER_UNAVAILABLE', text: `Not run: the list of clusters could not be read (${error instanceof Error ? error.message : String(error)}), so where ${input.tool} would run cannot be checked. Try again shortly.` };
    }
    if (clusters.length === 0) return { ok: true, args: input.args }; // an MCP server from before clusters
    const target = targetOf(input.args);
    const name = target.context ?? input.pinned ?? clusters.find((cluster) => cluster.current)?.name;
    const cluster = name === undefined ? undefined : clusters.find((candidate) => candidate.name === name);
    if (!cluster) {
      return { ok: false, code: 'UNKNOWN_CLUSTER', text: `Not run: there is no cluster ${name ? `"${name}"` : '(none is current)'}; the clusters are ${clusters.map((known) => known.name).join(', ')}. Nothing was run.` };
    }
    let args = input.args;
    if (acceptsContext(input.info)) args = { ...input.args, context: cluster.name };
    else if (!cluster.current) {
      return { ok: false, code: 'UNKNOWN_CLUSTER', text: `Not run: ${input.tool} cannot be pointed at cluster ${cluster.name} (the MCP server does not accept a context for it), and it would run on the current cluster instead. Nothing was run.` };
    }
    const defaultNamespace = cluster.default_namespace ?? 'default';
    // A read across all namespaces by a member limited to namespaces runs in each of them instead (when the tool takes one).
    const limitable = !input.write && target.allNamespaces && !!input.scope?.namespaces && acceptsArgument(input.info, 'namespace');
    const custom = await customScope(input.scope, cluster.name, input.tool, args);
    if (custom.refusal) return { ok: false, code: 'OUT_OF_SCOPE', text: custom.refusal };
    const refusal = scopeRefusal({ scope: input.scope, tool: input.tool, args, cluster: cluster.name, target, defaultNamespace, limitable: limitable && !custom.outside, customClusterScoped: custom.outside });
    if (refusal) return { ok: false, code: 'OUT_OF_SCOPE', text: refusal };
    const namespace = actsOutsideNamespaces(input.tool, args) ? undefined : (target.namespace ?? (target.allNamespaces ? undefined : defaultNamespace));
    if (!input.write) {
      return { ok: true, args, binding: { cluster: clusterRefOf(cluster), ...(namespace ? { namespace } : {}) }, ...(limitable ? { limit: { patterns: input.scope!.namespaces!, cluster: cluster.name } } : {}) };
    }
    const policy = await deps.policies?.resolve(cluster.name, namespace);
    if (policy?.mode === 'read_only') {
      return {
        ok: false,
        code: 'READ_ONLY_CLUSTER',
        text: `Refused: cluster ${cluster.name}${namespace ? ` (namespace ${namespace})` : ''} is read-only (${policy.source}): changes are not allowed there, so no approval was asked and nothing was run. Read-only tools still work.`,
      };
    }
    return { ok: true, args, binding: { cluster: clusterRefOf(cluster), ...(namespace ? { namespace } : {}), ...(policy ? { policy } : {}) } };
  }

  /**
   * Right before an approved call runs: the cluster it was approved for must still be configured, with the same API
   * server, and (for a tool that takes no context) still be the current one; and it must not have become read-only.
   * Returns why not, or undefined when it may run.
   */
  async function checkStillSame(record: ApprovalRecord, exactArgs: Record<string, unknown>): Promise<string | undefined> {
    if (!record.cluster) return undefined;
    let clusters: ClusterStatus[];
    try {
      clusters = await deps.directory.list({ refresh: true });
    } catch (error) {
      return `the clusters could not be read to confirm ${record.cluster.name} is still the approved one (${error instanceof Error ? error.message : String(error)})`;
    }
    const now = clusters.find((cluster) => cluster.name === record.cluster!.name);
    if (!now) return `cluster ${record.cluster.name} is no longer configured`;
    if (now.server !== record.cluster.server) return `cluster ${record.cluster.name} now points at ${now.server}, not ${record.cluster.server} as approved`;
    if (typeof exactArgs['context'] === 'string' && exactArgs['context'] !== record.cluster.name) return `the call names cluster ${exactArgs['context']}, not ${record.cluster.name} as approved`;
    if (exactArgs['context'] === undefined && !now.current) return `cluster ${record.cluster.name} is no longer the current context, and ${record.tool} takes no context`;
    const policy = await deps.policies?.resolve(record.cluster.name, record.namespace);
    if (policy?.mode === 'read_only') return `cluster ${record.cluster.name} became read-only (${policy.source}) after the approval`;
    return undefined;
  }

  /**
   * Everything checked right before an approved call runs (issue 22): its cluster is still the approved one
   * (`CLUSTER_CHANGED`), and it is still inside the scope of the member who asked for it and of the one who approved
   * it, as an admin has it now (`OUT_OF_SCOPE`). Returns the refusal to record and show, or undefined to run.
   */
  async function checkAtExecution(
    record: ApprovalRecord,
    exactArgs: Record<string, unknown>,
    run: { scope?: MemberScope; approverId?: string },
  ): Promise<{ code: 'CLUSTER_CHANGED' | 'OUT_OF_SCOPE'; text: string } | undefined> {
    // Fails closed: a check that cannot finish (the policy store or a CRD read throwing) is a refusal to record, never
    // an exception that leaves the claimed call neither run nor marked.
    try {
      return await checkStillSameAndInScope(record, exactArgs, run);
    } catch (error) {
      return { code: 'CLUSTER_CHANGED', text: `Not executed: whether ${record.tool} still runs on the cluster it was approved for could not be checked (${error instanceof Error ? error.message : String(error)}).\nNothing was changed.` };
    }
  }

  async function checkStillSameAndInScope(
    record: ApprovalRecord,
    exactArgs: Record<string, unknown>,
    run: { scope?: MemberScope; approverId?: string },
  ): Promise<{ code: 'CLUSTER_CHANGED' | 'OUT_OF_SCOPE'; text: string } | undefined> {
    const who: Array<{ role: string; id: string | undefined }> = [{ role: 'requester', id: record.requestedBy }];
    if (run.approverId && run.approverId !== record.requestedBy) who.push({ role: 'approver', id: run.approverId });
    // The scopes are read while the cluster list is refreshed: this sits on the approval → execution path.
    // Without a way to read them now, the requester's scope is the one this run started with (the approver's was
    // checked when they decided).
    const scopes = record.cluster
      ? Promise.all(
          who.map(async (person) => {
            try {
              return { person, scope: deps.scopeOf && person.id ? await deps.scopeOf(person.id) : person.role === 'requester' ? run.scope : undefined };
            } catch (error) {
              return { person, error: error instanceof Error ? error.message : String(error) };
            }
          }),
        )
      : undefined;
    const change = await checkStillSame(record, exactArgs);
    if (change !== undefined) {
      return { code: 'CLUSTER_CHANGED', text: `Not executed: the cluster of ${record.tool} changed after it was approved — ${change}.\nNothing was changed. Check the cluster configuration and propose the change again if it is still right.` };
    }
    if (!record.cluster || !scopes) return undefined;
    for (const entry of await scopes) {
      const { person } = entry;
      if ('error' in entry) {
        return { code: 'OUT_OF_SCOPE', text: `Not executed: the ${person.role}'s scope could not be read to confirm ${record.tool} is still inside it (${entry.error}). Nothing was changed; decide it again.` };
      }
      const scope = entry.scope;
      const custom = await customScope(scope, record.cluster.name, record.tool, exactArgs);
      const refusal = custom.refusal ?? scopeRefusal({ scope, tool: record.tool, args: exactArgs, cluster: record.cluster.name, target: targetOf(exactArgs), defaultNamespace: record.namespace ?? 'default', customClusterScoped: custom.outside });
      if (refusal) {
        return {
          code: 'OUT_OF_SCOPE',
          text: `Not executed: ${record.tool} is no longer inside the ${person.role}'s scope — an admin changed the scope after the call was proposed. ${refusal.replace(/^Refused: /, '').replace(/ Nothing was run\.$/, '')}\nNothing was changed.`,
        };
      }
    }
    return undefined;
  }

  return { resolve, checkStillSame, checkAtExecution };
}

/** Whether the tool's listed arguments include `name`. */
function acceptsArgument(info: ToolInfo | undefined, name: string): boolean {
  const properties = (info?.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return !!properties && Object.prototype.hasOwnProperty.call(properties, name);
}

export type ClusterGate = ReturnType<typeof createClusterGate>;
