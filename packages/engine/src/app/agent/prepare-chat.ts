/**
 * A chat's start (POST /agent/chat): checks the message and the conversation (its access, its cluster pin, no call
 * awaiting approval), claims the conversation for the run with the user's entry and the request's audit record (in one
 * statement where the storage can), and hands back the run to start once its events are subscribed to.
 */
import { randomUUID } from 'node:crypto';
import type { MemberScope } from '@skyflo/protocol';
import { appendAlertEntry, appendUserEntry } from '../../domain/timeline/apply-event.ts';
import { AgentRequestError } from '../../platform/errors/agent-request-error.ts';
import { tooManyRuns } from './conversation-runs.ts';
import { runAgent } from './run-agent.ts';
import type { AgentContext } from './agent-context.ts';
import type { AgentService, ConversationFacts, StartedRun } from './agent-service-types.ts';

export function createPrepareChat({ deps, storage, scrubSecrets, accessibleConversation, conversationClusters, ownAuditTrail, claim, launch, runDeps }: AgentContext) {
  return async function prepareChat({ user, conversationId, message, context, ip, alert, alertCard, schedule }: Parameters<AgentService['prepareChat']>[0]): Promise<StartedRun> {
    const content = message.trim();
    if (!content) throw new AgentRequestError(400, 'EMPTY_MESSAGE', 'The message is empty; send at least one user message with content.');
    const runId = randomUUID();
    let conversation: ConversationFacts;
    /** the conversation was started with the user's message and the request's audit record in one statement */
    let messageWritten = false;
    /** the request's audit record was written with the run's claim */
    let recorded = false;
    // The requester's scope, read once for the chat's start: the pin of a new conversation and the run's cluster
    // context both need it (two reads of the same user row per chat before, issue 79 item 5).
    let requesterScope: Promise<MemberScope | undefined> | undefined;
    const scopeOnce = () => {
      if (!requesterScope) {
        requesterScope = deps.scopeOf ? deps.scopeOf(user.id) : Promise.resolve(undefined);
        // a failed read fails whoever awaits it; one that nobody reaches (the clusters unlisted) is not unhandled
        requesterScope.catch(() => undefined);
      }
      return requesterScope;
    };
    const chatRequestRecord = (id: string) => ({ actorId: user.id, action: 'chat.request', conversationId: id, subjectType: 'conversation', subjectId: id, details: { run_id: runId, text: scrubSecrets(content), ...(schedule ? { via: `schedule: ${schedule.name}` } : {}) }, ...(ip ? { ip } : {}) });
    if (conversationId) {
      conversation = await accessibleConversation(user, conversationId, 'change');
      if (context !== undefined && conversation.cluster !== undefined && context !== conversation.cluster) {
        throw new AgentRequestError(409, 'CONVERSATION_PINNED', `This conversation is pinned to cluster ${conversation.cluster}; start a new conversation for ${context} (or ask for it by name: calls may name another cluster with context).`);
      }
      if (conversation.cluster === undefined && conversationClusters) {
        // A conversation made by POST /conversations (or before clusters) is pinned at its first chat.
        const pinned = await conversationClusters.pinFor(user.id, context, scopeOnce());
        if (pinned) conversation = (await storage.conversations.update(conversation.id, { cluster: pinned })) ?? conversation;
      }
      const approvalPending = (callIds: string[]) =>
        new AgentRequestError(409, 'APPROVAL_PENDING', `This conversation has tool calls waiting for approval (${callIds.join(', ')}); approve or deny them with POST /agent/approvals/{call_id} first.`);
      // One statement for the claim, the check for calls awaiting approval, the request's audit record and the user's
      // entry (issue 38; storage/start-chat.ts), when the audit trail is the storage's own; a held conversation takes
      // the long way.
      const continued =
        storage.conversations.continueChat && !alertCard && ownAuditTrail
          ? await storage.conversations.continueChat({
              conversationId,
              userId: user.id,
              runId,
              leaseMs: deps.config.runLeaseMs,
              maxRunningPerUser: deps.config.maxRunsPerUser,
              audit: deps.audit ? chatRequestRecord(conversationId) : undefined,
              entry: { id: randomUUID(), content, timestamp: Date.now() },
            })
          : undefined;
      if (continued?.ok === false && continued.reason === 'user_limit') throw tooManyRuns(continued.running, deps.config.maxRunsPerUser);
      if (continued?.ok === false && continued.reason === 'approval_pending') throw approvalPending(continued.callIds);
      if (continued?.ok) {
        recorded = true;
        messageWritten = true;
      } else {
        await claim(conversationId, runId, user.id);
        const awaiting = (await storage.approvals.listForConversation(conversationId)).filter((record) => record.status === 'awaiting');
        if (awaiting.length > 0) {
          await storage.runs.finish(runId);
          throw approvalPending(awaiting.map((record) => record.callId));
        }
      }
    } else {
      const pinned = await conversationClusters?.pinFor(user.id, context, scopeOnce());
      // One statement for the conversation, the claim, the user's message and the request's audit record (issue 38;
      // storage/start-chat.ts): when the audit trail is the storage's own, so the record commits with the state.
      if (storage.conversations.startChat && !alertCard && ownAuditTrail) {
        const started = await storage.conversations.startChat({
          userId: user.id,
          cluster: pinned,
          runId,
          leaseMs: deps.config.runLeaseMs,
          maxRunningPerUser: deps.config.maxRunsPerUser,
          timeline: appendUserEntry([], { id: randomUUID(), content, timestamp: Date.now() }),
          audit: deps.audit ? (id) => chatRequestRecord(id) : undefined,
        });
        if (!started.ok) throw tooManyRuns(started.running, deps.config.maxRunsPerUser);
        conversation = started.conversation;
        messageWritten = true;
        recorded = true;
      } else {
        conversation = await storage.conversations.create({ userId: user.id, ...(pinned ? { cluster: pinned } : {}) });
        await claim(conversation.id, runId, user.id);
      }
    }
    if (!recorded) {
      await deps.audit
        ?.record(chatRequestRecord(conversation.id))
        .catch((error: unknown) => deps.logger?.error({ err: error, runId }, 'could not record the chat request in the audit trail'));
    }
    // Read while the stream is set up; a failure (the scope unreadable) fails the run rather than running unscoped.
    const clusterContext = conversationClusters?.forRun(user.id, conversation.cluster, scopeOnce());
    clusterContext?.catch(() => undefined);
    const start = launch(conversation.id, runId, async (release) =>
      runAgent(runDeps, {
        release,
        runId,
        conversationId: conversation.id,
        userMessage: content,
        wantsTitle: !conversation.title,
        requester: { id: user.id, email: user.email, ...(alert !== undefined ? { alert } : {}), ...(schedule ? { schedule } : {}) },
        ...(await clusterContext),
        // inside the run: if the database refuses the message, the stream ends with the error instead of hanging
        prepare: async () => {
          if (messageWritten) return;
          // An alert investigation shows the alert, not the engine's instruction, as its entry (issue 37 item 9).
          await storage.conversations.updateTimeline(conversation.id, (timeline) =>
            alertCard
              ? appendAlertEntry(timeline, { id: randomUUID(), content: alertCard.annotations['description'] ?? alertCard.annotations['summary'] ?? alertCard.title, timestamp: Date.now(), alert: alertCard })
              : appendUserEntry(timeline, { id: randomUUID(), content, timestamp: Date.now() }),
          );
        },
      }),
    );
    return { runId, conversationId: conversation.id, start };
  };
}
