/**
 * Issue 75 item 4: what the engine's health says is what a request that needs a dependency would meet. Each
 * dependency is probed with a real round trip (a database statement, a Redis PING on both of the bus's connections)
 * bounded by a timeout: a Redis frozen by SIGSTOP keeps its sockets open and its client's status `ready`, so only an
 * answer proves it works. GET /api/v1/health and /readyz report the probes; a new run that needs a failing one is
 * refused with 503 and Retry-After at once (`require`) instead of hanging behind it.
 *
 * A burst shares one round trip: a result younger than `maxAgeMs` is answered as it is, and one probe per dependency
 * is in flight at a time. A probe that has not answered within `timeoutMs` counts as failing from then on, even while
 * it still hangs.
 */
import { SkyfloError } from '../errors/skyflo-error.ts';

export type DependencyName = 'database' | 'bus';

export type ProbeResult = { ok: true } | { ok: false; detail: string };

/** Seconds a client is asked to wait before trying again while a dependency fails (a restart takes seconds). */
export const dependencyRetryAfterSeconds = 5;

const what: Record<DependencyName, { name: string; code: string }> = {
  database: { name: 'The database', code: 'STORAGE_UNAVAILABLE' },
  bus: { name: 'The event bus', code: 'EVENT_BUS_UNAVAILABLE' },
};

/** A request that needs a dependency that fails its probe now: 503 with Retry-After. */
export class DependencyUnavailableError extends SkyfloError {
  readonly code: string;
  override readonly statusCode = 503;
  readonly retryAfterSeconds = dependencyRetryAfterSeconds;
  constructor(
    readonly dependency: DependencyName,
    detail: string,
  ) {
    super(`${what[dependency].name} is not answering (${detail}), so this cannot start now. Retry in ${dependencyRetryAfterSeconds} seconds; GET /readyz answers 200 once it is back.`);
    this.name = 'DependencyUnavailableError';
    this.code = what[dependency].code;
  }
}

export interface DependencyProbes {
  /**
   * every dependency's state, each probed now or answered from a result younger than `maxAgeMs` (`fresh`: always a
   * round trip of its own, or the one in flight; what a health probe asks); never throws
   */
  check(options?: { fresh?: boolean }): Promise<Record<DependencyName, ProbeResult>>;
  /** resolves when each of `names` answers its probe; throws DependencyUnavailableError for the first that does not */
  require(names: readonly DependencyName[]): Promise<void>;
}

export interface DependencyProbesOptions {
  /** one real round trip per dependency; rejects (or never settles) when it fails */
  probes: Record<DependencyName, () => Promise<void>>;
  /** how long a probe may take before it counts as failing (default 2 s) */
  timeoutMs?: number;
  /** how long a result is reused (default 1 s) */
  maxAgeMs?: number;
  now?: () => number;
}

export function createDependencyProbes(options: DependencyProbesOptions): DependencyProbes {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const maxAgeMs = options.maxAgeMs ?? 1_000;
  const now = options.now ?? Date.now;
  const last = new Map<DependencyName, { at: number; result: ProbeResult }>();
  const inFlight = new Map<DependencyName, Promise<ProbeResult>>();

  function probe(name: DependencyName, fresh = false): Promise<ProbeResult> {
    const known = last.get(name);
    if (!fresh && known && now() - known.at < maxAgeMs) return Promise.resolve(known.result);
    let running = inFlight.get(name);
    if (!running) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<ProbeResult>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
        timer.unref?.();
      });
      const answered = Promise.resolve()
        .then(() => options.probes[name]())
        .then(
          (): ProbeResult => ({ ok: true }),
          (error: unknown): ProbeResult => ({ ok: false, detail: error instanceof Error ? error.message : String(error) }),
        );
      running = Promise.race([answered, timedOut]).then((result) => {
        clearTimeout(timer);
        last.set(name, { at: now(), result });
        return result;
      });
      inFlight.set(name, running);
      // the next caller after the verdict starts a new round trip (a hung one is left behind, not waited on)
      void running.finally(() => inFlight.delete(name));
    }
    return running;
  }

  return {
    async check(options = {}) {
      const [database, bus] = await Promise.all([probe('database', options.fresh), probe('bus', options.fresh)]);
      return { database, bus };
    },
    async require(names) {
      const results = await Promise.all(names.map(async (name) => ({ name, result: await probe(name) })));
      const failing = results.find(({ result }) => !result.ok);
      if (failing && !failing.result.ok) throw new DependencyUnavailableError(failing.name, failing.result.detail);
    },
  };
}
