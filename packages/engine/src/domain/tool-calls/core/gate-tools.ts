/**
 * What every step of the gate shares: the tool catalogue, how a call is shown (never engine-injected values or
 * Secret values), the Jenkins integration the engine injects, and running a tool with its events.
 */
import { traceToolCall } from '../../../platform/observability/tracing/spans.ts';
import { createHash } from 'node:crypto';
import type { ToolModelMessage } from 'ai';
import { injectJenkinsArgs, isJenkinsTool, jenkinsTargetLine, stripJenkinsArgs } from '../../tools/jenkins-args.ts';
import { isOutcomeUnknownResult, toolResultChartSchema, type ObservabilitySources, type ToolCallCredential, type ToolResultChart } from '@skyflo/protocol';
import { isObservabilityTool, ToolCallNotRunError, type JenkinsCallCredentials, type ToolGateway, type ToolInfo } from '../../../platform/ports/tool-gateway.ts';
import type { Emit, ToolCallDeps, ToolCallRun, PendingCall } from './deps.ts';
import { createClusterGate, type ClusterBinding, type ClusterResolution } from '../../clusters/cluster-gate.ts';
import { manifestTools, placementRisks, type WrittenObject } from '../../clusters/manifest-scope.ts';
import type { RiskFlag } from '../../../platform/ports/index.ts';
import { limitedToNamespaces, type NamespaceLimit } from '../../clusters/limited-listing.ts';

export type CallOutcome = { kind: 'done'; text: string; isError: boolean; cancelled?: boolean } | { kind: 'await' };
/**
 * What running one tool came to. `outcomeUnknown`: a change was sent and nobody knows whether it was applied (its
 * answer was lost, or the tool said so): recorded as unknown, never as failed. `cancelled`: a read a stop cut short.
 */
export type ToolRunOutcome = { text: string; isError: boolean; cancelled?: boolean; outcomeUnknown?: boolean };
export type Identity = { call_id: string; tool: string; title: string; args: Record<string, unknown> };
/** `target`: which Jenkins the call goes to (jenkinsTargetLine), for the approval card */
export type Injected = { ok: true; args: Record<string, unknown>; credentials?: JenkinsCallCredentials; observabilitySources?: ObservabilitySources; /** for the chart's link only; the MCP server does not need it */ grafanaUrl?: string; target?: string } | { ok: false; text: string };

export const deniedText = 'Tool call was denied by the user';
export const cancelledText = 'Tool call was cancelled: the run was stopped by the user.';
export const jenkinsMissingText = 'Jenkins integration is not configured (or is disabled); an admin must add one in Integrations before Jenkins tools can be used.';
export const observabilityMissingText = 'No Prometheus or Loki data source is configured for this conversation\'s cluster; an admin must add one in Integrations before the observability tools can be used.';
export const supersededText = 'Not executed: a new message was sent before this call ran.';

/**
 * The reason a run's signal is aborted with (run-agent.ts): what ended the run — a stop, the event bus or the database
 * failing — in words a card can name. A plain abort would read "This operation was aborted", whatever the cause.
 */
export function runEndedReason(cause: string): Error {
  const reason = new Error(cause);
  reason.name = 'RunEnded';
  return reason;
}

/** The cause run-agent.ts gives a stop asked for with POST /agent/stop. */
export const userStopCause = 'the run was stopped by the user';

/** Why a run's signal was aborted (runEndedReason), in words for a card; an abort without a reason reads as a stop. */
export function runEndedCause(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'RunEnded' ? reason.message : 'the run was stopped';
}

/** The result of a call the run's end closed before it ran: cancelledText for a user's stop, else the real cause. */
export function cancelledTextFor(signal: AbortSignal): string {
  const cause = runEndedCause(signal);
  return cause === userStopCause || cause === 'the run was stopped' ? cancelledText : `Not executed: ${cause}. Nothing was changed.`;
}

/** The result of a change whose answer nobody got: it may or may not have been applied (`cause` says why nobody knows). */
export const unknownOutcomeText = (tool: string, cause: string) =>
  `Outcome unknown: ${tool} was sent, but ${cause}. It may or may not have been applied; check the target's state before retrying. It will not be run again.`;

/**
 * Whether a call that threw never reached the MCP server (its connection could not be opened): then nothing ran.
 * Anything else thrown after a change was sent — a lost connection, a timeout, the server's death — leaves its outcome
 * unknown.
 */
function neverSent(error: unknown): boolean {
  return error instanceof ToolCallNotRunError;
}

export function toolResult(call: PendingCall, text: string, isError: boolean): ToolModelMessage {
  return {
    role: 'tool',
    content: [{ type: 'tool-result', toolCallId: call.callId, toolName: call.tool, output: isError ? { type: 'error-text', value: text } : { type: 'text', value: text } }],
  };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * EXECUTE_AS_APPROVER: the Kubernetes identity a call decided by `decidedBy` runs as. Fails closed — with the setting
 * on, a call whose approver this run does not know is not run as the server's own (broader) identity instead.
 */
export function approverImpersonation(deps: Pick<ToolCallDeps, 'executeAsApprover'>, run: Pick<ToolCallRun, 'approver'>, decidedBy: string | undefined): { ok: true; impersonate?: { user: string; groups: string[] } } | { ok: false } {
  if (!deps.executeAsApprover) return { ok: true };
  const approver = run.approver;
  if (!approver || approver.id !== decidedBy) return { ok: false };
  return { ok: true, impersonate: { user: approver.email, groups: deps.executeAsApprover.groupsByRole[approver.role] ?? [] } };
}

/**
 * prometheus_query_range's series (its structured result) as the card's chart, with the Grafana configured in front of
 * that Prometheus (the engine's, not the tool's); undefined for anything else or a malformed one.
 */
export function chartOf(tool: string, structured: Record<string, unknown> | undefined, grafanaUrl?: string): ToolResultChart | undefined {
  if (tool !== 'prometheus_query_range' || !structured) return undefined;
  const { grafana_url: _fromTool, ...fromTool } = structured;
  const parsed = toolResultChartSchema.safeParse({ ...fromTool, ...(typeof structured['prometheus_url'] === 'string' ? { source_url: structured['prometheus_url'] } : {}), ...(grafanaUrl ? { grafana_url: grafanaUrl } : {}) });
  return parsed.success ? parsed.data : undefined;
}

/** How a call is run (callToolWithEvents). */
export interface CallToolOptions {
  /** issue 21: a before-state with an inverse was recorded */
  undoAvailable?: boolean;
  /** the cluster it acts on, for its trace span */
  cluster?: string;
  /** issue 36: for a chart's "Open in Grafana" link */
  grafanaUrl?: string;
  /** issue 34: the SkyfloApproval it runs under */
  approvalObject?: string;
  /**
   * Issue 75: an approved change. Once sent, it is not cancelled by the run's stop (the request's signal is not passed
   * on): it runs to its answer, bounded by its timeout, and its outcome is what the tool answered — or unknown when
   * the answer was lost. A stop ends the run after it, never rewrites what it did.
   */
  change?: boolean;
}

/**
 * Runs one tool call and reports it as a run does: tool.executing, then tool.result or tool.error. A read whose
 * request's signal is aborted (the run was stopped) ends with tool.error CANCELLED; a change (`options.change`) is
 * never cut short that way, and one whose answer was lost ends with tool.error UNKNOWN_OUTCOME. The gate runs approved
 * and read-only calls through it, and so does an automatic revert resumed after a restart, outside any run.
 */
export async function callToolWithEvents(
  emit: Emit,
  tools: Pick<ToolGateway, 'callTool'>,
  identity: Identity,
  request: Parameters<ToolGateway['callTool']>[0],
  options: CallToolOptions = {},
): Promise<ToolRunOutcome> {
  // issue 39: the tool's span (name, cluster, outcome, duration; never its arguments or result)
  return traceToolCall({ name: request.name, ...(options.cluster ? { cluster: options.cluster } : {}) }, () => callToolReporting(emit, tools, identity, request, options));
}

async function callToolReporting(
  emit: Emit,
  tools: Pick<ToolGateway, 'callTool'>,
  identity: Identity,
  request: Parameters<ToolGateway['callTool']>[0],
  options: CallToolOptions,
): Promise<ToolRunOutcome> {
  const { signal, ...unstoppable } = request;
  await emit('tool.executing', { ...identity, ...(options.approvalObject ? { approval_object: options.approvalObject } : {}) });
  const cancelled = async (): Promise<ToolRunOutcome> => {
    await emit('tool.error', { ...identity, error: cancelledText, code: 'CANCELLED' });
    return { text: cancelledText, isError: true, cancelled: true };
  };
  const unknown = async (cause: string): Promise<ToolRunOutcome> => {
    const text = unknownOutcomeText(identity.tool, cause);
    await emit('tool.error', { ...identity, error: text, code: 'UNKNOWN_OUTCOME' });
    return { text, isError: true, outcomeUnknown: true };
  };
  let outcome;
  try {
    outcome = await tools.callTool(options.change ? unstoppable : request);
  } catch (error) {
    // A change that may have been sent: nobody knows whether it was applied. A read that a stop cut short: cancelled.
    if (options.change && !neverSent(error)) return unknown(`its answer never came back (${errorText(error).split('\n')[0]})`);
    if (!options.change && signal?.aborted) return cancelled();
    const message = `Tool error: ${errorText(error)}`;
    await emit('tool.error', { ...identity, error: message });
    return { text: message, isError: true };
  }
  // a read the run no longer wants; a change's answer is recorded whatever happened to the run meanwhile
  if (!options.change && signal?.aborted) return cancelled();
  if (outcome.isError && options.change && isOutcomeUnknownResult(outcome.structured)) return unknown(`its answer was lost: ${outcome.text.split('\n')[0]}`);
  if (outcome.isError) {
    await emit('tool.error', { ...identity, error: outcome.text || 'The tool reported an error without a message' });
    return { text: `Tool error: ${outcome.text}`, isError: true };
  }
  const chart = chartOf(request.name, outcome.structured, options.grafanaUrl);
  await emit('tool.result', { ...identity, result: [{ type: 'text', text: outcome.text }], ...(chart ? { chart } : {}), ...(options.undoAvailable ? { undo_available: true } : {}) });
  return { text: outcome.text, isError: false };
}

export type GateTools = ReturnType<typeof createGateTools>;

export function createGateTools(deps: ToolCallDeps, run: ToolCallRun) {
  /** The arguments any event, timeline entry or approval row may carry: never engine-injected values or Secret values. */
  function shownArgsOf(tool: string, args: Record<string, unknown>): Record<string, unknown> {
    const withoutInjected = isJenkinsTool(tool) ? stripJenkinsArgs(args) : args;
    try {
      return deps.inspector.displayArgs(tool, withoutInjected);
    } catch {
      return {}; // fail closed: show nothing rather than something unredacted
    }
  }

  const identityOf = (call: PendingCall, info: ToolInfo | undefined, args: Record<string, unknown>): Identity => ({
    call_id: call.callId,
    tool: call.tool,
    title: info?.title ?? call.tool,
    args,
  });

  /** Adds the engine-held Jenkins integration (URL, reference, and credentials beside the args), or explains that there is none. */
  async function withInjected(tool: string, args: Record<string, unknown>): Promise<Injected> {
    if (isObservabilityTool(tool)) {
      const sources = await deps.observabilitySources?.(run.cluster);
      if (!sources) return { ok: false, text: observabilityMissingText };
      const grafanaUrl = tool === 'prometheus_query_range' ? await deps.grafanaUrl?.(run.cluster) : undefined;
      return { ok: true, args, observabilitySources: sources, ...(grafanaUrl ? { grafanaUrl } : {}) };
    }
    if (!isJenkinsTool(tool)) return { ok: true, args };
    const integration = await deps.jenkinsIntegration?.();
    if (!integration) return { ok: false, text: jenkinsMissingText };
    return { ok: true, args: injectJenkinsArgs(args, integration), target: jenkinsTargetLine(integration), ...(integration.credentials ? { credentials: integration.credentials } : {}) };
  }

  async function fail(identity: Identity, text: string, code?: string): Promise<CallOutcome> {
    await run.emit('tool.error', { ...identity, error: text, ...(code ? { code } : {}) });
    return { kind: 'done', text, isError: true };
  }

  async function execute(
    call: PendingCall,
    identity: Identity,
    execArgs: Record<string, unknown>,
    extra: { impersonate?: { user: string; groups: string[] }; credentials?: JenkinsCallCredentials; observabilitySources?: ObservabilitySources; /** issue 36: the chart's "Open in Grafana" link */ grafanaUrl?: string; /** issue 21: a before-state with an inverse was recorded */ undoAvailable?: boolean; /** issue 22: run per allowed namespace */ limit?: NamespaceLimit; /** issue 34: the approval's own credential and its SkyfloApproval */ credential?: ToolCallCredential; /** issue 75: an approved change (CallToolOptions.change) */ change?: boolean } = {},
  ) {
    return callToolWithEvents(
      run.emit,
      extra.limit ? limitedToNamespaces(deps.tools, extra.limit) : deps.tools,
      identity,
      {
        name: call.tool,
        args: execArgs,
        signal: run.signal,
        timeoutMs: deps.config.toolCallTimeoutMs,
        ...(extra.impersonate ? { impersonate: extra.impersonate } : {}),
        ...(extra.credential ? { credential: extra.credential } : {}),
        ...(extra.credentials ? { jenkinsCredentials: extra.credentials } : {}),
        ...(extra.observabilitySources ? { observabilitySources: extra.observabilitySources } : {}),
      },
      { ...(extra.undoAvailable ? { undoAvailable: true } : {}), ...(run.cluster ? { cluster: run.cluster } : {}), ...(extra.grafanaUrl ? { grafanaUrl: extra.grafanaUrl } : {}), ...(extra.credential ? { approvalObject: extra.credential.approval } : {}), ...(extra.change ? { change: true } : {}) },
    );
  }

  /** Whether the call can lose data or take a service down, from its arguments (fails closed: destructive). */
  function destructive(tool: string, args: Record<string, unknown>, risks = risksOf(tool, args)): boolean {
    try {
      return deps.inspector.destructive(tool, args, risks);
    } catch {
      return true;
    }
  }

  function risksOf(tool: string, args: Record<string, unknown>) {
    try {
      return deps.inspector.risks(tool, args);
    } catch {
      return [];
    }
  }

  const clusterGate = deps.clusters ? createClusterGate({ ...deps.clusters, tools: deps.tools, ...(deps.scopeOf ? { scopeOf: deps.scopeOf } : {}) }) : undefined;
  /**
   * Issue 22: the cluster a Kubernetes/Helm/Argo call acts on is written into its arguments (the conversation's when it
   * names none) before anything previews, hashes or runs it; outside the requester's scope, or a write on a read-only
   * cluster, it is refused here.
   */
  async function resolveCluster(call: PendingCall, info: ToolInfo | undefined, write: boolean): Promise<ClusterResolution> {
    if (!clusterGate) return { ok: true, args: call.args };
    return clusterGate.resolve({ tool: call.tool, info, args: call.args, write, ...(run.cluster ? { pinned: run.cluster } : {}), ...(run.scope ? { scope: run.scope } : {}) });
  }

  /**
   * Issue 31: a Helm call's rendered objects (its preview's), judged against the requester's scope before any approval
   * is asked. Inside it, what the card shows: every namespace written (when more than the release's), cluster-scoped
   * objects, their risk flags, and the strictest approval policy of those namespaces (a read-only one refuses here).
   */
  async function judgeWrites(
    tool: string,
    binding: ClusterBinding | undefined,
    objects: WrittenObject[] | undefined,
  ): Promise<
    | { ok: true; risks: RiskFlag[]; binding?: ClusterBinding; namespaces?: string[]; clusterScoped?: boolean }
    | { ok: false; text: string; code: 'OUT_OF_SCOPE' | 'READ_ONLY_CLUSTER' }
  > {
    if (!clusterGate || !binding || !manifestTools.has(tool)) return { ok: true, risks: [] };
    const cluster = binding.cluster.name;
    const judged = await clusterGate.judgeWrites({ tool, cluster, releaseNamespace: binding.namespace ?? 'default', objects, scopes: [run.scope] });
    if (!judged.ok) return { ok: false, text: judged.text, code: 'OUT_OF_SCOPE' };
    if (!judged.placement) return { ok: true, risks: [] };
    const { namespaces, clusterScoped } = judged.placement;
    const several = namespaces.length > 1;
    const policy = several ? await clusterGate.policyFor(cluster, namespaces) : binding.policy;
    if (policy?.mode === 'read_only') {
      return { ok: false, code: 'READ_ONLY_CLUSTER', text: `Refused: ${tool} writes into namespaces ${namespaces.join(', ')} of cluster ${cluster}, and changes are not allowed there (${policy.source}), so no approval was asked and nothing was run.` };
    }
    return {
      ok: true,
      risks: placementRisks(judged.placement),
      binding: { ...binding, ...(policy ? { policy } : {}) },
      ...(several ? { namespaces } : {}),
      ...(clusterScoped.length > 0 ? { clusterScoped: true } : {}),
    };
  }

  return { shownArgsOf, identityOf, withInjected, fail, execute, destructive, resolveCluster, judgeWrites, clusterGate };
}
