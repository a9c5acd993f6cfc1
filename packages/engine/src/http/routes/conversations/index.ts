import { createConversationRequestSchema, listConversationsQuerySchema, updateConversationRequestSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { draftRunbook, NotResolvedError } from '../../../app/incident-memory/runbook-draft.ts';
import { conversationAccess, type ApprovalPolicyName } from '../../../domain/tool-calls/decide/conversation-access.ts';
import type { MemberScope } from '@skyflo/protocol';
import type { ApprovalStore, AuditLog, Conversation, ConversationStore } from '../../../platform/ports/index.ts';
import { isUuid, parseConversationCursor } from '../../../platform/ports/conversation-cursor.ts';
import { HttpError, notFound } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';
import { conversationSearchRoute } from './search.ts';

export interface ConversationRouteDeps {
  conversations: ConversationStore;
  audit: AuditLog;
  /** stops the runs still going in a deleted conversation */
  stopRuns: (runIds: string[]) => Promise<void>;
  /** APPROVAL_POLICY=approver lets approvers read the conversations whose calls they decide */
  approvalPolicy?: ApprovalPolicyName;
  /** issue 21: marks conversations whose changes were verified `regressed` (and not undone since) */
  approvals?: Pick<ApprovalStore, 'regressedConversations'>;
  /**
   * a person's cluster scope as it is now (issue 74 item 8): someone limited to clusters reads and searches other
   * people's conversations only when they are pinned inside it. Absent: nobody is limited.
   */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
}

/** The reference's first message of every conversation created through POST /conversations. */
export const WELCOME_MESSAGE = 'Welcome to Skyflo. Ask about your Kubernetes cluster or CI/CD pipelines; any change I propose waits for your approval.';

const idParamsSchema = z.object({ id: z.string() });
// messages_json is refused, not ignored: the timeline is the audit trail and only grows from run events.
const patchSchema = updateConversationRequestSchema.extend({
  messages_json: z.never({ error: 'messages_json cannot be edited; the timeline is written by the agent only' }).optional(),
}).strict();

/**
 * Conversation CRUD (spec §1). Every route needs a user; a conversation belongs to its creator. Others get 404
 * (not 403, which would confirm that the id exists). An admin — and, with APPROVAL_POLICY=approver, an approver, who
 * needs the context of the calls they decide — may read anyone's conversation; that read is written to the audit log.
 */
export const conversationRoutes: FastifyPluginAsync<ConversationRouteDeps> = async (app, { conversations, audit, stopRuns, approvalPolicy = 'self', approvals, scopeOf }) => {
  async function load(request: FastifyRequest, access: 'read' | 'write'): Promise<Conversation> {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    const conversation = isUuid(id) ? await conversations.get(id) : undefined;
    if (!conversation) throw notFound('Conversation not found');
    // the reader's scope matters only in someone else's conversation
    const actorScope = conversation.userId === request.user.id ? undefined : await scopeOf?.(request.user.id);
    const grant = conversationAccess({ policy: approvalPolicy, actor: request.user, conversationOwnerId: conversation.userId, reach: { actorScope, conversationCluster: conversation.cluster } }, access === 'read' ? 'read' : 'change');
    if (grant === 'owner') return conversation;
    if (grant) {
      await audit.record({
        actorId: request.user.id,
        action: `conversation.${grant}_read`,
        subjectType: 'conversation',
        subjectId: conversation.id,
        details: { owner_id: conversation.userId },
        ip: request.ip,
      });
      return conversation;
    }
    throw notFound('Conversation not found');
  }

  await app.register(conversationSearchRoute, { conversations, audit, approvalPolicy, ...(scopeOf ? { scopeOf } : {}) });

  app.post('/conversations', async (request, reply) => {
    const input = parseInput(createConversationRequestSchema, request.body ?? {});
    await app.conversationQuota?.(request, reply);
    // An id in use or ever used (deleted conversations keep a tombstone) is never handed out again: the store throws
    // CONVERSATION_ID_TAKEN, which the error handler answers with 409 and the store's message.
    const conversation = await conversations.create({ userId: request.user.id, welcome: WELCOME_MESSAGE, ...(input.conversation_id ? { id: input.conversation_id } : {}), ...(input.title !== undefined ? { title: input.title } : {}) });
    return reply.code(201).send({ status: 'success', id: conversation.id, title: conversation.title, created_at: conversation.createdAt.toISOString() });
  });

  app.get('/conversations', async (request) => {
    const query = parseInput(listConversationsQuerySchema, request.query, 'query');
    if (query.cursor !== undefined && !parseConversationCursor(query.cursor)) {
      throw new HttpError(400, 'cursor: not a cursor returned by this API (use pagination.next_cursor as is)', 'INVALID_INPUT');
    }
    const page = await conversations.list({ userId: request.user.id, limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}), ...(query.query ? { query: query.query } : {}) });
    const regressed = approvals && page.items.length > 0 ? await approvals.regressedConversations(page.items.map((item) => item.id)) : new Set<string>();
    return {
      status: 'success',
      data: page.items.map((item) => ({ id: item.id, title: item.title, created_at: item.createdAt.toISOString(), updated_at: item.updatedAt.toISOString(), ...(item.cluster ? { cluster: item.cluster } : {}), ...(regressed.has(item.id) ? { regressed: true } : {}) })),
      pagination: { limit: query.limit, next_cursor: page.nextCursor, has_more: page.nextCursor !== null },
    };
  });

  // Issue 81 item 5: a runbook drafted from a resolved conversation, for whoever may read it; saving it is POST
  // /runbooks (admins). Nothing is stored here. 409 NOT_RESOLVED when no approved change ran and no alert resolved.
  app.post('/conversations/:id/runbook-draft', async (request) => {
    const conversation = await load(request, 'read');
    try {
      return draftRunbook(conversation);
    } catch (error) {
      if (error instanceof NotResolvedError) throw new HttpError(409, error.message, 'NOT_RESOLVED');
      throw error;
    }
  });

  app.get('/conversations/:id', async (request) => {
    const conversation = await load(request, 'read');
    return {
      status: 'success',
      exists: true,
      id: conversation.id,
      title: conversation.title,
      is_active: conversation.isActive,
      conversation_metadata: conversation.metadata,
      created_at: conversation.createdAt.toISOString(),
      updated_at: conversation.updatedAt.toISOString(),
      ...(conversation.cluster ? { cluster: conversation.cluster } : {}),
      messages: conversation.timeline,
    };
  });

  app.patch('/conversations/:id', async (request) => {
    const existing = await load(request, 'write');
    const patch = parseInput(patchSchema, request.body);
    const updated = await conversations.update(existing.id, {
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.is_active !== undefined ? { isActive: patch.is_active } : {}),
      ...(patch.conversation_metadata !== undefined ? { metadata: patch.conversation_metadata } : {}),
    });
    if (!updated) throw notFound('Conversation not found');
    return { status: 'success', id: updated.id, title: updated.title, is_active: updated.isActive, conversation_metadata: updated.metadata, updated_at: updated.updatedAt.toISOString() };
  });

  app.delete('/conversations/:id', async (request) => {
    const existing = await load(request, 'write');
    const deleted = await conversations.delete(existing.id);
    if (!deleted) throw notFound('Conversation not found');
    if (deleted.runningRunIds.length > 0) await stopRuns(deleted.runningRunIds);
    return { status: 'success', id: existing.id };
  });
};
