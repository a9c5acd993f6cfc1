/**
 * One user message, start to finish: POST /agent/chat, follow the stream, and whenever the run pauses at
 * `tool.awaiting_approval` ask `decide` and resume with POST /agent/approvals/{call_id} (echoing `args_hash`, and
 * `diff_hash` when the call had a diff, so the decision is bound to exactly the call and preview that were shown)
 * until a run completes without waiting. The engine previews every mutating call of a model turn before it pauses:
 * all of them are asked about (in model order) before the first decision is sent, and each decision is then sent in
 * turn as the resumed runs reach its call again.
 * `stop()` asks the engine to stop the current run (POST /agent/stop); its stream then ends with
 * `completed` status `stopped`. Used by the terminal client and the eval harness alike.
 */
import type { AgentEvent, AgentEventOf, DeviceSignature } from '@skyflo/protocol';
import type { ApiClient } from './api-client.ts';
import type { StreamedEvent } from './sse-reader.ts';
import type { AwaitingApproval } from './approval-card.ts';
import { ChatError } from './chat-error.ts';

export type Decision =
  /** `autoRevert`: approved with automatic revert (`a!`, only on a card that showed the call's inverse) */
  /** `withoutPreview`: the person confirmed approving a call whose dry-run preview failed (issue 31 item 10) */
  /** `deviceSignature`: the device key's signature of this call's facts (a passkey-required call, issue 35) */
  | { approve: true; reason?: string; automatic?: boolean; autoRevert?: boolean; withoutPreview?: boolean; deviceSignature?: DeviceSignature }
  | { approve: false; reason?: string }
  /** decide later (in the UI or another client): the call stays pending */
  | { leave: true; why: string };

/** Where a call stands among the calls one pause waits on (all previewed; decided in this order). */
export interface DecisionPosition {
  index: number;
  total: number;
  calls: readonly AwaitingApproval[];
}

export type TurnStatus = 'completed' | 'stopped' | 'error' | 'awaiting_approval';

export interface TurnOutcome {
  status: TurnStatus;
  conversationId?: string;
  /** the pending call when status is awaiting_approval */
  pending?: AwaitingApproval;
  /** why the turn failed (workflow.error, run error, or a client-side failure) */
  error?: string;
  approved: number;
  denied: number;
}

export interface RunTurnInput {
  client: ApiClient;
  message: string;
  /**
   * instead of sending `message`, undo this executed call (POST /agent/approvals/{call_id}/undo, issue 21): the
   * engine proposes its inverse, which is then decided like any other call; needs `conversationId`
   */
  undoOf?: string;
  conversationId?: string;
  /** the cluster a new conversation is pinned to (sent only with the first message, the engine keeps it) */
  context?: string;
  onEvent(event: AgentEvent): void;
  decide(approval: AwaitingApproval, position: DecisionPosition): Promise<Decision>;
  /** aborts the HTTP streams (the run itself goes on unless stopped) */
  signal?: AbortSignal;
  /** a line for the person while the client re-attaches to a run whose stream broke */
  onNotice?(text: string): void;
  /** waits before a re-attach (tests shorten it); default: setTimeout */
  sleep?(ms: number): Promise<void>;
}

/**
 * A stream that breaks before its run completed (a proxy's idle cut, a phone's network changing, the engine
 * restarting) is re-attached with Last-Event-ID, as the Command Center does: nothing is missed, nothing shown twice.
 * Attempts in a row without an event, and the back-off before each.
 */
const REATTACH_ATTEMPTS = 5;
const reattachDelayMs = (attempt: number) => Math.min(4_000, 250 * 2 ** attempt);

export interface Turn {
  done: Promise<TurnOutcome>;
  /** POST /agent/stop for the current run; resolves when the request is sent (the stream ends by itself) */
  stop(): Promise<void>;
  readonly stopping: boolean;
}

export function runTurn(input: RunTurnInput): Turn {
  let conversationId = input.conversationId;
  let runId: string | undefined;
  let running = false;
  let stopRequested = false;
  let stopSent: string | undefined;

  const sendStop = async () => {
    if (!conversationId || !runId || !running || stopSent === runId) return;
    stopSent = runId;
    await input.client.stop({ conversationId, runId }).catch(() => undefined);
  };

  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  /** how a turn whose stream broke for good ends: what ran stays done, and where to look once the engine answers */
  const lostRun = (why: string) =>
    new ChatError('STREAM_FAILED', `${why}${conversationId ? `. What already ran stays done; once the engine answers again, skyflo chat --resume ${conversationId} shows where the conversation stands.` : '.'}`);

  async function follow(first: AsyncGenerator<StreamedEvent>): Promise<{ completed?: AgentEventOf<'completed'>; awaiting: AwaitingApproval[]; error?: string }> {
    let completed: AgentEventOf<'completed'> | undefined;
    /** the calls this run paused on, in the order the engine announced them (the model's order) */
    const awaiting: AwaitingApproval[] = [];
    let error: string | undefined;
    /** the run's last event seen: a re-attach asks for the ones after it */
    let lastEventId = 0;
    let failedAttempts = 0;
    let broken: string | undefined;
    let ended = false;
    let stream: AsyncGenerator<StreamedEvent> | undefined = first;
    for (;;) {
      if (stream) {
        try {
          for await (const { event, id } of stream) {
            if (id !== undefined) lastEventId = id;
            failedAttempts = 0;
            if (event.type === 'ready') {
              runId = event.run_id;
              conversationId = event.conversation_id;
              running = true;
              if (stopRequested) void sendStop();
            }
            if (event.type === 'tool.awaiting_approval') {
              const index = awaiting.findIndex((call) => call.call_id === event.call_id);
              if (index >= 0) awaiting[index] = event;
              else awaiting.push(event);
            }
            if (event.type === 'workflow.error' || event.type === 'error') error = event.error;
            // the engine's own end of a stream without `completed` (as the Command Center reads it): nothing to re-attach to
            if (event.type === 'error') ended = true;
            if (event.type === 'completed') {
              completed = event;
              running = false;
            }
            input.onEvent(event);
          }
          broken = 'The engine closed the stream before the run completed';
        } catch (streamError) {
          if (!(streamError instanceof ChatError && streamError.code === 'STREAM_FAILED')) throw streamError;
          broken = streamError.message;
        }
      }
      if (completed || ended || input.signal?.aborted || !runId || !conversationId) break;
      if (failedAttempts >= REATTACH_ATTEMPTS) throw lostRun(`Lost the stream of this run and could not re-attach to it (${REATTACH_ATTEMPTS} attempts; ${broken})`);
      input.onNotice?.(failedAttempts === 0 ? `lost the stream (${broken}); re-attaching to the run…` : `re-attaching to the run (attempt ${failedAttempts + 1} of ${REATTACH_ATTEMPTS})…`);
      await sleep(reattachDelayMs(failedAttempts));
      failedAttempts += 1;
      try {
        stream = await input.client.runEvents({ conversationId, runId, lastEventId, ...(input.signal ? { signal: input.signal } : {}) });
      } catch (reattachError) {
        // the engine no longer knows the run (it restarted without it): nothing to re-attach to
        if (reattachError instanceof ChatError && reattachError.status === 404) throw lostRun(`${broken}, and the engine no longer knows run ${runId}`);
        if (input.signal?.aborted) break;
        stream = undefined;
        // the engine's absence in a few words (the full "Cannot reach…, start it with…" is for a first connection)
        broken = reattachError instanceof ChatError && reattachError.code === 'ENGINE_UNREACHABLE' ? `${input.client.baseUrl} does not answer` : reattachError instanceof Error ? reattachError.message : String(reattachError);
      }
    }
    running = false;
    return { ...(completed ? { completed } : {}), awaiting, ...(error ? { error } : {}) };
  }

  const done = (async (): Promise<TurnOutcome> => {
    let approved = 0;
    let denied = 0;
    /** decisions made for calls of a pause, by call id, bound to the args_hash of the card that was shown */
    const decided = new Map<string, { argsHash: string; decision: Exclude<Decision, { leave: true }> }>();
    let stream =
      input.undoOf && conversationId
        ? await input.client.undo({ callId: input.undoOf, conversationId, ...(input.signal ? { signal: input.signal } : {}) })
        : await input.client.chat({ message: input.message, ...(conversationId ? { conversationId } : input.context ? { context: input.context } : {}), ...(input.signal ? { signal: input.signal } : {}) });
    for (;;) {
      const { completed, awaiting, error } = await follow(stream);
      const base = { ...(conversationId ? { conversationId } : {}), approved, denied };
      if (!completed) {
        if (input.signal?.aborted) return { ...base, status: 'stopped', error: 'the client stopped following the run' };
        throw lostRun('The engine closed the stream before the run completed; the run may still be going');
      }
      if (completed.status !== 'completed' || !completed.awaiting_approval) {
        const failure = completed.error ?? error;
        return { ...base, status: completed.status, ...(failure ? { error: failure } : {}) };
      }
      const next = awaiting[0];
      if (!next) return { ...base, status: 'awaiting_approval', error: 'the run waits for an approval this client did not see' };
      if (stopRequested) return { ...base, status: 'awaiting_approval', pending: next, error: 'stopped before deciding; the call is still pending' };
      // Every call of the pause was previewed; each is asked about (once per preview) before the first is sent.
      for (const [index, call] of awaiting.entries()) {
        if (decided.get(call.call_id)?.argsHash === call.args_hash) continue;
        const decision = await input.decide(call, { index, total: awaiting.length, calls: awaiting });
        if ('leave' in decision) return { ...base, status: 'awaiting_approval', pending: call, error: decision.why };
        decided.set(call.call_id, { argsHash: call.args_hash, decision });
      }
      const { decision } = decided.get(next.call_id)!;
      if (decision.approve) approved++;
      else denied++;
      stream = await input.client.decide({
        callId: next.call_id,
        decision: {
          approve: decision.approve,
          conversation_id: next.context.conversation_id,
          args_hash: next.args_hash,
          ...(next.diff_hash ? { diff_hash: next.diff_hash } : {}),
          ...(decision.reason ? { reason: decision.reason } : {}),
          ...(decision.approve && decision.automatic ? { automatic: true } : {}),
          ...(decision.approve && decision.autoRevert ? { auto_revert: true } : {}),
          ...(decision.approve && decision.withoutPreview ? { approve_without_preview: true } : {}),
          ...(decision.approve && decision.deviceSignature ? { device_signature: decision.deviceSignature } : {}),
        },
        ...(input.signal ? { signal: input.signal } : {}),
      });
    }
  })();

  return {
    done,
    get stopping() {
      return stopRequested;
    },
    async stop() {
      stopRequested = true;
      await sendStop();
    },
  };
}

/** The exit status of a one-shot run: 0 only when the run completed (see `skyflo chat --help`). */
export function exitCodeOf(outcome: TurnOutcome): 0 | 1 {
  return outcome.status === 'completed' ? 0 : 1;
}
