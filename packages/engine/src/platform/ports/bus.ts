/** The event bus: run events and stop flags shared by every engine process. */

/** A published run event. `index` is per-run and monotonically increasing (shared by SSE ids and replay). */
export interface BusMessage {
  index: number;
  /**
   * Set on a replayed message that stands for several consecutive text events (token/thinking) joined: the index of
   * the first of them it carries (`index` is the last). Absent: the message is the one event `index`.
   */
  firstIndex?: number;
  event: string;
  data: Record<string, unknown>;
}

/**
 * The event bus port: one channel per run, plus stop flags in the same place (so a stop posted to
 * any engine process reaches the process running the workflow). Adapters: in-process and Redis.
 */
/** The bus's own view of its backend, for /health. */
export type BusHealth = { status: 'ok' } | { status: 'error'; detail: string };

export interface EventBus {
  /**
   * Publishes to every subscriber of the run (in any process). Throws BusPublishError when the backend fails;
   * `deliveredLocally` then says whether this process's own subscribers still got the message.
   */
  publish(runId: string, event: string, data: Record<string, unknown>): Promise<BusMessage>;
  /** Delivers messages with index > afterIndex (buffered ones first), then live ones, until unsubscribed. */
  subscribe(runId: string, onMessage: (message: BusMessage) => void, options?: { afterIndex?: number }): Promise<() => Promise<void>>;
  requestStop(runId: string): Promise<void>;
  isStopRequested(runId: string): Promise<boolean>;
  /** Resolves/aborts `signal` consumers when a stop for runId arrives (from any process). */
  onStop(runId: string, callback: () => void): Promise<() => Promise<void>>;
  health(): BusHealth;
  /**
   * A real round trip to the backend (Redis: PING on the publishing and the subscribing connection); rejects when it
   * fails. Absent for the in-process bus, which has no backend to lose. Issue 75: a frozen Redis keeps its sockets
   * open, so `health()` alone says ok while every command hangs.
   */
  ping?(): Promise<void>;
  close(): Promise<void>;
}
