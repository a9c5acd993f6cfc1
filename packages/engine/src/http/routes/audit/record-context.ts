/**
 * What GET /audit adds to a page of records so a reader sees names and the change itself, not ids and hashes:
 * conversation titles, and on approval records the diff the approver was shown. Neither is part of the hash chain.
 */
import type { AuditTrail, ConversationStore, StoredAuditEvent } from '../../../platform/ports/index.ts';

export interface AuditRecordContext {
  /** conversation id → title (null: deleted, or no title yet) */
  conversationTitles: ReadonlyMap<string, string | null>;
  /** audit event id of an approval.* record → the diff approved or denied */
  approvedDiffs: ReadonlyMap<string, string | null>;
}

/** The conversation a record belongs to: the column, or details.conversation_id (approval records keep it there). */
export function conversationOf(event: StoredAuditEvent): string | undefined {
  const fromDetails = event.details['conversation_id'];
  return event.conversationId ?? (typeof fromDetails === 'string' ? fromDetails : undefined);
}

const isDecision = (event: StoredAuditEvent) => event.action.startsWith('approval.') && event.subjectType === 'tool_call' && Boolean(event.subjectId);

export async function auditRecordContext(events: readonly StoredAuditEvent[], deps: { audit: Pick<AuditTrail, 'page'>; conversations?: Pick<ConversationStore, 'get'> }): Promise<AuditRecordContext> {
  const conversationIds = [...new Set(events.map(conversationOf).filter((id): id is string => Boolean(id)))];
  const conversationTitles = new Map<string, string | null>();
  if (deps.conversations) {
    // A page holds at most a few distinct conversations; ids that are not conversations (or were deleted) read as null.
    await Promise.all(
      conversationIds.map(async (id) => {
        const conversation = await deps.conversations!.get(id).catch(() => undefined);
        conversationTitles.set(id, conversation?.title || null);
      }),
    );
  }

  const approvedDiffs = new Map<string, string | null>();
  const decisions = events.filter(isDecision);
  // One read of tool.proposed per conversation with decisions on this page, however many decisions it holds.
  const proposalsByConversation = new Map<string, Promise<StoredAuditEvent[]>>();
  const proposalsIn = (conversationId: string) => {
    let proposals = proposalsByConversation.get(conversationId);
    if (!proposals) {
      proposals = deps.audit.page({ action: 'tool.proposed', conversationId, limit: 500 }).then((page) => page.items);
      proposalsByConversation.set(conversationId, proposals);
    }
    return proposals;
  };
  await Promise.all(
    decisions.map(async (decision) => {
      const conversationId = conversationOf(decision);
      if (!conversationId) return approvedDiffs.set(decision.id, null);
      const proposal = (await proposalsIn(conversationId)).find((candidate) => candidate.subjectId === decision.subjectId);
      const diff = proposal?.details['diff'];
      const decidedHash = decision.details['diff_hash'];
      // Only the diff the decision was about: a decision that names a diff hash must match the proposal's.
      const matches = typeof diff === 'string' && (decidedHash === undefined || decidedHash === proposal?.details['diff_hash']);
      approvedDiffs.set(decision.id, matches ? (diff as string) : null);
    }),
  );
  return { conversationTitles, approvedDiffs };
}
