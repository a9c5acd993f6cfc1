/**
 * The approval gate: runs the model's tool calls in order. Read-only tools run at once; every other call (by the
 * fail-closed policy in approvals/) is previewed and recorded as awaiting approval, bound to:
 *   - its exact arguments — relative ones made absolute by the preview (a revision number instead of "previous",
 *     a pinned chart archive instead of "latest") — by hash, and kept sealed (encrypted) until it is done;
 *   - the preview (diff) the approver saw, by hash: right before executing, the preview is re-run and the call is
 *     refused if the target changed.
 * A resumed run executes an approved call only with the sealed exact arguments, once (the claim is atomic).
 */
import { createHash } from 'node:crypto';
import type { ModelMessage, ToolModelMessage } from 'ai';
import type { AgentEventPayload } from '@skyflo/protocol';
import { decideApproval } from '../../approvals/approval-policy.ts';
import { canonicalJson, hashToolCall } from '../../approvals/hash-tool-call.ts';
import { mergeRisks } from '@skyflo/mcp-server/call-rules';
import { injectJenkinsArgs, isJenkinsTool, stripJenkinsArgs } from '../../mcp/jenkins-args.ts';
import { toolsets, type JenkinsCallCredentials, type Toolset, type ToolInfo } from '../../mcp/tool-gateway.ts';
import type { ApprovalRecord, RiskFlag } from '../../ports/index.ts';
import type { GraphDeps, RunContext } from '../run-context.ts';
import type { AgentStateUpdate, AgentStateValue, PendingCall } from '../state.ts';
import { exposeTools, loadToolsetName } from '../tool-exposure.ts';

type CallOutcome = { kind: 'done'; text: string; isError: boolean; cancelled?: boolean } | { kind: 'await' };
type Identity = { call_id: string; tool: string; title: string; args: Record<string, unknown> };

export const deniedText = 'Tool call was denied by the user';
export const cancelledText = 'Tool call was cancelled: the run was stopped by the user.';
const jenkinsMissingText = 'Jenkins integration is not configured (or is disabled); an admin must add one in Integrations before Jenkins tools can be used.';
export const supersededText = 'Not executed: a new message was sent before this call ran.';

function toolResult(call: PendingCall, text: string, isError: boolean): ToolModelMessage {
  return {
    role: 'tool',
    content: [{ type: 'tool-result', toolCallId: call.callId, toolName: call.tool, output: isError ? { type: 'error-text', value: text } : { type: 'text', value: text } }],
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The sealed arguments are bound to their row: a value copied into another call's row does not open. */
export const sealContext = (conversationId: string, callId: string) => `approval:${conversationId}:${callId}`;

/** What a preview says beyond its text (our MCP server's preview_tool_call structured result). */
interface PreviewFacts {
  resolvedArguments?: Record<string, unknown>;
  resolution: string[];
  artifactDigest?: string;
  risks: RiskFlag[];
}

function previewFacts(structured: Record<string, unknown> | undefined): PreviewFacts {
  const resolved = structured?.['resolved_arguments'];
  const resolution = structured?.['resolution'];
  const digest = structured?.['artifact_digest'];
  const risks = structured?.['risks'];
  return {
    ...(resolved && typeof resolved === 'object' && !Array.isArray(resolved) ? { resolvedArguments: resolved as Record<string, unknown> } : {}),
    resolution: Array.isArray(resolution) ? resolution.filter((note): note is string => typeof note === 'string') : [],
    ...(typeof digest === 'string' ? { artifactDigest: digest } : {}),
    risks: Array.isArray(risks)
      ? risks.filter((risk): risk is RiskFlag => !!risk && typeof risk.code === 'string' && typeof risk.message === 'string' && ['high', 'medium', 'low'].includes(risk.severity))
      : [],
  };
}

/** How much of a changed preview to quote back when refusing (the model and the user both read it). */
const changedPreviewQuoteChars = 4000;

export function createGateNode(deps: GraphDeps, run: RunContext) {
  async function catalogue(): Promise<ToolInfo[] | undefined> {
    try {
      return await deps.tools.listTools();
    } catch {
      return undefined; // unknown annotations → every call needs approval (fail closed)
    }
  }

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
  async function withInjected(
    tool: string,
    args: Record<string, unknown>,
  ): Promise<{ ok: true; args: Record<string, unknown>; credentials?: JenkinsCallCredentials } | { ok: false; text: string }> {
    if (!isJenkinsTool(tool)) return { ok: true, args };
    const integration = await deps.jenkinsIntegration?.();
    if (!integration) return { ok: false, text: jenkinsMissingText };
    return { ok: true, args: injectJenkinsArgs(args, integration), ...(integration.credentials ? { credentials: integration.credentials } : {}) };
  }

  async function fail(identity: Identity, text: string, code?: string): Promise<CallOutcome> {
    await run.emit('tool.error', { ...identity, error: text, ...(code ? { code } : {}) });
    return { kind: 'done', text, isError: true };
  }

  async function execute(call: PendingCall, identity: Identity, execArgs: Record<string, unknown>, extra: { impersonate?: { user: string; groups: string[] }; credentials?: JenkinsCallCredentials } = {}) {
    await run.emit('tool.executing', identity);
    try {
      const outcome = await deps.tools.callTool({
        name: call.tool,
        args: execArgs,
        signal: run.signal,
        timeoutMs: deps.config.toolCallTimeoutMs,
        ...(extra.impersonate ? { impersonate: extra.impersonate } : {}),
        ...(extra.credentials ? { jenkinsCredentials: extra.credentials } : {}),
      });
      if (run.signal.aborted) throw new Error('stopped');
      if (outcome.isError) {
        await run.emit('tool.error', { ...identity, error: outcome.text || 'The tool reported an error without a message' });
        return { text: `Tool error: ${outcome.text}`, isError: true };
      }
      await run.emit('tool.result', { ...identity, result: [{ type: 'text', text: outcome.text }] });
      return { text: outcome.text, isError: false };
    } catch (error) {
      if (run.signal.aborted) {
        await run.emit('tool.error', { ...identity, error: cancelledText, code: 'CANCELLED' });
        return { text: cancelledText, isError: true, cancelled: true };
      }
      const message = `Tool error: ${errorText(error)}`;
      await run.emit('tool.error', { ...identity, error: message });
      return { text: message, isError: true };
    }
  }

  async function loadToolset(call: PendingCall, tools: ToolInfo[] | undefined, loaded: Record<string, boolean>): Promise<CallOutcome> {
    const { toolset, include_write_tools: includeWrite } = call.args as { toolset?: unknown; include_write_tools?: unknown };
    const identity = { call_id: call.callId, tool: call.tool, title: 'Load toolset', args: call.args };
    if (typeof toolset !== 'string' || !(toolsets as readonly string[]).includes(toolset)) return fail(identity, `toolset must be one of ${toolsets.join(', ')}`);
    if (typeof includeWrite !== 'boolean') return fail(identity, 'include_write_tools must be true or false');
    const jenkinsAvailable = (await deps.jenkinsIntegration?.()) !== undefined;
    if (toolset === 'jenkins' && !jenkinsAvailable) return fail(identity, jenkinsMissingText);
    loaded[toolset] = includeWrite || loaded[toolset] === true;
    const names = exposeTools(tools ?? [], loaded, { jenkinsAvailable })
      .filter((tool) => tool.toolset === (toolset as Toolset))
      .map((tool) => tool.name);
    await run.emit('toolset.loaded', { toolset, include_write_tools: loaded[toolset] === true, tools: names });
    return { kind: 'done', text: `Loaded toolset ${toolset}${loaded[toolset] ? ' with write tools' : ''}. Available from your next turn: ${names.join(', ') || '(none)'}.`, isError: false };
  }

  /** Previews the call, makes it exact, seals it and asks for a decision. */
  async function requestApproval(call: PendingCall, info: ToolInfo | undefined, modelArgs: Record<string, unknown>, policyReason: string): Promise<CallOutcome> {
    const injected = await withInjected(call.tool, modelArgs);
    if (!injected.ok) return fail(identityOf(call, info, shownArgsOf(call.tool, modelArgs)), injected.text);
    let diff: string | undefined;
    let previewError: string | undefined;
    let facts: PreviewFacts = { resolution: [], risks: [] };
    try {
      const preview = await deps.tools.preview({ name: call.tool, args: injected.args, signal: run.signal, ...(injected.credentials ? { jenkinsCredentials: injected.credentials } : {}) });
      if (preview && !preview.isError) {
        diff = preview.text;
        facts = previewFacts(preview.structured);
      } else if (preview) previewError = preview.text;
    } catch (error) {
      previewError = `preview failed: ${errorText(error)}`;
    }
    // The approval is for the exact call the preview resolved (absolute revision, pinned chart), never the relative one.
    const exactArgs = isJenkinsTool(call.tool) ? stripJenkinsArgs(facts.resolvedArguments ?? modelArgs) : (facts.resolvedArguments ?? modelArgs);
    const shown = shownArgsOf(call.tool, exactArgs);
    const argsHash = hashToolCall(call.tool, exactArgs);
    let risks: RiskFlag[];
    try {
      risks = mergeRisks(deps.inspector.risks(call.tool, exactArgs), facts.risks);
    } catch (error) {
      risks = [{ code: 'RISK_CHECK_FAILED', message: `The risk check failed (${errorText(error)}); review the arguments carefully.`, severity: 'high' }];
    }
    const destructive = info?.annotations?.destructiveHint === true;
    const record = await deps.approvals.request({
      conversationId: run.conversationId,
      callId: call.callId,
      runId: run.runId,
      tool: call.tool,
      args: shown,
      argsHash,
      exactArgsSealed: deps.secretBox.seal(canonicalJson(exactArgs), sealContext(run.conversationId, call.callId)),
      ...(diff !== undefined ? { diff, diffHash: sha256(diff) } : {}),
      ...(facts.artifactDigest ? { artifactDigest: facts.artifactDigest } : {}),
      resolution: facts.resolution,
      risks,
      destructive,
      policyReason,
      requestedBy: run.requester.id,
    });
    await emitAwaiting(call, info, record, previewError);
    return { kind: 'await' };
  }

  async function emitAwaiting(call: PendingCall, info: ToolInfo | undefined, record: ApprovalRecord, previewError?: string): Promise<void> {
    const payload: AgentEventPayload<'tool.awaiting_approval'> = {
      ...identityOf(call, info, record.args),
      ...(record.diff !== undefined ? { diff: record.diff } : {}),
      ...(previewError !== undefined ? { preview_error: previewError } : {}),
      args_hash: record.argsHash,
      ...(record.diffHash ? { diff_hash: record.diffHash } : {}),
      ...(record.artifactDigest ? { artifact_digest: record.artifactDigest } : {}),
      ...(record.resolution.length > 0 ? { resolution: record.resolution } : {}),
      ...(record.risks.length > 0 ? { risks: record.risks } : {}),
      destructive: record.destructive,
      ...(record.policyReason ? { policy_reason: record.policyReason } : {}),
      requested_by: { id: record.requestedBy ?? run.requester.id, ...(run.requester.email && (record.requestedBy ?? run.requester.id) === run.requester.id ? { email: run.requester.email } : {}) },
      context: { conversation_id: run.conversationId, approval_decisions: { ...run.decisions } },
    };
    await run.emit('tool.awaiting_approval', payload);
  }

  /** Opens the sealed exact arguments and checks they are the ones the approval's hash names. */
  function exactArgsOf(record: ApprovalRecord): Record<string, unknown> | undefined {
    if (!record.exactArgsSealed) return undefined;
    try {
      const args = JSON.parse(deps.secretBox.open(record.exactArgsSealed, sealContext(record.conversationId, record.callId))) as Record<string, unknown>;
      return hashToolCall(record.tool, args) === record.argsHash ? args : undefined;
    } catch {
      return undefined;
    }
  }

  /** Re-runs the preview of an approved call; undefined when it still matches what the approver saw. */
  async function targetChange(call: PendingCall, record: ApprovalRecord, execArgs: Record<string, unknown>, credentials?: JenkinsCallCredentials): Promise<string | undefined> {
    if (!record.diffHash) return undefined;
    let preview;
    try {
      preview = await deps.tools.preview({ name: call.tool, args: execArgs, signal: run.signal, ...(credentials ? { jenkinsCredentials: credentials } : {}) });
    } catch (error) {
      return `its preview could not be re-run (${errorText(error)})`;
    }
    if (!preview) return 'its preview is no longer available';
    if (preview.isError) return `its preview now fails: ${preview.text}`;
    if (sha256(preview.text) === record.diffHash) return undefined;
    const quoted = preview.text.length > changedPreviewQuoteChars ? `${preview.text.slice(0, changedPreviewQuoteChars)}\n…` : preview.text;
    return `the preview differs from the one that was approved. Preview now:\n${quoted}`;
  }

  async function executeApproved(call: PendingCall, info: ToolInfo | undefined, record: ApprovalRecord): Promise<CallOutcome> {
    const identity = identityOf(call, info, record.args);
    const exact = exactArgsOf(record);
    if (!exact) {
      const text = `Not executed: the exact arguments approved for ${call.callId} are not available (they are kept encrypted with SKYFLO_ENCRYPTION_KEY; a changed key or a tampered row makes them unreadable). Propose the change again.`;
      await deps.approvals.failApproved({ conversationId: run.conversationId, callId: call.callId, reason: text });
      return fail(identity, text, 'NOT_EXECUTED');
    }
    const identityToUse = approverIdentity(record);
    if (!identityToUse.ok) {
      await deps.approvals.failApproved({ conversationId: run.conversationId, callId: call.callId, reason: identityToUse.text });
      return fail(identity, identityToUse.text, 'NOT_EXECUTED');
    }
    const actingAs = identityToUse.impersonate;
    run.decisions[call.callId] = true;
    await run.emit('tool.approved', { ...identity, ...(record.decidedBy ? { decided_by: record.decidedBy } : {}), ...(record.reason ? { reason: record.reason } : {}), ...(record.automatic ? { automatic: true } : {}) });
    const injected = await withInjected(call.tool, exact);
    if (!injected.ok) {
      await deps.approvals.failApproved({ conversationId: run.conversationId, callId: call.callId, reason: injected.text });
      return fail(identity, injected.text, 'NOT_EXECUTED');
    }
    // Claim first, execute second: if two runs ever resume the same approved call, only one wins the claim.
    if (!(await deps.approvals.claimExecution({ conversationId: run.conversationId, callId: call.callId, runId: run.runId }))) {
      return fail(identity, 'This call is already being executed by another run and is not run again.', 'NOT_EXECUTED');
    }
    const change = await targetChange(call, record, injected.args, injected.credentials);
    if (change !== undefined) {
      const text = `Not executed: the target of ${call.tool} changed after it was approved — ${change}\nNothing was changed. Inspect the current state and propose the change again if it is still right.`;
      await deps.approvals.markExecuted({ conversationId: run.conversationId, callId: call.callId, ok: false, resultSummary: text.slice(0, 500) });
      return fail(identity, text, 'TARGET_CHANGED');
    }
    const outcome = await execute(call, identity, injected.args, { ...(actingAs ? { impersonate: actingAs } : {}), ...(injected.credentials ? { credentials: injected.credentials } : {}) });
    await deps.approvals.markExecuted({ conversationId: run.conversationId, callId: call.callId, ok: !outcome.isError, resultSummary: outcome.text.slice(0, 500) });
    return { kind: 'done', ...outcome };
  }

  /**
   * EXECUTE_AS_APPROVER: the identity an approved call runs as. Fails closed — with the setting on, a call whose
   * approver this run does not know is not run as the server's own (broader) identity instead.
   */
  function approverIdentity(record: ApprovalRecord): { ok: true; impersonate?: { user: string; groups: string[] } } | { ok: false; text: string } {
    if (!deps.executeAsApprover) return { ok: true };
    const approver = run.approver;
    if (!approver || approver.id !== record.decidedBy) {
      return { ok: false, text: 'Not executed: EXECUTE_AS_APPROVER is on, but this run does not know who approved the call, so it cannot run as them. Decide it again.' };
    }
    return { ok: true, impersonate: { user: approver.email, groups: deps.executeAsApprover.groupsByRole[approver.role] ?? [] } };
  }

  async function handle(call: PendingCall, tools: ToolInfo[] | undefined, loaded: Record<string, boolean>): Promise<CallOutcome> {
    const info = tools?.find((tool) => tool.name === call.tool);
    if (call.invalid) return fail(identityOf(call, info, shownArgsOf(call.tool, call.args)), call.invalid);
    if (call.tool === loadToolsetName) return loadToolset(call, tools, loaded);

    const decision = decideApproval({ tool: call.tool, info });
    if (!decision.requiresApproval) {
      const identity = identityOf(call, info, shownArgsOf(call.tool, call.args));
      const injected = await withInjected(call.tool, call.args);
      if (!injected.ok) return fail(identity, injected.text);
      return { kind: 'done', ...(await execute(call, identity, injected.args, injected.credentials ? { credentials: injected.credentials } : {})) };
    }

    // The decision that started this run is fresh from its atomic update; claimExecution still guards the run.
    const record = run.decided?.callId === call.callId ? run.decided : await deps.approvals.get(run.conversationId, call.callId);
    if (!record) return requestApproval(call, info, call.args, decision.reason);
    if (record.status === 'awaiting') {
      await emitAwaiting(call, info, record);
      return { kind: 'await' };
    }
    const identity = identityOf(call, info, record.args);
    // The approver saw exactly one tool; a record for another tool under this call id is not an approval of this call.
    if (record.tool !== call.tool) return fail(identity, `Not executed: the approval for ${call.callId} is for another tool.`, 'APPROVAL_MISMATCH');
    if (record.status === 'denied') {
      run.decisions[call.callId] = false;
      await run.emit('tool.denied', { ...identity, ...(record.decidedBy ? { decided_by: record.decidedBy } : {}), ...(record.reason ? { reason: record.reason } : {}) });
      return { kind: 'done', text: record.reason ? `${deniedText}: ${record.reason}` : deniedText, isError: true };
    }
    if (record.status !== 'approved') {
      // executed, failed, unknown or cancelled: a previous run dealt with it (or the engine lost it). Never run it twice.
      const text = `This call was already ${record.status === 'executed' ? 'executed' : 'closed'} and is not run again.${record.resultSummary ? ` ${record.resultSummary}` : ''}`;
      return fail(identity, text, 'NOT_EXECUTED');
    }
    return executeApproved(call, info, record);
  }

  /**
   * Calls pending in the checkpoint when a chat run starts belong to an earlier run (it was stopped, or its engine
   * died). They are never executed as a side effect of the new message: each is closed with a result saying so.
   */
  async function closeLeftover(call: PendingCall, tools: ToolInfo[] | undefined): Promise<string> {
    const info = tools?.find((tool) => tool.name === call.tool);
    const record = await deps.approvals.get(run.conversationId, call.callId).catch(() => undefined);
    if (record?.status === 'approved') await deps.approvals.failApproved({ conversationId: run.conversationId, callId: call.callId, reason: supersededText });
    const text = record && record.status !== 'approved' && record.resultSummary ? record.resultSummary : supersededText;
    await run.emit('tool.error', { ...identityOf(call, info, record?.args ?? shownArgsOf(call.tool, call.args)), error: text, code: 'NOT_EXECUTED' });
    return text;
  }

  /**
   * An approved call that a stop cancels before it ran is closed in the approval store (approved → failed), so
   * the record no longer reads as waiting to run and a later decision on it is refused as already decided.
   */
  async function cancelApproved(call: PendingCall, tools: ToolInfo[] | undefined): Promise<void> {
    const record = run.decided?.callId === call.callId ? run.decided : await deps.approvals.get(run.conversationId, call.callId).catch(() => undefined);
    if (record?.status !== 'approved') return;
    if (!(await deps.approvals.failApproved({ conversationId: run.conversationId, callId: call.callId, reason: cancelledText }))) return;
    const info = tools?.find((tool) => tool.name === call.tool);
    await run.emit('tool.error', { ...identityOf(call, info, record.args), error: cancelledText, code: 'CANCELLED' });
  }

  return async function gate(state: AgentStateValue): Promise<AgentStateUpdate> {
    const pending = state.pendingTools;
    const tools = await catalogue();
    const loaded: Record<string, boolean> = { ...state.loadedToolsets };
    if (run.kind === 'chat' && !run.modelCalled) {
      const messages: ModelMessage[] = [];
      for (const call of pending) messages.push(toolResult(call, await closeLeftover(call, tools), true));
      return { messages, pendingTools: [], awaitingApproval: false, suppressPendingEvent: false, stopped: run.signal.aborted, loadedToolsets: loaded };
    }
    if (!state.suppressPendingEvent) {
      const shown = pending.filter((call) => call.tool !== loadToolsetName);
      if (shown.length > 0) {
        await run.emit('tools.pending', {
          tools: shown.map((call) => {
            const info = tools?.find((tool) => tool.name === call.tool);
            return {
              call_id: call.callId,
              tool: call.tool,
              title: info?.title ?? call.tool,
              args: shownArgsOf(call.tool, call.args),
              requires_approval: !call.invalid && decideApproval({ tool: call.tool, info }).requiresApproval,
              destructive: info?.annotations?.destructiveHint === true,
              timestamp: Date.now(),
            };
          }),
        });
      }
    }

    const messages: ModelMessage[] = [];
    for (let index = 0; index < pending.length; index += 1) {
      const call = pending[index]!;
      if (run.signal.aborted) {
        // Every call of the batch gets a result so the history stays valid for the next turn.
        for (const rest of pending.slice(index)) {
          await cancelApproved(rest, tools);
          messages.push(toolResult(rest, cancelledText, true));
        }
        return { messages, pendingTools: [], awaitingApproval: false, stopped: true, loadedToolsets: loaded };
      }
      const outcome = await handle(call, tools, loaded);
      if (outcome.kind === 'await') {
        return { messages, pendingTools: pending.slice(index), awaitingApproval: true, loadedToolsets: loaded };
      }
      messages.push(toolResult(call, outcome.text, outcome.isError));
    }
    return { messages, pendingTools: [], awaitingApproval: false, suppressPendingEvent: false, stopped: run.signal.aborted, loadedToolsets: loaded };
  };
}
