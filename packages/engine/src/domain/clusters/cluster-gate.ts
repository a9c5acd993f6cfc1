/**
 * The gate's cluster step (issue 22), before any preview: which cluster a Kubernetes/Helm/Argo call acts on (its
 * `context`, else the conversation's cluster — written into the arguments, so the preview, the args hash and the
 * execution all name it), whether the requester's scope allows it, and, for a write, the approval policy that applies
 * there (a read-only cluster refuses the write here, before any approval is asked). A read across all namespaces by
 * a member limited to namespaces is limited to them (`limit`, run by limited-listing.ts). At execution,
 * `checkAtExecution` refuses an approved call whose cluster's API server is no longer the one that was approved, or
 * which an admin has since put outside the requester's (or the approver's) scope. A Helm call is also judged on every
 * object of its rendered manifest (`judgeWrites`, issue 31), at preview and again at execution.
 */
import { isExternalToolName, type ClusterRef, type ClusterStatus, type MemberScope } from '@skyflo/protocol';
import type { ToolGateway, ToolInfo } from '../../platform/ports/tool-gateway.ts';
import type { ApprovalPolicyApplied, ApprovalRecord } from '../../platform/ports/index.ts';
import type { ClusterDirectory } from './cluster-directory.ts';
import type { ClusterPolicies } from './cluster-policies.ts';
import { acceptsContext, actsOutsideNamespaces, isClusterTool, targetOf } from './cluster-target.ts';
import { customResourceScopesFor } from './custom-resource-scopes.ts';
import type { NamespaceLimit } from './limited-listing.ts';
import { clusterInScope, namespaceInScope, scopeRefusal } from './member-scope.ts';
import { isClusterScopedKind } from './cluster-scoped-kinds.ts';
import { manifestScopeRefusal, manifestTools, placeObjects, type Placement, type WrittenObject } from './manifest-scope.ts';

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

/** A Helm call's rendered objects as the re-run preview reported them, and whether that preview matched the approved one. */
export interface WritesAtExecution {
  objects?: WrittenObject[];
  /**
   * false: the objects are not judged by this check — the preview changed since the approval (the call is refused
   * TARGET_CHANGED instead), or an automatic revert is checked before its preview (and judged again after it)
   */
  matched: boolean;
}

/** The stricter of two approval policies: read_only > four_eyes > approver > self. */
const strictness: Record<string, number> = { read_only: 3, four_eyes: 2, approver: 1, self: 0 };

export const clusterRefOf = (cluster: ClusterStatus): ClusterRef => ({ name: cluster.name, server: cluster.server, ...(cluster.label ? { label: cluster.label } : {}) });

/**
 * Issue 74 item 3: why a tool of an external MCP server, declared by its admin to act on `cluster` (and `namespace`,
 * or any namespace when none is declared), is outside `scope`; undefined when it is inside. Its arguments are the
 * server's business and say nothing the gate can trust about where it acts: only the declaration counts.
 */
export function declaredTargetRefusal(scope: MemberScope | undefined, tool: string, cluster: string, namespace: string | undefined): string | undefined {
  if (!scope) return undefined;
  if (!clusterInScope(scope, cluster)) return `Refused: ${tool} acts on cluster ${cluster} (as an admin declared for its MCP server), which is outside your scope (you may use ${scope.clusters!.join(', ') || 'no cluster'}). Nothing was run.`;
  if (!scope.namespaces) return undefined;
  const allowed = scope.namespaces.join(', ') || 'none';
  if (namespace === undefined) return `Refused: ${tool} may act in any namespace of cluster ${cluster} (its MCP server declares no namespace), and your scope is limited to the namespaces ${allowed}. Nothing was run.`;
  return namespaceInScope(scope, namespace) ? undefined : `Refused: ${tool} acts in namespace ${namespace} of cluster ${cluster} (as an admin declared for its MCP server), which is outside your scope (you may use ${allowed}). Nothing was run.`;
}

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

  /**
   * Issue 31: where each object of a Helm call's manifest lands, and whether it is inside each given scope (the
   * requester's at preview; the requester's and the approver's, as they are now, at execution). Objects that cannot
   * be read or placed (no preview objects, CRDs unreadable) refuse the call for a member limited to namespaces.
   */
  async function judgeWrites(input: {
    tool: string;
    cluster: string;
    releaseNamespace: string;
    objects: readonly WrittenObject[] | undefined;
    scopes: ReadonlyArray<MemberScope | undefined>;
  }): Promise<{ ok: true; placement?: Placement } | { ok: false; text: string }> {
    if (!manifestTools.has(input.tool)) return { ok: true };
    const limited = input.scopes.filter((scope): scope is MemberScope => !!scope?.namespaces && clusterInScope(scope, input.cluster));
    const allowed = (scope: MemberScope) => scope.namespaces!.join(', ') || 'none';
    if (!input.objects) {
      if (limited.length === 0) return { ok: true };
      return { ok: false, text: `Refused: the objects ${input.tool} would write could not be read from its preview, so whether they all stay inside your namespaces (${allowed(limited[0]!)}) cannot be told. Nothing was run.` };
    }
    const kinds = input.objects.map((object) => ({ kind: object.kind ?? '', ...(object.apiVersion ? { apiVersion: object.apiVersion } : {}) }));
    let clusterScoped = deps.tools ? await customResourceScopesFor(deps.tools).clusterScopedKinds(input.cluster, kinds) : kinds.map((entry) => isClusterScopedKind(entry.kind, entry.apiVersion));
    if (clusterScoped === 'unknown') {
      if (limited.length > 0) {
        return { ok: false, text: `Refused: the CustomResourceDefinitions of cluster ${input.cluster} could not be read, so whether the custom resources ${input.tool} writes stay inside your namespaces (${allowed(limited[0]!)}) cannot be told. Nothing was run.` };
      }
      clusterScoped = kinds.map((entry) => isClusterScopedKind(entry.kind, entry.apiVersion)); // for the card only
    }
    const placement = placeObjects(input.objects, input.releaseNamespace, clusterScoped);
    for (const scope of limited) {
      const refusal = manifestScopeRefusal({ scope, tool: input.tool, cluster: input.cluster, placement });
      if (refusal) return { ok: false, text: refusal };
    }
    return { ok: true, placement };
  }

  /**
   * The approval policy for a write to several namespaces of one cluster: the strictest of theirs (a chart writing
   * into a read-only or four-eyes namespace gets that namespace's policy, not its release namespace's).
   */
  async function policyFor(cluster: string, namespaces: readonly string[]): Promise<ApprovalPolicyApplied | undefined> {
    let strictest: ApprovalPolicyApplied | undefined;
    for (const namespace of namespaces) {
      const policy = await deps.policies?.resolve(cluster, namespace);
      if (policy && (!strictest || (strictness[policy.mode] ?? 0) > (strictness[strictest.mode] ?? 0))) strictest = policy;
    }
    return strictest;
  }

  /**
   * Issue 74 item 3: a tool of an external MCP server is bound where its admin declared it acts (its arguments are
   * left as they are: it takes no `context`), judged against the requester's scope and the cluster's policy there.
   * Declared nowhere, it is bound nowhere: only an unscoped approver may approve it (tool-calls/decide).
   */
  async function resolveDeclared(input: ResolveInput): Promise<ClusterResolution> {
    const declared = input.info?.declaredTarget;
    if (!declared) return { ok: true, args: input.args };
    let clusters: ClusterStatus[];
    try {
      clusters = await deps.directory.list();
    } catch (error) {
      return { ok: false, code: 'CLUSTER_UNAVAILABLE', text: `Not run: the list of clusters could not be read (${error instanceof Error ? error.message : String(error)}), so where ${input.tool} would run cannot be checked. Try again shortly.` };
    }
    const cluster = clusters.find((candidate) => candidate.name === declared.cluster);
    if (!cluster) {
      return { ok: false, code: 'UNKNOWN_CLUSTER', text: `Not run: ${input.tool} is declared (Integrations → MCP servers) to act on cluster "${declared.cluster}", which is not configured${clusters.length > 0 ? ` (the clusters are ${clusters.map((known) => known.name).join(', ')})` : ''}. Nothing was run; an admin must correct the declaration.` };
    }
    const refusal = declaredTargetRefusal(input.scope, input.tool, cluster.name, declared.namespace);
    if (refusal) return { ok: false, code: 'OUT_OF_SCOPE', text: refusal };
    const binding: ClusterBinding = { cluster: clusterRefOf(cluster), ...(declared.namespace ? { namespace: declared.namespace } : {}) };
    if (!input.write) return { ok: true, args: input.args, binding };
    const policy = await deps.policies?.resolve(cluster.name, declared.namespace);
    if (policy?.mode === 'read_only') {
      return { ok: false, code: 'READ_ONLY_CLUSTER', text: `Refused: cluster ${cluster.name}${declared.namespace ? ` (namespace ${declared.namespace})` : ''} is read-only (${policy.source}): changes are not allowed there, so no approval was asked and nothing was run. Read-only tools still work.` };
    }
    return { ok: true, args: input.args, binding: { ...binding, ...(policy ? { policy } : {}) } };
  }

  async function resolve(input: ResolveInput): Promise<ClusterResolution> {
    if (isExternalToolName(input.tool)) return resolveDeclared(input);
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
    // an external server's tool takes no context: it acts where its admin declared, which its binding records
    if (!isExternalToolName(record.tool)) {
      if (typeof exactArgs['context'] === 'string' && exactArgs['context'] !== record.cluster.name) return `the call names cluster ${exactArgs['context']}, not ${record.cluster.name} as approved`;
      if (exactArgs['context'] === undefined && !now.current) return `cluster ${record.cluster.name} is no longer the current context, and ${record.tool} takes no context`;
    }
    const policy = record.namespaces ? await policyFor(record.cluster.name, record.namespaces) : await deps.policies?.resolve(record.cluster.name, record.namespace);
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
    /** a Helm call's objects from the preview re-run right before execution (issue 31) */
    writes?: Promise<WritesAtExecution>,
  ): Promise<{ code: 'CLUSTER_CHANGED' | 'OUT_OF_SCOPE'; text: string } | undefined> {
    // Fails closed: a check that cannot finish (the policy store or a CRD read throwing) is a refusal to record, never
    // an exception that leaves the claimed call neither run nor marked.
    try {
      return await checkStillSameAndInScope(record, exactArgs, run, writes);
    } catch (error) {
      return { code: 'CLUSTER_CHANGED', text: `Not executed: whether ${record.tool} still runs on the cluster it was approved for could not be checked (${error instanceof Error ? error.message : String(error)}).\nNothing was changed.` };
    }
  }

  async function checkStillSameAndInScope(
    record: ApprovalRecord,
    exactArgs: Record<string, unknown>,
    run: { scope?: MemberScope; approverId?: string },
    writes: Promise<WritesAtExecution> | undefined,
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
    // Issue 74 item 3: an external tool declared nowhere was approved by someone whose scope was not limited; it runs
    // only while that is still so (an admin may have limited them since).
    if (!record.cluster && isExternalToolName(record.tool)) {
      const decider = run.approverId ?? record.requestedBy;
      if (!deps.scopeOf || !decider) return undefined;
      let scope: MemberScope | undefined;
      try {
        scope = await deps.scopeOf(decider);
      } catch (error) {
        return { code: 'OUT_OF_SCOPE', text: `Not executed: the approver's scope could not be read to confirm they may still approve ${record.tool} (${error instanceof Error ? error.message : String(error)}). Nothing was changed; decide it again.` };
      }
      return scope?.clusters || scope?.namespaces
        ? { code: 'OUT_OF_SCOPE', text: `Not executed: ${record.tool} is declared to act nowhere in particular, so only an approver whose scope is not limited may approve it, and an admin has limited the approver's scope since. Nothing was changed.` }
        : undefined;
    }
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
      let refusal: string | undefined;
      if (isExternalToolName(record.tool)) refusal = declaredTargetRefusal(scope, record.tool, record.cluster.name, record.namespace);
      else {
        const custom = await customScope(scope, record.cluster.name, record.tool, exactArgs);
        refusal = custom.refusal ?? scopeRefusal({ scope, tool: record.tool, args: exactArgs, cluster: record.cluster.name, target: targetOf(exactArgs), defaultNamespace: record.namespace ?? 'default', customClusterScoped: custom.outside });
      }
      if (refusal) {
        return {
          code: 'OUT_OF_SCOPE',
          text: `Not executed: ${record.tool} is no longer inside the ${person.role}'s scope — an admin changed the scope after the call was proposed. ${refusal.replace(/^Refused: /, '').replace(/ Nothing was run\.$/, '')}\nNothing was changed.`,
        };
      }
    }
    // Issue 31: a Helm call's objects, from the preview re-run now (the same manifest as approved when it matched), are
    // judged against both scopes as they are now. A changed preview is refused TARGET_CHANGED by the caller instead.
    if (manifestTools.has(record.tool)) {
      const rendered = await writes;
      if (rendered?.matched === false) return undefined;
      for (const entry of await scopes) {
        // refused above; a scope not limited to namespaces cannot be left by a manifest (no CRD read on this path then)
        if ('error' in entry || !entry.scope?.namespaces) continue;
        const judged = await judgeWrites({ tool: record.tool, cluster: record.cluster.name, releaseNamespace: record.namespace ?? 'default', objects: rendered?.objects, scopes: [entry.scope] });
        if (!judged.ok) {
          return { code: 'OUT_OF_SCOPE', text: `Not executed: ${record.tool} writes outside the ${entry.person.role}'s scope. ${judged.text.replace(/^Refused: /, '').replace(/ Nothing was run\.$/, '')}\nNothing was changed.` };
        }
      }
    }
    return undefined;
  }

  return { resolve, checkStillSame, checkAtExecution, judgeWrites, policyFor };
}

/** Whether the tool's listed arguments include `name`. */
function acceptsArgument(info: ToolInfo | undefined, name: string): boolean {
  const properties = (info?.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return !!properties && Object.prototype.hasOwnProperty.call(properties, name);
}

export type ClusterGate = ReturnType<typeof createClusterGate>;
