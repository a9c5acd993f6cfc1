/**
 * Streams one run's bus events as SSE: `ready` first, then `id/event/data` frames until `completed`, with a
 * heartbeat after a quiet period. Closing the connection only unsubscribes; the run and its persistence go on.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BusMessage, EventBus } from '../../../platform/ports/index.ts';
import { endsWhenServerCloses } from '../../plugins/close-promptly.ts';

export function sseFrame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Takes the reply over as an event stream: its headers sent, and marked for the server to end when it closes
 * (http/plugins/close-promptly.ts; the client reconnects). Hijacking skips Fastify's header handling, so the headers
 * hooks already set (the CORS policy in http/plugins/cors.ts: allowed origins only, with credentials) are copied over
 * rather than re-decided here.
 */
export function openEventStream(reply: FastifyReply): ServerResponse {
  const response = reply.raw;
  const hookHeaders = Object.fromEntries(Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined)) as Record<string, string | number | string[]>;
  reply.hijack();
  response.writeHead(200, {
    ...hookHeaders,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    vary: 'Origin',
  });
  endsWhenServerCloses(response);
  return response;
}

/**
 * Each bus message's frame, built once and written to every stream of the run (the bus hands all its listeners the
 * same message object); a memo, not state: dropped with the message.
 */
const frames = new WeakMap<BusMessage, string>();
function frameOf(message: BusMessage): string {
  let frame = frames.get(message);
  if (frame === undefined) {
    frame = sseFrame(message.event, message.data, message.index);
    frames.set(message, frame);
  }
  return frame;
}

/** Events after which the stream closes (the run is over, or waits for a human). */
const closingEvents = new Set(['completed', 'error']);

export interface StreamRunInput {
  request: FastifyRequest;
  reply: FastifyReply;
  bus: EventBus;
  runId: string;
  conversationId: string;
  heartbeatMs: number;
  /** replay only events after this SSE id (a reconnecting client's Last-Event-ID) */
  afterIndex?: number;
  /** starts the run once the stream is subscribed (absent when re-attaching to a run) */
  start?: () => Promise<unknown>;
  /**
   * For re-attached streams: the run's state in storage. A run whose engine died (lease lapsed), or whose last events
   * never reached this stream (the event stream failed), never sends `completed` here, so the stream ends with
   * `completed` status error and what happened instead of heartbeats forever.
   */
  runState?: () => Promise<RunState>;
  livenessIntervalMs?: number;
  /**
   * How long the run's state may stay unreadable (the database not answering) before the stream ends with
   * `completed(error)` rather than heartbeats nobody can vouch for: the run lease, the time after which a run nobody
   * renews is dead anyway (issue 75 item 3). Default: three liveness intervals.
   */
  unreadableForMs?: number;
  /**
   * Check the run's state at once (a re-attached stream, whose run may have ended long ago); a stream of a run started
   * here checks only after the first interval (its run has just been claimed).
   */
  checkStateAtOnce?: boolean;
}

/** `alive`: running with a current lease; `finished`: ended (its `completed` should have come); `lapsed`: its engine stopped renewing. */
export type RunState = 'alive' | 'finished' | 'lapsed';

export const deadRunMessage = 'The engine process running this run stopped before it finished (its lease lapsed). What it produced is saved in the conversation; reload it, and send your message again if needed.';

/** The run is over but this stream did not receive its end, and the event bus reports itself down: say that (issue 32 item 5). */
export const eventStreamFailedMessage = (detail: string) =>
  `The event stream failed (${detail}), so this run's last events could not reach this stream; the engine running the run was not stopped by it. What the run produced is saved in the conversation: reload it once GET /api/v1/health reports the bus ok.`;

/** The bus delivered a later event of the run without the ones before it: they were lost on the way (issue 32). */
export const eventsLostMessage =
  "Some of this run's events were lost by the event stream (the event bus was down or restarted), so this stream stops here rather than show the answer with a hole in it. The run goes on in the engine, and what it produces is saved in the conversation: reload it to see all of it.";

/** The run's state could not be read for a lease (issue 75 item 3): the stream ends instead of waiting blind. */
export const stateUnreadableMessage = (seconds: number, detail: string) =>
  `This run's state could not be read for ${seconds} s (the database did not answer: ${detail}), so this stream cannot follow it to its end and stops here. The run may still finish; what it produces is saved in the conversation: reload it once GET /api/v1/readyz answers ok.`;

export const lostEndMessage =
  'The run ended, but its last events did not reach this stream (the event stream lost them, or its engine stopped as it ended). What it produced is saved in the conversation: reload it to see the outcome.';

/**
 * Why a re-attached stream ends without the run's own `completed`: the event bus down now or earlier while this
 * stream was attached (`busFailed`) is what happened then, whatever the run's row says.
 */
function endedWithoutCompleted(state: Exclude<RunState, 'alive'>, busFailed: string | undefined): string {
  if (busFailed) return eventStreamFailedMessage(busFailed);
  return state === 'finished' ? lostEndMessage : deadRunMessage;
}

/** `promise`, or a rejection once `ms` have passed without its answer. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timedOut]).finally(() => clearTimeout(timer));
}

export async function streamRun(input: StreamRunInput): Promise<void> {
  const { reply, bus } = input;
  const response = openEventStream(reply);

  let open = true;
  let heartbeat: NodeJS.Timeout | undefined;
  let liveness: NodeJS.Timeout | undefined;
  let busWatch: NodeJS.Timeout | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const close = () => {
    if (!open) return;
    open = false;
    clearTimeout(heartbeat);
    clearInterval(liveness);
    clearInterval(busWatch);
    void unsubscribe?.().catch(() => {});
    if (!response.writableEnded) response.end();
    finish();
  };
  // One timer per stream, pushed back on every frame (refresh) rather than a new timer per frame: this runs per token.
  const armHeartbeat = () => {
    if (!open) return;
    if (heartbeat) {
      heartbeat.refresh();
      return;
    }
    heartbeat = setTimeout(() => {
      if (!open) return;
      response.write(sseFrame('heartbeat', { timestamp: Date.now() }));
      heartbeat!.refresh();
    }, input.heartbeatMs);
    heartbeat.unref?.();
  };
  response.on('close', close);

  // Frames published together (in one synchronous stretch) go out in one write (one syscall). Uncorked from a
  // microtask, not process.nextTick: Node runs nextTick callbacks only once the whole microtask queue has drained, so
  // a frame published mid-chain (tool.executing, then the tool call and the next model request, all promise
  // continuations when storage and tools answer in-process) waited for the engine's later work before it left (P4).
  let corked = false;
  const write = (chunk: string) => {
    if (!corked) {
      corked = true;
      response.cork();
      queueMicrotask(() => {
        corked = false;
        response.uncork();
      });
    }
    response.write(chunk);
  };

  // `ready` first, then replayed and live frames in bus order. Through `write` too: a bare response.write corks the
  // socket until process.nextTick (Node's http does so for a write on an uncorked socket), and that cork held every
  // later frame — tool.approved, tool.executing — until the run's promise chain next waited on real I/O (P4).
  write(sseFrame('ready', { type: 'ready', run_id: input.runId, conversation_id: input.conversationId }));
  let lastIndex = input.afterIndex ?? 0;
  unsubscribe = await bus.subscribe(
    input.runId,
    (message) => {
      // a replayed stretch of joined text events starts at its firstIndex (memory-event-bus.ts)
      const skipped = (message.firstIndex ?? message.index) > lastIndex + 1;
      lastIndex = Math.max(lastIndex, message.index);
      // Only this conversation's events: a run id alone must not open another user's run.
      if (!open || message.data['conversation_id'] !== input.conversationId) return;
      if (skipped) {
        // Events the bus lost (published while Redis was down, or gone with a Redis restart): going on would show an
        // answer with a hole in it, so the stream ends here and says where the whole of it is.
        write(sseFrame('completed', { type: 'completed', status: 'error', error: eventsLostMessage, conversation_id: input.conversationId, run_id: input.runId, timestamp: Date.now(), duration: 0, duration_ms: 0 }));
        close();
        return;
      }
      write(frameOf(message));
      armHeartbeat();
      if (closingEvents.has(message.event)) close();
    },
    { afterIndex: input.afterIndex ?? 0 },
  );
  if (!open) await unsubscribe().catch(() => {});
  armHeartbeat();
  void input.start?.();
  if (input.runState && open) {
    const runState = input.runState;
    // A run frees its conversation just before it publishes `completed` (run-agent.ts): `finished` seen once may be
    // that moment, so the end counts as lost only when the next check still has not seen it arrive.
    let finishedOnce = false;
    // The bus's own account of an outage while this stream was attached (it may be back by the time the run is seen ended).
    let busFailed: string | undefined;
    const noteBusHealth = () => {
      const health = bus.health();
      if (health.status !== 'ok') busFailed = health.detail;
    };
    busWatch = setInterval(noteBusHealth, Math.min(1_000, input.livenessIntervalMs ?? 1_000));
    busWatch.unref?.();
    const intervalMs = input.livenessIntervalMs ?? 10_000;
    const unreadableForMs = input.unreadableForMs ?? 3 * intervalMs;
    /** since when the state could not be read (undefined: it was read at the last check) */
    let unreadableSince: number | undefined;
    let checking = false;
    const end = (error: string) => {
      write(sseFrame('completed', { type: 'completed', status: 'error', error, conversation_id: input.conversationId, run_id: input.runId, timestamp: Date.now(), duration: 0, duration_ms: 0 }));
      close();
    };
    const checkLiveness = async () => {
      // one check at a time: a database that does not answer must not pile them up
      if (checking || !open) return;
      checking = true;
      noteBusHealth();
      let state: RunState;
      try {
        state = await withTimeout(runState(), intervalMs);
        unreadableSince = undefined;
      } catch (error) {
        // Storage trouble is not evidence of a dead run, for a while: for longer than a lease nobody can say the run
        // lives (its own renewals fail too), and the stream says so and ends rather than send heartbeats for ever.
        unreadableSince ??= Date.now();
        if (open && Date.now() - unreadableSince >= unreadableForMs) end(stateUnreadableMessage(Math.round((Date.now() - unreadableSince) / 1000), error instanceof Error ? error.message : String(error)));
        return;
      } finally {
        checking = false;
      }
      if (state === 'alive' || !open) return;
      if (state === 'finished' && !finishedOnce) {
        finishedOnce = true;
        return;
      }
      end(endedWithoutCompleted(state, busFailed));
    };
    // Replayed frames were delivered during subscribe: a run that ended normally has closed the stream already.
    if (input.checkStateAtOnce !== false) await checkLiveness();
    liveness = setInterval(() => void checkLiveness(), intervalMs);
    liveness.unref?.();
  }
  await finished;
}
