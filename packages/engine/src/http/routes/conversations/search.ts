/**
 * GET /conversations/search (issue 37): full-text search over titles and content of the conversations the caller may
 * read, with highlight ranges. Who may read what is the conversation access rule (src/access/conversation-access.ts):
 * a user who may read other people's conversations searches them too (an admin; an approver under
 * APPROVAL_POLICY=approver), everyone else only their own. Snippets of someone else's conversations are a read of
 * them: written to the audit log like GET /conversations/:id by someone else, one record per search. Issue 74 item 8:
 * someone limited to some clusters finds other people's conversations only when they are pinned inside that scope
 * (the store is asked for exactly those, so a page is full and `has_more` is true).
 */
import { searchConversationsQuerySchema, searchDateBound, type SearchConversationsResponse } from '@skyflo/protocol';
import type { MemberScope } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { conversationAccess, othersConversationGrant, type ApprovalPolicyName } from '../../../domain/tool-calls/decide/conversation-access.ts';
import type { AuditLog, ConversationStore } from '../../../platform/ports/index.ts';
import { parseConversationCursor } from '../../../platform/ports/conversation-cursor.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface ConversationSearchRouteDeps {
  conversations: ConversationStore;
  audit: AuditLog;
  approvalPolicy: ApprovalPolicyName;
  /** a person's cluster scope as it is now; absent: nobody is limited */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
}

export const conversationSearchRoute: FastifyPluginAsync<ConversationSearchRouteDeps> = async (app, { conversations, audit, approvalPolicy, scopeOf }) => {
  app.get('/conversations/search', async (request): Promise<SearchConversationsResponse> => {
    const query = parseInput(searchConversationsQuerySchema, request.query, 'query');
    if (!conversations.search) throw new HttpError(501, 'Search is not available on this storage', 'NOT_IMPLEMENTED');
    const cursor = query.cursor === undefined ? undefined : parseConversationCursor(query.cursor);
    if (query.cursor !== undefined && !cursor) throw new HttpError(400, 'cursor: not a cursor returned by this API (use next_cursor as is)', 'INVALID_INPUT');
    const actor = request.user;
    const readsOthers = othersConversationGrant(approvalPolicy, actor.role, 'read') !== undefined;
    const actorScope = readsOthers ? await scopeOf?.(actor.id) : undefined;
    const result = await conversations.search({
      limit: query.limit,
      ...(readsOthers ? (actorScope?.clusters ? { ownerId: actor.id, othersInClusters: actorScope.clusters } : {}) : { ownerId: actor.id }),
      ...(query.q !== undefined ? { text: query.q } : {}),
      ...(query.cluster !== undefined ? { cluster: query.cluster } : {}),
      ...(query.namespace !== undefined ? { namespace: query.namespace } : {}),
      ...(query.tool !== undefined ? { tool: query.tool } : {}),
      ...(query.from !== undefined ? { from: searchDateBound(query.from, 'from') } : {}),
      ...(query.to !== undefined ? { to: searchDateBound(query.to, 'to') } : {}),
      ...(cursor ? { cursor } : {}),
    });
    // The store was asked for what the rule allows; each hit is checked against the same rule once more, so a store
    // that got the owner filter wrong can never hand out someone else's text.
    const readable = result.items.filter((item) => conversationAccess({ policy: approvalPolicy, actor, conversationOwnerId: item.userId, reach: { actorScope, conversationCluster: item.cluster } }, 'read'));
    const others = readable.filter((item) => item.userId !== actor.id);
    if (others.length > 0) {
      await audit.record({
        actorId: actor.id,
        action: `conversation.${othersConversationGrant(approvalPolicy, actor.role, 'read')}_search`,
        subjectType: 'conversation',
        details: { conversation_ids: others.map((item) => item.id), owner_ids: [...new Set(others.map((item) => item.userId))] },
        ip: request.ip,
      });
    }
    return {
      status: 'success',
      data: readable.map((item) => ({
        id: item.id,
        title: item.title,
        created_at: item.createdAt.toISOString(),
        updated_at: item.updatedAt.toISOString(),
        ...(item.cluster ? { cluster: item.cluster } : {}),
        owner: { id: item.userId, email: item.ownerEmail },
        owned_by_me: item.userId === actor.id,
        rank: item.rank,
        title_highlights: item.titleHighlights,
        ...(item.snippet ? { snippet: item.snippet } : {}),
      })),
      has_more: result.hasMore,
      next_cursor: result.nextCursor,
    };
  });
};
