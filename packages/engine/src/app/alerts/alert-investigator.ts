/**
 * Alert-triggered investigations. Each firing alert group opens one conversation owned by the caller (the API token's
 * user), titled from the alert, and asks the agent to diagnose it with read-only tools; a change the agent proposes
 * waits for a human like any other (the normal gate; nothing here decides calls, and an alerts:write token cannot
 * reach the decision route). A repeat of the same group adds to its conversation; `resolved` closes it with a note.
 *
 * Alert groups belong to their owner: the group's record is keyed by the token owner's id, because Alertmanager
 * group keys are predictable (`{}:{alertname="…"}`) — keyed globally, another member posting the key first would
 * swallow the real alert, and could post `resolved` to close someone else's investigation.
 *
 * At most `maxConcurrent` investigations run at once per engine; the rest wait in a queue in the database (so a
 * restart resumes it) of at most `queueLimit` jobs: past it an alert is refused (`queued: false`, 429) rather than
 * queued without bound, since each job is a full model run. A repeat notification with the same alerts firing (what
 * Alertmanager sends every repeat_interval, and again after every restart) starts no run: it adds a line to the open
 * investigation; a changed set is investigated again with the change spelled out (ALERT_REINVESTIGATE: on_change,
 * the default; always; never). A new investigation counts against the owner's
 * CONVERSATIONS_PER_MINUTE like any other new conversation (`admitConversation`). When a run ends, its conclusion is
 * announced to the notifiers (alert.investigated).
 */
import type { AgentService } from '../agent/create-agent-service.ts';
import { AgentRequestError } from '../../platform/errors/agent-request-error.ts';
import type { TeamEvent } from '../team-events/team-event.ts';
import type { AlertQueueStore, AuditLog, AuthenticatedUser, ConversationStore, QueuedAlert, SettingsStore, UserStore } from '../../platform/ports/index.ts';
import type { AlertCard } from '@skyflo/protocol';
import type { AlertGroup } from './alert-payloads.ts';

/** When a repeat of an open group runs the model again: on a change of what fires (default), every time, or never. */
export type Reinvestigate = 'on_change' | 'always' | 'never';

export interface AlertInvestigatorDeps {
  conversations: Pick<ConversationStore, 'create' | 'get' | 'update' | 'delete' | 'updateTimeline'>;
  /** which conversation each owner's alert group opened (key → {conversation_id, closed?}) */
  settings: SettingsStore;
  /** the investigations waiting for a free slot */
  queue: AlertQueueStore;
  /** a queued job runs as its owner, looked up again when it starts (a deactivated owner's jobs are dropped) */
  users: Pick<UserStore, 'findById'>;
  audit: AuditLog;
  agent: () => Pick<AgentService, 'prepareChat'> | undefined;
  announce(event: TeamEvent): void;
  conversationUrl(conversationId: string): string;
  /** ALERT_MAX_CONCURRENT_INVESTIGATIONS */
  maxConcurrent: number;
  /** ALERT_QUEUE_LIMIT */
  queueLimit: number;
  /** ALERT_REINVESTIGATE (default on_change) */
  reinvestigate?: Reinvestigate;
  logger?: { error(object: unknown, message?: string): void };
}

export interface ReceiveOptions {
  ip?: string;
  /** called before a new investigation conversation is opened; throws when the owner may open no more (429) */
  admitConversation?: () => Promise<void>;
}

export interface AlertOutcome {
  status: 'investigating' | 'queued' | 'noted' | 'closed' | 'ignored' | 'refused';
  conversation_id?: string;
  /** false when the alert was refused (the queue is full); nothing was opened or queued */
  queued?: false;
  /** queued: how many investigations wait before this one */
  position?: number;
  detail: string;
}

interface OpenGroup {
  conversation_id: string;
  closed?: boolean;
  /** the firing set last investigated (AlertGroup.firing) */
  firing?: string[];
}

/** The newest lines a card keeps: a group that repeats every hour for weeks must not grow its card without bound. */
const maxNotes = 50;
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((id, index) => id === b[index]);

/** "2 started firing: pod=web-2, pod=web-3; 1 stopped: pod=web-1", naming at most five of each. */
export function describeFiringChange(before: string[], after: string[], names: Record<string, string> = {}): string {
  const was = new Set(before);
  const now = new Set(after);
  const started = after.filter((id) => !was.has(id));
  const stopped = before.filter((id) => !now.has(id));
  const list = (ids: string[]) => `${ids.slice(0, 5).map((id) => names[id] ?? `alert ${id.slice(0, 8)}`).join('; ')}${ids.length > 5 ? `; and ${ids.length - 5} more` : ''}`;
  const parts = [started.length > 0 ? `${started.length} started firing: ${list(started)}` : '', stopped.length > 0 ? `${stopped.length} stopped: ${list(stopped)}` : ''].filter(Boolean);
  return `${parts.join('; ')} (${after.length} firing now)`;
}

/** what every investigation is asked first (exported for the runbook matcher's tests: these words match no runbook) */
export const instructions =
  'An alert fired. Investigate it with read-only tools only (get, describe, logs, events) and end with a short diagnosis: what is wrong, the evidence, and the likely cause. Do not change anything; if a fix is needed, propose it and it will wait for a human decision.';

export function createAlertInvestigator(deps: AlertInvestigatorDeps) {
  /** slots taken: runs in progress plus claims being made (taken before the claim's await, so never more than the limit) */
  let running = 0;
  let stopped = false;
  const settled = new Set<Promise<void>>();
  const keyOf = (owner: AuthenticatedUser, group: AlertGroup) => `alerts.group.${owner.id}.${group.key}`;
  const queueFull = (conversationId?: string): AlertOutcome => ({
    status: 'refused',
    queued: false,
    ...(conversationId ? { conversation_id: conversationId } : {}),
    detail: `${deps.queueLimit} alert investigations are already waiting (ALERT_QUEUE_LIMIT); this alert was not queued. Send it again later (Alertmanager repeats it), or raise ALERT_QUEUE_LIMIT or ALERT_MAX_CONCURRENT_INVESTIGATIONS.`,
  });

  async function conclusionOf(conversationId: string): Promise<string> {
    const conversation = await deps.conversations.get(conversationId);
    const last = [...(conversation?.timeline ?? [])].reverse().find((entry) => entry.type === 'assistant') as { segments?: Array<{ kind: string; text?: string }> } | undefined;
    return (last?.segments ?? []).filter((segment) => segment.kind === 'text').map((segment) => segment.text ?? '').join('').trim();
  }

  /** Claims queued jobs while slots are free and starts them; answers the ids it started (their runs go on). */
  async function fill(): Promise<number[]> {
    const started: number[] = [];
    while (!stopped && running < deps.maxConcurrent) {
      running += 1;
      let job: QueuedAlert | undefined;
      try {
        job = await deps.queue.claim();
      } catch (error) {
        deps.logger?.error({ err: error }, 'could not take an alert investigation from the queue');
      }
      if (!job) {
        running -= 1;
        break;
      }
      started.push(job.id);
      const claimed = job;
      const work: Promise<void> = run(claimed)
        .catch((error: unknown) => deps.logger?.error({ err: error, conversationId: claimed.conversationId }, 'an alert investigation failed to start'))
        .finally(() => {
          running -= 1;
          settled.delete(work);
          void fill();
        });
      settled.add(work);
    }
    return started;
  }

  async function run(job: QueuedAlert): Promise<void> {
    const agent = deps.agent();
    if (!agent) throw new Error('the agent service is not ready');
    const owner = await deps.users.findById(job.userId);
    if (!owner?.isActive) {
      await deps.audit.record({ actorId: job.userId, action: 'alert.dropped', conversationId: job.conversationId, subjectType: 'conversation', subjectId: job.conversationId, details: { reason: 'the owner of the alert token is no longer active' } });
      return;
    }
    const user: AuthenticatedUser = { id: owner.id, email: owner.email, role: owner.role };
    // Issue 37 item 9: the calls this run proposes are asked for by the alert, not by the owner of its token (who
    // may then approve them like any approver; a call the owner asks for by typing stays theirs).
    const opened = await deps.conversations.get(job.conversationId);
    const alertOf = (opened?.metadata as { alert?: { receiver?: unknown; source?: unknown; card?: AlertCard } } | undefined)?.alert;
    const receiver = typeof alertOf?.receiver === 'string' ? alertOf.receiver : typeof alertOf?.source === 'string' ? alertOf.source : 'alert';
    let result: { status: string; awaitingApproval: boolean };
    try {
      // The model is given the instruction (job.message); the timeline shows the alert itself (issue 37 item 9).
      const started = await agent.prepareChat({ user, conversationId: job.conversationId, message: job.message, alert: receiver, ...(alertOf?.card ? { alertCard: alertOf.card } : {}) });
      result = await started.start();
    } catch (error) {
      if (error instanceof AgentRequestError) {
        // a decision is pending or a run is in progress: the alert is kept as a note in the audit trail
        await deps.audit.record({ actorId: user.id, action: 'alert.deferred', conversationId: job.conversationId, subjectType: 'conversation', subjectId: job.conversationId, details: { reason: error.message } });
        return;
      }
      throw error;
    }
    const conclusion = await conclusionOf(job.conversationId);
    await deps.audit.record({ actorId: user.id, action: 'alert.investigated', conversationId: job.conversationId, subjectType: 'conversation', subjectId: job.conversationId, details: { status: result.status, awaiting_approval: result.awaitingApproval, conclusion_chars: conclusion.length } });
    deps.announce({ type: 'alert.investigated', at: Date.now(), conversation_id: job.conversationId, conversation_title: job.title, conversation_url: deps.conversationUrl(job.conversationId), status: result.status, ...(result.awaitingApproval ? { awaiting_approval: true } : {}), conclusion });
  }

  /**
   * Adds a line to the investigation's alert card: on the conversation's newest alert entry (under the timeline's lock,
   * so a run writing its events at the same moment loses nothing) and on the card kept in its metadata (what a run
   * that has not started yet will show).
   */
  async function note(conversationId: string, text: string): Promise<void> {
    const line = { at: Date.now(), text };
    const withLine = (card: AlertCard): AlertCard => ({ ...card, notes: [...(card.notes ?? []), line].slice(-maxNotes) });
    await deps.conversations.updateTimeline(conversationId, (timeline) => {
      const index = timeline.map((entry) => entry.type).lastIndexOf('alert');
      const entry = timeline[index];
      if (entry?.type !== 'alert') return timeline;
      const copy = timeline.slice();
      copy[index] = { ...entry, alert: withLine(entry.alert) };
      return copy;
    });
    const conversation = await deps.conversations.get(conversationId);
    const alert = (conversation?.metadata as { alert?: { card?: AlertCard } } | undefined)?.alert;
    if (alert?.card) await deps.conversations.update(conversationId, { metadata: { ...(conversation?.metadata ?? {}), alert: { ...alert, card: withLine(alert.card) } } });
  }

  /** Opens the group's conversation (or finds the one another engine opened for it at the same moment). */
  async function open(user: AuthenticatedUser, group: AlertGroup, existing: OpenGroup | null | undefined): Promise<{ conversationId: string; repeat?: OpenGroup }> {
    const conversation = await deps.conversations.create({ userId: user.id, title: `Alert: ${group.title}`.slice(0, 255) });
    if (existing === undefined) {
      // A group never seen: engines behind one load balancer may receive it at once. The first to store its
      // conversation wins (putIfAbsent is one INSERT … ON CONFLICT DO NOTHING); a loser removes the one it opened.
      const winner = (await deps.settings.putIfAbsent(keyOf(user, group), { conversation_id: conversation.id, ...(group.firing ? { firing: group.firing } : {}) })) as OpenGroup;
      if (winner.conversation_id !== conversation.id) {
        await deps.conversations.delete(conversation.id);
        return { conversationId: winner.conversation_id, repeat: winner };
      }
    } else {
      await deps.settings.put(keyOf(user, group), { conversation_id: conversation.id, ...(group.firing ? { firing: group.firing } : {}) });
    }
    await deps.conversations.update(conversation.id, { metadata: { alert: { key: group.key, status: 'firing', source: group.source, receiver: group.receiver, card: group.card } } });
    return { conversationId: conversation.id };
  }

  return {
    async receive(user: AuthenticatedUser, group: AlertGroup, options: ReceiveOptions = {}): Promise<AlertOutcome> {
      const existing = (await deps.settings.get(keyOf(user, group))) as OpenGroup | null | undefined;
      const known = existing && !existing.closed ? existing : undefined;
      await deps.audit.record({ actorId: user.id, action: 'alert.received', subjectType: 'alert_group', subjectId: group.key, ...(known ? { conversationId: known.conversation_id } : {}), details: { source: group.source, status: group.status, title: group.title, ...(known ? { conversation_id: known.conversation_id } : {}) }, ...(options.ip ? { ip: options.ip } : {}) });

      if (group.status === 'resolved') {
        if (!known) return { status: 'ignored', detail: 'No open investigation of yours for this alert group; nothing to close.' };
        const conversation = await deps.conversations.get(known.conversation_id);
        await deps.conversations.update(known.conversation_id, { title: `[resolved] ${conversation?.title ?? group.title}`.slice(0, 255), metadata: { ...(conversation?.metadata ?? {}), alert: { key: group.key, status: 'resolved', resolved_at: new Date().toISOString(), note: 'The alert resolved; this investigation is closed.' } } });
        await deps.settings.put(keyOf(user, group), { ...known, closed: true });
        return { status: 'closed', conversation_id: known.conversation_id, detail: 'The alert resolved; its investigation is closed with a note.' };
      }

      // A repeat of an open group: what fires is compared with what was last investigated.
      const reinvestigate = deps.reinvestigate ?? 'on_change';
      const changed = known?.firing && group.firing && !sameSet(known.firing, group.firing) ? describeFiringChange(known.firing, group.firing, group.alertNames) : undefined;
      if (known && group.firing && reinvestigate !== 'always' && (reinvestigate === 'never' || (known.firing && !changed))) {
        // no model run: a line on the open investigation (never a 429 either: nothing is queued)
        const count = group.firing.length;
        await note(known.conversation_id, changed ? `Fired again, and what fires changed: ${changed}.` : `Fired again: the same ${count} alert${count === 1 ? '' : 's'} firing.`);
        if (changed) await deps.settings.put(keyOf(user, group), { ...known, firing: group.firing });
        return { status: 'noted', conversation_id: known.conversation_id, detail: changed ? 'What fires changed; noted on the open investigation (ALERT_REINVESTIGATE=never: no new run).' : 'The same alerts are still firing: a line was added to the open investigation (no new model run).' };
      }

      // A full queue refuses before anything is opened or counted (a flood stops here).
      if ((await deps.queue.size()) >= deps.queueLimit) return queueFull(known?.conversation_id);
      let conversationId: string;
      let repeat = known;
      let opened = false;
      if (known) {
        conversationId = known.conversation_id;
        // the repeat's run shows the alert as it fired this time, with what changed
        const conversation = await deps.conversations.get(conversationId);
        const previous = (conversation?.metadata as { alert?: Record<string, unknown> } | undefined)?.alert;
        const card: AlertCard = changed ? { ...group.card, notes: [{ at: Date.now(), text: `Changed since the last investigation: ${changed}.` }] } : group.card;
        if (previous) await deps.conversations.update(conversationId, { metadata: { ...(conversation?.metadata ?? {}), alert: { ...previous, card } } });
      } else {
        await options.admitConversation?.();
        const result = await open(user, group, existing);
        conversationId = result.conversationId;
        repeat = result.repeat;
        opened = !repeat;
      }
      const message = repeat
        ? `${changed ? `The alert group changed: ${changed}.` : 'The alert fired again.'}\n${group.description}\n\nHas anything changed? Update the diagnosis (read-only tools only).`
        : `${instructions}\n\nAlert: ${group.title}\n${group.description}`;
      const queued = await deps.queue.enqueue({ userId: user.id, conversationId, message, title: group.title }, deps.queueLimit);
      if (!queued) {
        // The last places went to alerts received at the same moment: what this one opened is removed again.
        if (opened) {
          await deps.settings.put(keyOf(user, group), { conversation_id: conversationId, closed: true });
          await deps.conversations.delete(conversationId);
        }
        return queueFull(opened ? undefined : conversationId);
      }
      if (repeat && group.firing) await deps.settings.put(keyOf(user, group), { ...repeat, firing: group.firing });
      const started = await fill();
      if (started.includes(queued.id)) return { status: repeat ? 'noted' : 'investigating', conversation_id: conversationId, detail: repeat ? 'Added to the open investigation of this alert group.' : 'Investigation started.' };
      return {
        status: 'queued',
        conversation_id: conversationId,
        position: queued.position,
        detail: `${running} investigations are running (the limit is ${deps.maxConcurrent}, ALERT_MAX_CONCURRENT_INVESTIGATIONS); this one starts when one ends (${queued.position} waiting before it).`,
      };
    },
    /** Starts the investigations left queued (by a previous process, or while every slot was taken). */
    resume(): Promise<number[]> {
      return fill();
    },
    /** Takes no more jobs from the queue (shutdown: what waits stays queued for the next start). */
    stop(): void {
      stopped = true;
    },
    /** stop(), then waits for the investigations in progress */
    async close(): Promise<void> {
      stopped = true;
      while (settled.size > 0) await Promise.all([...settled]);
    },
  };
}
