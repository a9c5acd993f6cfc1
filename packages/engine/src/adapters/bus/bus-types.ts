/** Types shared by the event bus adapters (the port itself is in ports/index.ts). */
import type { EventBus } from '../../platform/ports/index.ts';

/** The subset of a pino logger the bus uses, so tests can pass nothing and the engine its logger. */
export interface BusLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

/**
 * An EventBus that can be awaited at start-up: `ready()` resolves once the backend is reachable and
 * rejects with a message naming the setting to fix (REDIS_URL) when it is not.
 */
export interface ReadyEventBus extends EventBus {
  ready(): Promise<void>;
}
