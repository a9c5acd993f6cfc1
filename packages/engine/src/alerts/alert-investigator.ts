/**
 * Alert-triggered investigations. Each firing alert group opens one conversation owned by the caller (the API token's
 * user), titled from the alert, and asks the agent to diagnose it with read-only tools; a change the agent proposes
 * waits for a human like any other (the normal gate; nothing here decides calls, and an alerts:write token cannot
 * reach the decision route). A repeat of the same group adds to its conversation; `resolved` closes it with a note.
 * At most `maxConcurrent` investigations run at once; the rest wait in a queue and the answer says so (never
 * dropped). When a run ends, its conclusion is announced to the notifiers (alert.investigated).
 */
import type { AgentService } from '../agent/create-agent-service.ts';
import { AgentRequestError } from '../agent/agent-request-error.ts';
import type { TeamEvent } from '../notifications/team-event.ts';
import type { AuditLog, AuthenticatedUser, ConversationStore, SettingsStore } from '../ports/index.ts';
import type { AlertGroup } from './alert-payloads.ts';

export interface AlertInvestigatorDeps {
  conversations: Pick<ConversationStore, 'create' | 'get' | 'update' | 'delete'>;
  /** which conversation each alert group opened (key → {conversation_id, owner}) */
  settings: SettingsStore;
  audit: AuditLog;
  agent: () => Pick<AgentService, 'prepareChat'> | undefined;
  announce(event: TeamEvent): void;
  conversationUrl(conversationId: string): string;
  maxConcurrent: number;
  logger?: { error(object: unknown, message?: string): void };
}

export interface AlertOutcome {
  status: 'investigating' | 'queued' | 'noted' | 'closed' | 'ignored';
  conversation_id?: string;
  /** queued: how many investigations wait before this one */
  position?: number;
  detail: string;
}

interface Job {
  user: AuthenticatedUser;
  conversationId: string;
  message: string;
  title: string;
}

const instructions =
  'An alert fired. Investigate it with read-only tools only (get, describe, logs, events) and end with a short diagnosis: what is wrong, the evidence, and the likely cause. Do not change anything; if a fix is needed, propose it and it will wait for a human decision.';

export function createAlertInvestigator(deps: AlertInvestigatorDeps) {
  let running = 0;
  const queue: Job[] = [];
  const settled = new Set<Promise<void>>();
  const keyOf = (group: AlertGroup) => `alerts.group.${group.key}`;

  async function conclusionOf(conversationId: string): Promise<string> {
    const conversation = await deps.conversations.get(conversationId);
    const last = [...(conversation?.timeline ?? [])].reverse().find((entry) => entry.type === 'assistant') as { segments?: Array<{ kind: string; text?: string }> } | undefined;
    return (last?.segments ?? []).filter((segment) => segment.kind === 'text').map((segment) => segment.text ?? '').join('').trim();
  }

  function pump(): void {
    while (running < deps.maxConcurrent && queue.length > 0) {
      const job = queue.shift()!;
      running += 1;
      const work: Promise<void> = run(job)
        .catch((error: unknown) => deps.logger?.error({ err: error, conversationId: job.conversationId }, 'an alert investigation failed to start'))
        .finally(() => {
          running -= 1;
          settled.delete(work);
          pump();
        });
      settled.add(work);
    }
  }

  async function run(job: Job): Promise<void> {
    const agent = deps.agent();
    if (!agent) throw new Error('the agent service is not ready');
    let result: { status: string; awaitingApproval: boolean };
    try {
      const started = await agent.prepareChat({ user: job.user, conversationId: job.conversationId, message: job.message });
      result = await started.start();
    } catch (error) {
      if (error instanceof AgentRequestError) {
        // a decision is pending or a run is in progress: the alert is kept as a note in the audit trail
        await deps.audit.record({ actorId: job.user.id, action: 'alert.deferred', conversationId: job.conversationId, subjectType: 'conversation', subjectId: job.conversationId, details: { reason: error.message } });
        return;
      }
      throw error;
    }
    const conclusion = await conclusionOf(job.conversationId);
    await deps.audit.record({ actorId: job.user.id, action: 'alert.investigated', conversationId: job.conversationId, subjectType: 'conversation', subjectId: job.conversationId, details: { status: result.status, awaiting_approval: result.awaitingApproval, conclusion_chars: conclusion.length } });
    deps.announce({ type: 'alert.investigated', at: Date.now(), conversation_id: job.conversationId, conversation_title: job.title, conversation_url: deps.conversationUrl(job.conversationId), status: result.status, ...(result.awaitingApproval ? { awaiting_approval: true } : {}), conclusion });
  }

  return {
    async receive(user: AuthenticatedUser, group: AlertGroup, ip?: string): Promise<AlertOutcome> {
      const existing = (await deps.settings.get(keyOf(group))) as { conversation_id: string; closed?: boolean } | null | undefined;
      const known = existing && !existing.closed ? existing : undefined;
      await deps.audit.record({ actorId: user.id, action: 'alert.received', subjectType: 'alert_group', subjectId: group.key, ...(known ? { conversationId: known.conversation_id } : {}), details: { source: group.source, status: group.status, title: group.title, ...(known ? { conversation_id: known.conversation_id } : {}) }, ...(ip ? { ip } : {}) });

      if (group.status === 'resolved') {
        if (!known) return { status: 'ignored', detail: 'No open investigation for this alert group; nothing to close.' };
        const conversation = await deps.conversations.get(known.conversation_id);
        await deps.conversations.update(known.conversation_id, { title: `[resolved] ${conversation?.title ?? group.title}`.slice(0, 255), metadata: { ...(conversation?.metadata ?? {}), alert: { key: group.key, status: 'resolved', resolved_at: new Date().toISOString(), note: 'The alert resolved; this investigation is closed.' } } });
        await deps.settings.put(keyOf(group), { ...known, closed: true });
        return { status: 'closed', conversation_id: known.conversation_id, detail: 'The alert resolved; its investigation is closed with a note.' };
      }

      let conversationId = '';
      let message = `${instructions}\n\nAlert: ${group.title}\n${group.description}`;
      let repeat = known;
      if (!repeat) {
        const conversation = await deps.conversations.create({ userId: user.id, title: `Alert: ${group.title}`.slice(0, 255) });
        conversationId = conversation.id;
        if (existing === undefined) {
          // A group never seen: engines behind one load balancer may receive it at once. The first to store its
          // conversation wins (putIfAbsent is one INSERT … ON CONFLICT DO NOTHING); a loser removes the one it opened.
          const winner = (await deps.settings.putIfAbsent(keyOf(group), { conversation_id: conversationId })) as { conversation_id: string };
          if (winner.conversation_id !== conversationId) {
            await deps.conversations.delete(conversationId);
            repeat = winner;
          }
        } else {
          await deps.settings.put(keyOf(group), { conversation_id: conversationId });
        }
        if (!repeat) await deps.conversations.update(conversationId, { metadata: { alert: { key: group.key, status: 'firing', source: group.source } } });
      }
      if (repeat) {
        conversationId = repeat.conversation_id;
        message = `The alert fired again:\n${group.description}\n\nHas anything changed? Update the diagnosis (read-only tools only).`;
      }
      const waitingBefore = queue.length;
      queue.push({ user, conversationId, message, title: group.title });
      const startsNow = running < deps.maxConcurrent;
      pump();
      if (startsNow) return { status: repeat ? 'noted' : 'investigating', conversation_id: conversationId, detail: repeat ? 'Added to the open investigation of this alert group.' : 'Investigation started.' };
      return {
        status: 'queued',
        conversation_id: conversationId,
        position: waitingBefore,
        detail: `${running} investigations are running (the limit is ${deps.maxConcurrent}, ALERT_MAX_CONCURRENT_INVESTIGATIONS); this one starts when one ends (${waitingBefore} waiting before it).`,
      };
    },
    /** resolves when every investigation started or queued so far has finished */
    async idle(): Promise<void> {
      while (settled.size > 0 || queue.length > 0) await Promise.all([...settled]);
    },
  };
}
