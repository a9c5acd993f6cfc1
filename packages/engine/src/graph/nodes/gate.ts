/**
 * The approval gate: runs the model's tool calls in order. Read-only tools run at once; every other call
 * (by the fail-closed policy in approvals/) is previewed, recorded as awaiting approval with the hash of its
 * exact arguments, and stops the run until a human decides. A resumed run executes an approved call only if
 * the approval's hash still matches the call, and only while the approval is unexecuted.
 */
import type { ModelMessage, ToolModelMessage } from 'ai';
import { decideApproval } from '../../approvals/approval-policy.ts';
import { hashToolCall } from '../../approvals/hash-tool-call.ts';
import { injectJenkinsArgs, isJenkinsTool, stripJenkinsArgs } from '../../mcp/jenkins-args.ts';
import { toolsets, type Toolset, type ToolInfo } from '../../mcp/tool-gateway.ts';
import type { GraphDeps, RunContext } from '../run-context.ts';
import type { AgentStateUpdate, AgentStateValue, PendingCall } from '../state.ts';
import { exposeTools, loadToolsetName } from '../tool-exposure.ts';

type CallOutcome = { kind: 'done'; text: string; isError: boolean } | { kind: 'await' };

export const deniedText = 'Tool call was denied by the user';
export const cancelledText = 'Tool call was cancelled: the run was stopped by the user.';

function toolResult(call: PendingCall, text: string, isError: boolean): ToolModelMessage {
  return {
    role: 'tool',
    content: [{ type: 'tool-result', toolCallId: call.callId, toolName: call.tool, output: isError ? { type: 'error-text', value: text } : { type: 'text', value: text } }],
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createGateNode(deps: GraphDeps, run: RunContext) {
  async function catalogue(): Promise<ToolInfo[] | undefined> {
    try {
      return await deps.tools.listTools();
    } catch {
      return undefined; // unknown annotations → every call needs approval (fail closed)
    }
  }

  async function execute(call: PendingCall, info: ToolInfo | undefined, shownArgs: Record<string, unknown>, execArgs: Record<string, unknown>) {
    const identity = { call_id: call.callId, tool: call.tool, title: info?.title ?? call.tool, args: shownArgs };
    await run.emit('tool.executing', identity);
    try {
      const outcome = await deps.tools.callTool({ name: call.tool, args: execArgs, signal: run.signal, timeoutMs: deps.config.toolCallTimeoutMs });
      if (run.signal.aborted) throw new Error('stopped');
      if (outcome.isError) {
        await run.emit('tool.error', { ...identity, error: outcome.text || 'The tool reported an error without a message' });
        return { text: `Tool error: ${outcome.text}`, isError: true };
      }
      await run.emit('tool.result', { ...identity, result: [{ type: 'text', text: outcome.text }] });
      return { text: outcome.text, isError: false };
    } catch (error) {
      if (run.signal.aborted) {
        await run.emit('tool.error', { ...identity, error: cancelledText });
        return { text: cancelledText, isError: true, cancelled: true };
      }
      const message = `Tool error: ${errorText(error)}`;
      await run.emit('tool.error', { ...identity, error: message });
      return { text: message, isError: true };
    }
  }

  async function loadToolset(call: PendingCall, tools: ToolInfo[] | undefined, loaded: Record<string, boolean>): Promise<CallOutcome> {
    const { toolset, include_write_tools: includeWrite } = call.args as { toolset?: unknown; include_write_tools?: unknown };
    const fail = async (text: string): Promise<CallOutcome> => {
      await run.emit('tool.error', { call_id: call.callId, tool: call.tool, title: 'Load toolset', args: call.args, error: text });
      return { kind: 'done', text, isError: true };
    };
    if (typeof toolset !== 'string' || !(toolsets as readonly string[]).includes(toolset)) return fail(`toolset must be one of ${toolsets.join(', ')}`);
    if (typeof includeWrite !== 'boolean') return fail('include_write_tools must be true or false');
    const jenkinsAvailable = deps.jenkinsIntegration?.() !== undefined;
    if (toolset === 'jenkins' && !jenkinsAvailable) return fail('Jenkins integration is not configured; an admin must add one before Jenkins tools can be used.');
    loaded[toolset] = includeWrite || loaded[toolset] === true;
    const names = exposeTools(tools ?? [], loaded, { jenkinsAvailable })
      .filter((tool) => tool.toolset === (toolset as Toolset))
      .map((tool) => tool.name);
    await run.emit('toolset.loaded', { toolset, include_write_tools: loaded[toolset] === true, tools: names });
    return { kind: 'done', text: `Loaded toolset ${toolset}${loaded[toolset] ? ' with write tools' : ''}. Available from your next turn: ${names.join(', ') || '(none)'}.`, isError: false };
  }

  async function handle(call: PendingCall, tools: ToolInfo[] | undefined, loaded: Record<string, boolean>): Promise<CallOutcome & { cancelled?: boolean }> {
    const info = tools?.find((tool) => tool.name === call.tool);
    const shownArgs = isJenkinsTool(call.tool) ? stripJenkinsArgs(call.args) : call.args;
    const identity = { call_id: call.callId, tool: call.tool, title: info?.title ?? call.tool, args: shownArgs };

    if (call.invalid) {
      await run.emit('tool.error', { ...identity, error: call.invalid });
      return { kind: 'done', text: call.invalid, isError: true };
    }
    if (call.tool === loadToolsetName) return loadToolset(call, tools, loaded);

    let execArgs = shownArgs;
    if (isJenkinsTool(call.tool)) {
      const integration = deps.jenkinsIntegration?.();
      if (!integration) {
        const text = 'Jenkins integration is not configured; an admin must add one before Jenkins tools can be used.';
        await run.emit('tool.error', { ...identity, error: text });
        return { kind: 'done', text, isError: true };
      }
      execArgs = injectJenkinsArgs(call.args, integration);
    }

    const decision = decideApproval({ tool: call.tool, info });
    if (!decision.requiresApproval) return { kind: 'done', ...(await execute(call, info, shownArgs, execArgs)) };

    const argsHash = hashToolCall(call.tool, shownArgs);
    // The decision that started this run is fresh from its atomic update; claimExecution below still guards the run.
    const record = run.decided?.callId === call.callId ? run.decided : await deps.approvals.get(run.conversationId, call.callId);
    if (!record || record.status === 'awaiting') {
      let diff = record?.diff;
      let previewError: string | undefined;
      if (!record) {
        try {
          const preview = await deps.tools.preview({ name: call.tool, args: execArgs, signal: run.signal });
          if (preview && !preview.isError) diff = preview.text;
          else if (preview) previewError = preview.text;
        } catch (error) {
          previewError = `preview failed: ${errorText(error)}`;
        }
        await deps.approvals.request({ conversationId: run.conversationId, callId: call.callId, runId: run.runId, tool: call.tool, args: shownArgs, argsHash, diff });
      }
      await run.emit('tool.awaiting_approval', {
        ...identity,
        ...(diff !== undefined ? { diff } : {}),
        ...(previewError !== undefined ? { preview_error: previewError } : {}),
        args_hash: argsHash,
        context: { conversation_id: run.conversationId, approval_decisions: { ...run.decisions } },
      });
      return { kind: 'await' };
    }

    // The approver saw exactly one tool and argument set; anything else is not what they approved.
    if (record.tool !== call.tool || record.argsHash !== argsHash) {
      const text = `Not executed: the approval for ${call.callId} does not match this call's tool and arguments.`;
      await run.emit('tool.error', { ...identity, error: text });
      return { kind: 'done', text, isError: true };
    }
    if (record.status === 'denied') {
      run.decisions[call.callId] = false;
      await run.emit('tool.denied', { ...identity, decided_by: record.decidedBy, ...(record.reason ? { reason: record.reason } : {}) });
      return { kind: 'done', text: record.reason ? `${deniedText}: ${record.reason}` : deniedText, isError: true };
    }
    if (record.status !== 'approved') {
      // executed or failed: a previous run already ran it (e.g. it crashed before finishing). Never run it twice.
      const text = `This call was already ${record.status === 'executed' ? 'executed' : 'attempted'} once and is not run again.${record.resultSummary ? ` Result: ${record.resultSummary}` : ''}`;
      await run.emit('tool.error', { ...identity, error: text });
      return { kind: 'done', text, isError: true };
    }
    run.decisions[call.callId] = true;
    await run.emit('tool.approved', { ...identity, decided_by: record.decidedBy, ...(record.reason ? { reason: record.reason } : {}) });
    // Claim first, execute second: if two runs ever resume the same approved call, only one wins the claim.
    if (!(await deps.approvals.claimExecution({ conversationId: run.conversationId, callId: call.callId }))) {
      const text = 'This call is already being executed by another run and is not run again.';
      await run.emit('tool.error', { ...identity, error: text });
      return { kind: 'done', text, isError: true };
    }
    const outcome = await execute(call, info, shownArgs, execArgs);
    await deps.approvals.markExecuted({ conversationId: run.conversationId, callId: call.callId, ok: !outcome.isError, resultSummary: outcome.text.slice(0, 500) });
    return { kind: 'done', ...outcome };
  }

  /**
   * An approved call that a stop cancels before it ran is closed in the approval store (approved → failed), so
   * the record no longer reads as waiting to run and a later decision on it is refused as already decided.
   */
  async function cancelApproved(call: PendingCall, tools: ToolInfo[] | undefined): Promise<void> {
    const record = run.decided?.callId === call.callId ? run.decided : await deps.approvals.get(run.conversationId, call.callId).catch(() => undefined);
    if (record?.status !== 'approved') return;
    if (!(await deps.approvals.claimExecution({ conversationId: run.conversationId, callId: call.callId }))) return;
    await deps.approvals.markExecuted({ conversationId: run.conversationId, callId: call.callId, ok: false, resultSummary: cancelledText });
    const info = tools?.find((tool) => tool.name === call.tool);
    const args = isJenkinsTool(call.tool) ? stripJenkinsArgs(call.args) : call.args;
    await run.emit('tool.error', { call_id: call.callId, tool: call.tool, title: info?.title ?? call.tool, args, error: cancelledText });
  }

  return async function gate(state: AgentStateValue): Promise<AgentStateUpdate> {
    const pending = state.pendingTools;
    const tools = await catalogue();
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
              args: isJenkinsTool(call.tool) ? stripJenkinsArgs(call.args) : call.args,
              requires_approval: !call.invalid && decideApproval({ tool: call.tool, info }).requiresApproval,
              timestamp: Date.now(),
            };
          }),
        });
      }
    }

    const messages: ModelMessage[] = [];
    const loaded: Record<string, boolean> = { ...state.loadedToolsets };
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
