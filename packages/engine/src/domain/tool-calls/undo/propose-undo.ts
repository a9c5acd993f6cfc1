/**
 * Undo (issue 21): `POST /agent/approvals/{call_id}/undo` proposes the inverse of an executed call — recorded from
 * its before-state — as a NEW call (new call id, `undo_of`) in the same conversation. The run goes through the gate
 * like any call the model proposes: previewed against the live state (so a target changed since shows in its diff),
 * recorded, and left awaiting a decision under the same approval policy (four-eyes included). Approving it is the
 * ordinary POST /agent/approvals/{call_id}; it then executes and is verified (`undo_of` on its verification).
 */
import { randomUUID } from 'node:crypto';
import type { ModelMessage } from 'ai';
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import { AgentRequestError } from '../../../platform/errors/agent-request-error.ts';
import type { PendingCall } from '../core/deps.ts';
import type { ApprovalStore, AuditLog, AuthenticatedUser, Conversation } from '../../../platform/ports/index.ts';
import { openBefore } from '../core/baseline.ts';

/** `Result`: what the started run resolves to (the agent service's RunResult). */
export interface UndoProposerDeps<Result> {
  approvals: ApprovalStore;
  secretBox: SecretBox;
  audit?: AuditLog;
  logger?: { error(object: unknown, message?: string): void };
  /** the agent service's access rule (`act`, as for deciding); refused access is reported as missing */
  accessibleConversation(user: AuthenticatedUser, conversationId: string): Promise<Pick<Conversation, 'userId'>>;
  /** claims the conversation for the run (409 while another run is active) */
  claim(conversationId: string, runId: string, userId: string): Promise<void>;
  /** releases a claim taken for a run that will not start */
  release(runId: string): Promise<void>;
  /** starts the run (the agent service's launch + runAgent, whose RunInput takes this as it is) */
  start(conversationId: string, runId: string, input: UndoRunInput): () => Promise<Result>;
}

/** What the run of an Undo starts with: the model's history holds the call, the gate proposes it. */
export interface UndoRunInput {
  wantsTitle: false;
  requester: { id: string; email?: string };
  inject: { messages: ModelMessage[]; pendingTools: PendingCall[] };
}

const notFound = (callId: string) => new AgentRequestError(404, 'CALL_NOT_FOUND', `No executed tool call ${callId} in this conversation; only an executed change can be undone.`);

export function createUndoProposer<Result>(deps: UndoProposerDeps<Result>) {
  return async function prepareUndo(input: { user: AuthenticatedUser; conversationId: string; callId: string; ip?: string }) {
    const { user, conversationId, callId } = input;
    const [conversation, record] = await Promise.all([deps.accessibleConversation(user, conversationId), deps.approvals.get(conversationId, callId)]);
    if (!record || record.status !== 'executed') throw notFound(callId);
    // Defence in depth, as for deciding: the call was proposed in this conversation by its owner.
    if (record.requestedBy !== undefined && record.requestedBy !== conversation.userId) throw notFound(callId);
    const inverse = openBefore(deps.secretBox, conversationId, callId, record.beforeSealed)?.inverse;
    if (!inverse || !record.undo) {
      throw new AgentRequestError(409, 'NO_UNDO_RECORDED', `Tool call ${callId} has no recorded before-state to restore (the MCP server could not capture one for ${record.tool}), so it cannot be undone automatically; propose the reverse change in the chat instead.`);
    }
    const all = await deps.approvals.listForConversation(conversationId);
    const awaiting = all.filter((other) => other.status === 'awaiting');
    if (awaiting.length > 0) {
      throw new AgentRequestError(409, 'APPROVAL_PENDING', `This conversation has tool calls waiting for approval (${awaiting.map((other) => other.callId).join(', ')}); decide them first.`);
    }
    const earlier = all.find((other) => other.undoOf === callId && ['approved', 'executing', 'executed'].includes(other.status));
    if (earlier) throw new AgentRequestError(409, 'ALREADY_UNDONE', `Tool call ${callId} was already undone by ${earlier.callId} (${earlier.status}).`);

    const runId = randomUUID();
    await deps.claim(conversationId, runId, user.id);
    const undoCallId = `undo-${randomUUID()}`;
    // What the model's history holds: the shown (redacted) arguments only; the gate takes the sealed exact ones.
    const shownArgs = record.undo.args;
    const messages: ModelMessage[] = [
      { role: 'user', content: `[Undo requested by ${user.email}] Restore the state from before tool call ${callId} (${record.tool}): ${record.undo.summary}.` },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: undoCallId, toolName: inverse.tool, input: shownArgs }] },
    ];
    await deps.audit
      ?.record({ actorId: user.id, action: 'undo.requested', conversationId, subjectType: 'tool_call', subjectId: callId, details: { run_id: runId, undo_call_id: undoCallId, tool: inverse.tool, summary: record.undo.summary }, ...(input.ip ? { ip: input.ip } : {}) })
      .catch((error: unknown) => deps.logger?.error({ err: error, callId }, 'could not record the undo request in the audit trail'));
    const start = deps.start(conversationId, runId, {
      wantsTitle: false,
      // the conversation's owner proposes it (as the original), so four-eyes and the policy apply as to any call
      requester: { id: conversation.userId, ...(conversation.userId === user.id ? { email: user.email } : {}) },
      inject: { messages, pendingTools: [{ callId: undoCallId, tool: inverse.tool, args: shownArgs, undoOf: callId }] },
    });
    return { runId, conversationId, undoCallId, start };
  };
}
