/**
 * The approval gate: runs the model's tool calls in order. Read-only tools run at once; every other call (by the
 * fail-closed policy in propose/approval-policy.ts) is previewed and recorded as awaiting approval, bound to:
 *   - its exact arguments — relative ones made absolute by the preview (a revision number instead of "previous",
 *     a pinned chart archive instead of "latest") — by hash, and kept sealed (encrypted) until it is done;
 *   - the preview (diff) the approver saw, by hash: right before executing, the preview is re-run and the call is
 *     refused if the target changed.
 * When the run pauses for a decision, every later call of the turn that needs one is previewed too, so no call
 * can be decided (alone or by "Approve all") while another of its turn is shown without its preview.
 * A resumed run executes an approved call only with the sealed exact arguments, once (the claim is atomic).
 *
 * Steps: propose/preview-and-request.ts (preview, record, awaiting event), execute/execute-approved.ts (decided
 * calls), execute/close-leftovers.ts (calls closed without running), core/gate-tools.ts (what they share).
 * No LangGraph here: graph/nodes/gate/index.ts is the node that hands this the pending calls of its state.
 */
import type { ModelMessage } from 'ai';
import { decideApproval } from './propose/approval-policy.ts';
import type { ToolInfo } from '../../platform/ports/tool-gateway.ts';
import type { PendingCall, ToolCallDeps, ToolCallRun } from './core/deps.ts';
import { createLeftoverClosing } from './execute/close-leftovers.ts';
import { createDecidedCalls } from './execute/execute-approved.ts';
import { cancelledTextFor, createGateTools, runEndedCause, toolResult, userStopCause, type CallOutcome, type Identity } from './core/gate-tools.ts';
import { createApprovalRequests } from './propose/preview-and-request.ts';

export { cancelledText, deniedText, supersededText } from './core/gate-tools.ts';
export { sealContext } from './core/hash-tool-call.ts';

/** The result of a change a read-only scheduled check's model proposed (issue 81). */
export const readOnlyScheduleText = (name: string) => `Refused: schedule "${name}" is read-only, so it proposes no changes. Report what you found instead; a person can ask for the change in the conversation.`;

/** The result of an awaiting call closed because the run was stopped before anyone decided it. */
export const stoppedUndecidedText = 'Not executed: the run was stopped before this call was decided.';

/**
 * A tool the engine answers itself rather than the MCP server (load_toolset, graph/tool-exposure.ts): never gated,
 * not listed in tools.pending. `fail` reports a refused call as the gate does (tool.error).
 */
export interface EngineTool {
  name: string;
  run(call: PendingCall, catalogue: ToolInfo[] | undefined, loaded: Record<string, boolean>, fail: (identity: Identity, text: string) => Promise<CallOutcome>): Promise<CallOutcome>;
}

/** What a turn's calls came to: the tool results for the model, and the calls still waiting (in the model's order). */
export interface TurnOutcome {
  messages: ModelMessage[];
  pending: PendingCall[];
  awaitingApproval: boolean;
  stopped?: boolean;
  loadedToolsets: Record<string, boolean>;
}

/** The turn: its pending calls, the toolsets loaded so far, and whether tools.pending was already sent for them. */
export interface Turn {
  pending: PendingCall[];
  loadedToolsets: Record<string, boolean>;
  suppressPendingEvent: boolean;
}

/**
 * The runner of one run's tool calls: `runTurn` takes a turn's pending calls and runs them in the model's order until
 * one awaits a decision (every later one that needs a decision is previewed then too) or the run is stopped.
 */
export function createToolCallRunner(deps: ToolCallDeps, run: ToolCallRun, engineTool?: EngineTool) {
  const gate = createGateTools(deps, run);
  const requests = createApprovalRequests(deps, run, gate);
  const decided = createDecidedCalls(deps, run, gate);
  const leftovers = createLeftoverClosing(deps, run, gate);

  async function catalogue(): Promise<ToolInfo[] | undefined> {
    try {
      return await deps.tools.listTools();
    } catch {
      return undefined; // unknown annotations → every call needs approval (fail closed)
    }
  }

  const needsApproval = (call: PendingCall, tools: ToolInfo[] | undefined) =>
    !call.invalid && call.tool !== engineTool?.name && decideApproval({ tool: call.tool, info: tools?.find((tool) => tool.name === call.tool) }).requiresApproval;

  async function handle(call: PendingCall, tools: ToolInfo[] | undefined, loaded: Record<string, boolean>): Promise<CallOutcome> {
    const info = tools?.find((tool) => tool.name === call.tool);
    if (call.invalid) return gate.fail(gate.identityOf(call, info, gate.shownArgsOf(call.tool, call.args)), call.invalid);
    if (engineTool && call.tool === engineTool.name) return engineTool.run(call, tools, loaded, (identity, text) => gate.fail(identity, text));

    if (!decideApproval({ tool: call.tool, info }).requiresApproval) {
      // A read runs in the conversation's cluster too (or the one it names), and only inside the requester's scope.
      const located = await gate.resolveCluster(call, info, false);
      if (!located.ok) return gate.fail(gate.identityOf(call, info, gate.shownArgsOf(call.tool, call.args)), located.text, located.code);
      const identity = gate.identityOf(call, info, gate.shownArgsOf(call.tool, located.args));
      const injected = await gate.withInjected(call.tool, located.args);
      if (!injected.ok) return gate.fail(identity, injected.text);
      return {
        kind: 'done',
        ...(await gate.execute(call, identity, injected.args, {
          ...(injected.credentials ? { credentials: injected.credentials } : {}),
          ...(injected.observabilitySources ? { observabilitySources: injected.observabilitySources } : {}),
          ...(injected.grafanaUrl ? { grafanaUrl: injected.grafanaUrl } : {}),
          ...(located.limit ? { limit: located.limit } : {}),
        })),
      };
    }

    // Issue 81: a read-only scheduled check proposes nothing. Refused here, before any preview or approval record,
    // so nobody is asked to decide a change nobody asked for; the refusal is a tool.error in the audit trail.
    if (run.requester.schedule?.readOnly) {
      return gate.fail(gate.identityOf(call, info, gate.shownArgsOf(call.tool, call.args)), readOnlyScheduleText(run.requester.schedule.name), 'SCHEDULE_READ_ONLY');
    }
    // The decision that started this run is fresh from its atomic update; claimExecution still guards the run.
    const record = run.decided?.callId === call.callId ? run.decided : await deps.approvals.get(run.conversationId, call.callId);
    if (!record) return requests.requestApproval(call, info);
    if (record.status === 'awaiting') {
      await requests.emitAwaiting(call, info, record);
      return { kind: 'await' };
    }
    const outcome = await decided.handleDecided(call, info, record);
    if (outcome.kind !== 'held') return outcome;
    // Issue 76: a change freeze holds this approved call for re-confirmation: its card awaits a decision again.
    await requests.emitAwaiting(call, info, outcome.record);
    return { kind: 'await' };
  }

  /** A stop: every call left gets a result; approved ones are closed as cancelled, undecided ones as stopped. */
  async function cancelRest(rest: PendingCall[], tools: ToolInfo[] | undefined): Promise<ModelMessage[]> {
    const messages: ModelMessage[] = [];
    for (const call of rest) {
      const info = tools?.find((tool) => tool.name === call.tool);
      await leftovers.cancelApproved(call, info);
      await closeUndecided(call, info);
      messages.push(toolResult(call, cancelledTextFor(run.signal), true));
    }
    return messages;
  }

  /**
   * A call of this turn already previewed and awaiting (the gate previews the whole turn before pausing) can never
   * run once its turn is cancelled; left awaiting it would be listed, and block the conversation, for ever.
   */
  async function closeUndecided(call: PendingCall, info: ToolInfo | undefined): Promise<void> {
    const record = await deps.approvals.get(run.conversationId, call.callId).catch(() => undefined);
    if (record?.status !== 'awaiting') return;
    const cause = runEndedCause(run.signal);
    const text = cause === userStopCause || cause === 'the run was stopped' ? stoppedUndecidedText : `Not executed: ${cause} before this call was decided.`;
    const closed = await deps.approvals.decide({ conversationId: run.conversationId, callId: call.callId, approve: false, decidedBy: run.approver?.id ?? run.requester.id, reason: text, decisionRunId: run.runId });
    if (closed) await run.emit('tool.error', { ...gate.identityOf(call, info, record.args), error: text, code: 'CANCELLED' });
  }

  return async function runTurn(state: Turn): Promise<TurnOutcome> {
    const pending = state.pending;
    const tools = await catalogue();
    const loaded: Record<string, boolean> = { ...state.loadedToolsets };
    if (run.kind === 'chat' && !run.modelCalled) {
      const messages: ModelMessage[] = [];
      for (const call of pending) messages.push(toolResult(call, await leftovers.closeLeftover(call, tools?.find((tool) => tool.name === call.tool)), true));
      return { messages, pending: [], awaitingApproval: false, stopped: run.signal.aborted, loadedToolsets: loaded };
    }
    if (!state.suppressPendingEvent) {
      const shown = pending.filter((call) => call.tool !== engineTool?.name);
      if (shown.length > 0) {
        await run.emit('tools.pending', {
          tools: shown.map((call) => {
            const info = tools?.find((tool) => tool.name === call.tool);
            const args = gate.shownArgsOf(call.tool, call.args);
            return {
              call_id: call.callId,
              tool: call.tool,
              title: info?.title ?? call.tool,
              args,
              requires_approval: needsApproval(call, tools),
              destructive: !call.invalid && gate.destructive(call.tool, call.args),
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
        messages.push(...(await cancelRest(pending.slice(index), tools)));
        return { messages, pending: [], awaitingApproval: false, stopped: true, loadedToolsets: loaded };
      }
      const outcome = await handle(call, tools, loaded);
      if (outcome.kind === 'await') {
        await requests.previewTheRest(pending.slice(index + 1), (later) => tools?.find((tool) => tool.name === later.tool), (later) => needsApproval(later, tools));
        return { messages, pending: pending.slice(index), awaitingApproval: true, loadedToolsets: loaded };
      }
      messages.push(toolResult(call, outcome.text, outcome.isError));
    }
    return { messages, pending: [], awaitingApproval: false, stopped: run.signal.aborted, loadedToolsets: loaded };
  };
}
