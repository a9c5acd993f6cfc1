/**
 * Issue 77 item 2: a tool call an MCP client outside Skyflo (an IDE, another agent) made, handed to the gate by the
 * MCP server it called (`skyflo mcp --confirm=skyflo`, mcp-server/src/confirm/confirm-through-skyflo.ts). Like Undo
 * (undo/propose-undo.ts), the call enters a run as if a model had made it, so it goes through the gate like any call:
 * previewed by the engine itself, its exact arguments sealed, risk, policies, freezes, passkey requirement and
 * four-eyes judged, recorded awaiting, announced to the queue, Slack and Teams, decided once, executed as approved and
 * verified. Nothing the MCP server says is trusted beyond the arguments it asks for: the person approves what the
 * engine shows, and the MCP server's credential cannot decide (an API token needs `approvals:write` to decide).
 *
 * Who may propose: the owner of the credential (a session or an API token with `chat`), in their own name; each call
 * gets a conversation of its own (so a second call never waits behind the first's approval), owned by that person.
 * Who may read where a call stands: that conversation's owner only (anyone else is told it does not exist).
 * Who may cancel a call still awaiting a decision (the MCP client gave up on it: `tasks/cancel`): the same owner only,
 * with the same answer for anyone else; it closes the call as `cancelled` (out of the queue, never run). It decides
 * nothing else: an approved or running call is not stopped by it.
 * The run that decides the call ends after the gate (graph/state.ts endAfterGate): no model turn follows.
 */
import { randomUUID } from 'node:crypto';
import type { ModelMessage } from 'ai';
import type { AgentEvent, ExternalCallState, ExternalCallStatus, TimelineEntry, ToolExecutionRecord } from '@skyflo/protocol';
import { AgentRequestError } from '../../../platform/errors/agent-request-error.ts';
import type { PendingCall } from '../core/deps.ts';
import type { ApprovalStore, AuditLog, AuthenticatedUser, Conversation } from '../../../platform/ports/index.ts';

/** `Result`: what the started run resolves to (the agent service's RunResult). */
export interface ExternalCallDeps<Result> {
  approvals: ApprovalStore;
  audit?: AuditLog;
  logger?: { error(object: unknown, message?: string): void };
  /** a new conversation of the proposer's, pinned to their default cluster as a chat's would be */
  createConversation(user: AuthenticatedUser, title: string): Promise<Pick<Conversation, 'id'>>;
  /** the conversation when `user` owns it (anyone else: undefined) */
  ownConversation(user: AuthenticatedUser, conversationId: string): Promise<Pick<Conversation, 'id' | 'userId' | 'timeline'> | undefined>;
  claim(conversationId: string, runId: string, userId: string): Promise<void>;
  /** starts the run (the agent service's launch + runAgent, whose RunInput takes this as it is) */
  start(conversationId: string, runId: string, input: ExternalRunInput): () => Promise<Result>;
  /** the Command Center's approval page of a call */
  approvalPage(conversationId: string, callId: string): string;
  /** shows a call closed without running on its card in the conversation (a `tool.error` event) */
  closeCard?(conversationId: string, event: AgentEvent): Promise<unknown>;
}

export interface ExternalRunInput {
  wantsTitle: false;
  requester: { id: string; email?: string };
  inject: { messages: ModelMessage[]; pendingTools: PendingCall[] };
}

export interface ExternalCallInput {
  user: AuthenticatedUser;
  tool: string;
  args: Record<string, unknown>;
  client?: { name?: string | undefined; caller?: string | undefined } | undefined;
  ip?: string;
}

/** The record's status as the MCP server is told it. */
const statusOf = (status: string): ExternalCallStatus => status as ExternalCallStatus;

const textOf = (execution: ToolExecutionRecord | undefined) => execution?.result?.map((part) => part.text).join('\n') || undefined;

function executionIn(timeline: TimelineEntry[], callId: string): ToolExecutionRecord | undefined {
  for (const entry of timeline) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) if (segment.kind === 'tool' && segment.toolExecution.call_id === callId) return segment.toolExecution;
  }
  return undefined;
}

export function createExternalCalls<Result>(deps: ExternalCallDeps<Result>) {
  /** Where the call stands, from its approval row (the truth) and the conversation's card (the words and the result). */
  async function stateOf(user: AuthenticatedUser, conversationId: string, callId: string): Promise<ExternalCallState> {
    const conversation = await deps.ownConversation(user, conversationId);
    const missing = new AgentRequestError(404, 'CALL_NOT_FOUND', `No tool call ${callId} proposed by you in conversation ${conversationId}.`);
    if (!conversation) throw missing;
    const [record, execution] = [await deps.approvals.get(conversationId, callId), executionIn(conversation.timeline, callId)];
    if (!record && !execution) throw missing;
    // A proposal only ever writes calls the model (or this endpoint) made: another user's call cannot be here.
    if (record?.requestedBy !== undefined && record.requestedBy !== conversation.userId) throw missing;
    const base = { conversation_id: conversationId, call_id: callId, tool: record?.tool ?? execution!.tool, approval_url: deps.approvalPage(conversationId, callId), ...(record ? { args_hash: record.argsHash } : {}) };
    const decided = { ...(execution?.decided_by_email ? { decided_by_email: execution.decided_by_email } : {}), ...((record?.reason ?? execution?.reason) ? { reason: (record?.reason ?? execution?.reason)! } : {}) };
    if (!record) {
      // no approval row: the gate ran it at once (a read) or refused to propose it
      const ran = execution!.status === 'completed';
      return { ...base, status: ran ? 'completed' : 'refused', ...(ran ? { result: textOf(execution) ?? '' } : { result: execution!.error ?? 'The gate refused this call.', is_error: true }) };
    }
    const status = statusOf(record.status);
    if (status === 'executed') {
      // the card keeps the tool's whole answer; the row a 500-character summary of it
      const failedOnce = execution?.status === 'error';
      return { ...base, ...decided, status, result: (failedOnce ? execution?.error : textOf(execution)) ?? record.resultSummary ?? '', ...(failedOnce ? { is_error: true } : {}) };
    }
    if (status === 'failed' || status === 'unknown' || status === 'cancelled' || status === 'denied') {
      return { ...base, ...decided, status, result: execution?.error ?? record.resultSummary ?? (status === 'denied' ? 'Denied.' : 'Not executed.'), is_error: true };
    }
    return { ...base, ...decided, status };
  }

  return {
    stateOf,
    /**
     * The proposer withdraws a call still awaiting a decision (its MCP client cancelled the task that waited for it):
     * closed as cancelled in the same statement that checks it is still awaiting, so a decision racing it wins or
     * loses whole. A call already decided is left as it is; the state says where it stands either way.
     */
    async cancel(input: { user: AuthenticatedUser; conversationId: string; callId: string; ip?: string }): Promise<ExternalCallState> {
      const { user, conversationId, callId } = input;
      // the owner check (and the same 404 for anyone else) is stateOf's
      const before = await stateOf(user, conversationId, callId);
      if (before.status !== 'awaiting') return before;
      const reason = `Not executed: cancelled by the MCP client that proposed it (with ${user.email}'s credential) before anyone decided it.`;
      const closed = await deps.approvals.cancelAwaiting({ conversationId, callId, reason });
      if (closed) {
        const record = await deps.approvals.get(conversationId, callId);
        const event: Extract<AgentEvent, { type: 'tool.error' }> = { type: 'tool.error', call_id: callId, tool: before.tool, title: before.tool, args: record?.args ?? {}, error: reason, code: 'CANCELLED', conversation_id: conversationId, timestamp: Date.now() };
        await deps.closeCard?.(conversationId, event).catch((error: unknown) => deps.logger?.error({ err: error, callId }, 'could not show the cancelled external call on its card'));
        await deps.audit
          ?.record({ actorId: user.id, action: 'external_call.cancelled', conversationId, subjectType: 'tool_call', subjectId: callId, details: { tool: before.tool }, ...(input.ip ? { ip: input.ip } : {}) })
          .catch((error: unknown) => deps.logger?.error({ err: error, callId }, 'could not record the cancelled external call in the audit trail'));
      }
      return stateOf(user, conversationId, callId);
    },
    /**
     * Proposes the call and waits for its proposing run (a preview: seconds), then says where it stands: usually
     * `awaiting` with the approval page; `refused` when the gate would not propose it; `completed` for a read.
     */
    async propose(input: ExternalCallInput): Promise<ExternalCallState> {
      const { user, tool, args } = input;
      const clientName = (input.client?.name || 'an MCP client').slice(0, 100);
      const title = `MCP client ${clientName}: ${tool}`;
      const conversation = await deps.createConversation(user, title);
      const runId = randomUUID();
      await deps.claim(conversation.id, runId, user.id);
      const callId = `mcp-${randomUUID()}`;
      const via = input.client?.caller ? ` (its caller: ${input.client.caller.slice(0, 100)})` : '';
      // What the model's history holds, should the person chat on in this conversation: who asked, and the call.
      const messages: ModelMessage[] = [
        { role: 'user', content: `[Tool call from ${clientName}${via}, through the Skyflo MCP server with ${user.email}'s credential] ${tool}` },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: callId, toolName: tool, input: args }] },
      ];
      await deps.audit
        ?.record({ actorId: user.id, action: 'external_call.requested', conversationId: conversation.id, subjectType: 'tool_call', subjectId: callId, details: { run_id: runId, tool, client: clientName, ...(input.client?.caller ? { caller: input.client.caller } : {}) }, ...(input.ip ? { ip: input.ip } : {}) })
        .catch((error: unknown) => deps.logger?.error({ err: error, callId }, 'could not record the external call in the audit trail'));
      const start = deps.start(conversation.id, runId, {
        wantsTitle: false,
        requester: { id: user.id, email: user.email },
        inject: { messages, pendingTools: [{ callId, tool, args, external: clientName }] },
      });
      await start();
      return stateOf(user, conversation.id, callId);
    },
  };
}
