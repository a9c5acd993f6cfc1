/**
 * The live conversation: the timeline reducer plus the streams that feed it, the queue and the approvals.
 * Components read this store and call its intents; all SSE handling lives here. Tokens are applied in batches
 * (event-batcher.ts), so a fast stream does not re-render per token; what may be decided is read from the timeline
 * by decision-rules.ts.
 */
import type { AgentEvent } from '@skyflo/protocol';
import type { AgentEventStream } from '@skyflo/protocol/client';
import { create } from 'zustand';
import { ApiError, skyflo } from '../../../lib/api.ts';
import { decidedElsewhereNotice, decisionProgress, runTimeOf } from './decided-elsewhere.ts';
import { decisionRefusal, isAwaitingDecision } from './decision-rules.ts';
import { createEventBatcher } from './event-batcher.ts';
import { enqueue, holdAll, persistQueue, promote, removeQueued, restoreQueue, takeNext, type QueuedMessage } from './queue.ts';
import { rememberedRun, rememberRun } from './run-memory.ts';
import { addUserMessage, applyEvent, emptyTimeline, markInterrupted, pendingApprovals, timelineFromPersisted, type DecisionTarget, type TimelineState } from './timeline.ts';
import { signApproval } from '../../../lib/passkeys.ts';

export { decisionTargets } from './decision-rules.ts';

export interface ConversationResponse {
  id: string;
  title: string;
  messages: unknown;
  /** the cluster it is pinned to (issue 22), from an engine that pins conversations */
  cluster?: unknown;
}

export interface ChatStore {
  conversationId?: string;
  timeline: TimelineState;
  queue: QueuedMessage[];
  loading: boolean;
  loadError?: string;
  /** the cluster this conversation is pinned to (GET /conversations/:id `cluster`, or the context it was started with) */
  cluster?: string;
  /** "Approving i/N…" while a batch decision runs */
  batch?: { approve: boolean; done: number; total: number };
  /** a decision is being sent for this call */
  deciding?: string;
  /**
   * Someone else (an approver) decided this call and the run it resumed goes on elsewhere: the page follows it
   * through the saved timeline, and queued messages wait for it like they wait for a stream.
   */
  following?: string;
  /** `context`: the cluster a new conversation's first message pins it to (the chat request's `context`) */
  open(conversationId: string, initialMessage?: string, context?: string): Promise<void>;
  close(): void;
  send(text: string): void;
  stop(): Promise<void>;
  /**
   * decides the call a card shows, bound to the hashes of the awaiting event that card rendered; `autoRevert`:
   * approve with automatic revert (the card showed the inverse and the user ticked it)
   */
  decide(target: DecisionTarget, approve: boolean, reason?: string, autoRevert?: boolean, withoutPreview?: boolean): Promise<void>;
  /** Undo is being asked for this executed call */
  undoing?: string;
  /** Undo on an executed change's card: the engine proposes its inverse as a new approval card in this conversation */
  undo(callId: string): Promise<void>;
  /**
   * "Approve all" / "Decline all": decides exactly `targets` (the cards on screen when the button was clicked), in
   * order. A call proposed later, or one whose preview changed since, is not decided by it.
   */
  decideAll(approve: boolean, targets: readonly DecisionTarget[]): Promise<void>;
  /** the approval card learned that `callId` left the approvals queue without a decision from this page */
  followDecision(callId: string): Promise<void>;
  sendNow(id: string): void;
  removeQueued(id: string): void;
  /** called with the conversation id whenever its title or order changes (the sidebar refreshes) */
  onConversationChanged?: (conversationId: string) => void;
}

const RECONNECT_ATTEMPTS = 5;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How often the saved timeline is read while following a run resumed by someone else's decision, and for how long. */
export const FOLLOW_INTERVAL_MS = 2_000;
const FOLLOW_LIMIT_MS = 15 * 60_000;

export const useChatStore = create<ChatStore>((set, get) => {
  /** aborts the stream of the conversation on screen when the user leaves it (the run itself goes on) */
  let controller: AbortController | undefined;
  let streamDone: Promise<void> = Promise.resolve();
  const batcher = createEventBatcher((batch) => {
    let timeline = get().timeline;
    for (const item of batch) timeline = applyEvent(timeline, item.event, item.id);
    set({ timeline });
  });
  const { flush, push } = batcher;

  const current = (conversationId: string) => get().conversationId === conversationId;

  async function reloadTimeline(conversationId: string): Promise<void> {
    const conversation = await skyflo.getConversation(conversationId);
    if (current(conversationId)) set({ timeline: { ...timelineFromPersisted(conversation.messages, conversation.title), error: get().timeline.error } });
  }

  /** Reads one run's event stream into the timeline; true when the run reported its end (completed/error). */
  async function consume(conversationId: string, events: AgentEventStream): Promise<boolean> {
    let ended = false;
    for await (const { event, id } of events) {
      if (!current(conversationId)) return true;
      if (event.type === 'ready') rememberRun(conversationId, event.run_id);
      if (event.type === 'conversation.title.generated') get().onConversationChanged?.(conversationId);
      push(event, id);
      if (event.type === 'completed' || event.type === 'error') ended = true;
    }
    flush();
    return ended;
  }

  /**
   * Follows a run to its end. A connection that drops mid-stream (network error, or the stream closing before
   * `completed`) re-attaches with Last-Event-ID after a back-off, so nothing is lost and no token is applied twice.
   * A request the engine refuses (409, 403…) instead shows the error and the timeline the engine kept.
   */
  async function follow(conversationId: string, first: () => Promise<AgentEventStream>, signal: AbortSignal): Promise<void> {
    let ended = false;
    let response: AgentEventStream;
    try {
      response = await first();
    } catch (error) {
      if (signal.aborted || !current(conversationId)) return;
      flush();
      const message = error instanceof ApiError ? error.message : 'The engine could not be reached.';
      set({ timeline: markInterrupted(get().timeline, 'error', message) });
      // The decision or message may have been refused: show the true state the engine kept.
      await reloadTimeline(conversationId).catch(() => {});
      return;
    }
    try {
      ended = await consume(conversationId, response);
    } catch {
      if (signal.aborted) return; // the user left or started another stream
    }
    for (let attempt = 0; !ended && attempt < RECONNECT_ATTEMPTS && !signal.aborted && current(conversationId); attempt += 1) {
      flush();
      const runId = get().timeline.runId;
      if (!runId) break;
      set({ timeline: { ...get().timeline, notice: 'Connection lost; reconnecting to the run…' } });
      await delay(Math.min(4000, 250 * 2 ** attempt));
      try {
        const reattached = await attach(conversationId, runId, signal);
        set({ timeline: { ...get().timeline, notice: undefined } });
        ended = await consume(conversationId, reattached);
        attempt = -1; // it was connected again: a later drop starts the back-off afresh
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) break;
        if (signal.aborted) return;
      }
    }
    if (signal.aborted || !current(conversationId)) return;
    flush();
    if (!ended) {
      set({ timeline: markInterrupted({ ...get().timeline, notice: undefined }, 'error', 'Lost the connection to this run; showing what the engine saved.') });
      await reloadTimeline(conversationId).catch(() => {});
    }
    rememberRun(conversationId, undefined);
    get().onConversationChanged?.(conversationId);
    drain();
  }

  function attach(conversationId: string, runId: string, signal: AbortSignal): Promise<AgentEventStream> {
    const lastEventId = get().timeline.lastEventIds[runId] ?? 0;
    return skyflo.runEvents({ conversationId, runId, lastEventId, signal, invalid: 'skip' });
  }

  function run(conversationId: string, first: (signal: AbortSignal) => Promise<AgentEventStream>): Promise<void> {
    controller?.abort();
    const own = new AbortController();
    controller = own;
    set({ timeline: { ...get().timeline, status: 'streaming', error: undefined } });
    streamDone = follow(conversationId, () => first(own.signal), own.signal);
    return streamDone;
  }

  function startChat(conversationId: string, text: string, context?: string): void {
    set({ timeline: addUserMessage(get().timeline, text) });
    void run(conversationId, (signal) => skyflo.chat({ message: text, conversationId, ...(context ? { context } : {}), signal, invalid: 'skip' }));
  }

  /** a run of this conversation is going on: streamed here, or followed after someone else's decision */
  function runInProgress(): boolean {
    return get().timeline.status === 'streaming' || get().following !== undefined;
  }

  function drain(): void {
    const { conversationId, queue, timeline } = get();
    if (!conversationId) return;
    const taken = takeNext(queue, { streaming: runInProgress(), pendingApprovals: pendingApprovals(timeline).length });
    if (!taken) return;
    set({ queue: taken.rest });
    startChat(conversationId, taken.next.content);
  }

  /** why `target` may not be decided from this page right now (decision-rules.ts), or undefined when it may */
  const refusal = (target: DecisionTarget, approve: boolean, withoutPreview?: boolean) => decisionRefusal(get().timeline, target, approve, withoutPreview);

  /** the passkey assertion for approving `callId`, when the queue says its cluster asks for one */
  async function passkeyApproval(conversationId: string, callId: string) {
    // unreadable queue: approve plainly, and the engine refuses it (PASSKEY_REQUIRED) if a passkey was needed
    const entry = (await skyflo.pendingApprovals().catch(() => undefined))?.data.find((item) => item.call_id === callId && item.conversation_id === conversationId);
    return entry?.passkey_required ? signApproval(callId, conversationId) : undefined;
  }

  async function decideOne(conversationId: string, target: DecisionTarget, approve: boolean, reason?: string, autoRevert?: boolean, withoutPreview?: boolean): Promise<void> {
    set({ deciding: target.call_id });
    try {
      await run(conversationId, async (signal) => {
        // Issue 35: a call whose cluster asks for a passkey is approved with the approver's passkey over its facts (the
        // queue says which); the prompt's failure (cancelled, no passkey here) is shown like a refusal, nothing decided.
        const webauthn = approve ? await passkeyApproval(conversationId, target.call_id) : undefined;
        return skyflo.decide({
          callId: target.call_id,
          // bound to the awaiting event the card showed: its arguments, and its diff when it had one
          decision: { approve, conversation_id: conversationId, ...(reason ? { reason } : {}), ...(target.args_hash ? { args_hash: target.args_hash } : {}), ...(target.diff_hash ? { diff_hash: target.diff_hash } : {}), ...(approve && autoRevert ? { auto_revert: true } : {}), ...(approve && withoutPreview ? { approve_without_preview: true } : {}), ...(webauthn ? { webauthn } : {}) },
          signal,
          invalid: 'skip',
        });
      });
    } finally {
      set({ deciding: undefined });
    }
  }

  return {
    timeline: emptyTimeline,
    queue: [],
    loading: false,

    async open(conversationId, initialMessage, context) {
      // Opening the conversation already on screen (a re-run effect, a re-mounted page) must not send its first
      // message twice or drop the live stream.
      if (get().conversationId === conversationId) return;
      controller?.abort();
      batcher.discard();
      set({ conversationId, cluster: context, timeline: emptyTimeline, queue: restoreQueue(conversationId), loading: true, loadError: undefined, batch: undefined, deciding: undefined, undoing: undefined, following: undefined });
      let conversation: ConversationResponse;
      try {
        conversation = await skyflo.getConversation(conversationId);
      } catch (error) {
        if (current(conversationId)) set({ loading: false, loadError: error instanceof ApiError && error.status === 404 ? 'This conversation does not exist or was deleted.' : error instanceof Error ? error.message : String(error) });
        return;
      }
      if (!current(conversationId)) return;
      const pinned = typeof conversation.cluster === 'string' ? conversation.cluster : context;
      set({ loading: false, cluster: pinned, timeline: timelineFromPersisted(conversation.messages, conversation.title) });
      if (initialMessage) return startChat(conversationId, initialMessage, context);
      const runId = rememberedRun(conversationId);
      // The page was reloaded while a run streamed: replay it from the start on top of the saved timeline
      // (the reducer drops what the saved timeline already has) and follow it live.
      if (runId) void run(conversationId, (signal) => skyflo.runEvents({ conversationId, runId, lastEventId: 0, signal, invalid: 'skip' }));
    },

    close() {
      controller?.abort();
      set({ conversationId: undefined, cluster: undefined, timeline: emptyTimeline, queue: [], following: undefined });
    },

    send(text) {
      const { conversationId, timeline, queue } = get();
      if (!conversationId || !text.trim()) return;
      if (runInProgress() || pendingApprovals(timeline).length > 0 || queue.length > 0) {
        set({ queue: enqueue(queue, text, `q-${Date.now()}-${queue.length}`) });
        return;
      }
      startChat(conversationId, text.trim());
    },

    async stop() {
      const { conversationId, timeline } = get();
      if (!conversationId || !timeline.runId || timeline.status !== 'streaming') return;
      // what was queued waits for "Send now" instead of following the stopped run
      set({ queue: holdAll(get().queue) });
      try {
        await skyflo.stop({ conversationId, runId: timeline.runId });
      } catch (error) {
        set({ timeline: { ...get().timeline, error: error instanceof Error ? error.message : String(error) } });
      }
    },

    async decide(target, approve, reason, autoRevert, withoutPreview) {
      const { conversationId, timeline } = get();
      if (!conversationId || get().deciding || get().batch) return;
      if (!isAwaitingDecision(timeline, target.call_id)) return;
      const refused = refusal(target, approve, withoutPreview);
      if (refused) return set({ timeline: { ...timeline, error: refused } });
      await decideOne(conversationId, target, approve, reason, autoRevert, withoutPreview);
    },

    async undo(callId) {
      const { conversationId } = get();
      if (!conversationId || runInProgress() || get().deciding || get().batch || get().undoing) return;
      set({ undoing: callId });
      try {
        // a run like a chat turn: the inverse arrives as tool.awaiting_approval (undo_of) and waits like any call
        await run(conversationId, (signal) => skyflo.undo({ callId, conversationId, signal, invalid: 'skip' }));
      } finally {
        set({ undoing: undefined });
      }
    },

    async decideAll(approve, targets) {
      const { conversationId } = get();
      if (!conversationId || get().batch || get().deciding || targets.length === 0) return;
      const total = targets.length;
      try {
        for (const [done, target] of targets.entries()) {
          set({ batch: { approve, done, total } });
          await streamDone;
          if (!current(conversationId)) break;
          // decided meanwhile (elsewhere, or the engine closed it): nothing to send for it
          if (!isAwaitingDecision(get().timeline, target.call_id)) continue;
          const refused = refusal(target, approve);
          if (refused) {
            set({ timeline: { ...get().timeline, error: refused } });
            break;
          }
          await decideOne(conversationId, target, approve, approve ? undefined : 'Declined with "Decline all"');
        }
      } finally {
        set({ batch: undefined });
      }
    },

    async followDecision(callId) {
      const { conversationId, timeline } = get();
      // This page's own stream (or a follow already going) shows the run; the card asks again on its next poll.
      if (!conversationId || runInProgress()) return;
      if (!isAwaitingDecision(timeline, callId)) return;
      const baseline = runTimeOf(timeline, callId);
      const started = Date.now();
      set({ following: callId });
      try {
        for (;;) {
          let conversation: ConversationResponse;
          try {
            conversation = await skyflo.getConversation(conversationId);
          } catch {
            // the engine restarting or a dropped connection: keep asking, the decision and the run are saved there
            if (!current(conversationId) || get().following !== callId || Date.now() - started > FOLLOW_LIMIT_MS) return;
            await delay(FOLLOW_INTERVAL_MS);
            continue;
          }
          if (!current(conversationId) || get().following !== callId) return;
          const saved = timelineFromPersisted(conversation.messages, conversation.title);
          const progress = decisionProgress(saved, callId, baseline);
          const timedOut = Date.now() - started > FOLLOW_LIMIT_MS;
          const notice =
            progress.kind !== 'running' ? undefined : timedOut ? 'The run is still going; reload the page later to see how it ended.' : decidedElsewhereNotice(progress.tool);
          set({ timeline: { ...saved, title: saved.title ?? get().timeline.title, error: get().timeline.error, notice } });
          if (progress.kind !== 'running' || timedOut) {
            if (progress.kind === 'finished') get().onConversationChanged?.(conversationId);
            return;
          }
          await delay(FOLLOW_INTERVAL_MS);
        }
      } finally {
        if (get().following === callId) {
          set({ following: undefined });
          drain();
        }
      }
    },

    sendNow(id) {
      set({ queue: promote(get().queue, id) });
      drain();
    },

    removeQueued(id) {
      set({ queue: removeQueued(get().queue, id) });
    },
  };
});

// the queue survives a reload of the page (queue.ts: message text only, sessionStorage)
useChatStore.subscribe((state, previous) => {
  if (state.queue !== previous.queue || state.conversationId !== previous.conversationId) persistQueue(state.conversationId, state.queue);
});
