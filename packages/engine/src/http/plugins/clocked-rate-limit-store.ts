/**
 * The in-memory counter store for @fastify/rate-limit (used when the engine has no Redis), measured on a clock the
 * engine is given instead of Date.now(): the same fixed window as the plugin's own LocalStore (the first request
 * opens a window of `timeWindow` ms; refused requests do not extend it), so tests move a fake clock past the window
 * instead of waiting for it. With REDIS_URL the window is Redis's key expiry and this store is not used.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';

/** How many keys (users and addresses) one limiter remembers; the least recently seen are forgotten first. */
const DEFAULT_CAPACITY = 5_000;

interface Window {
  count: number;
  startedAt: number;
}

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** A store class (the plugin constructs it) whose windows are measured on `now` (ms since the epoch). */
export function clockedRateLimitStore(now: () => number, capacity = DEFAULT_CAPACITY): FastifyRateLimitStoreCtor {
  class ClockedStore implements FastifyRateLimitStore {
    // Map keeps insertion order: a key seen again is moved to the end, so the first key is the least recently seen.
    // The bound keeps a flood of distinct addresses from growing the engine's memory without limit.
    private readonly windows = new Map<string, Window>();

    incr(key: string, callback: Callback, timeWindow: number): void {
      const time = now();
      const known = this.windows.get(key);
      const window = known && known.startedAt + timeWindow > time ? { count: known.count + 1, startedAt: known.startedAt } : { count: 1, startedAt: time };
      this.windows.delete(key);
      this.windows.set(key, window);
      if (this.windows.size > capacity) this.windows.delete(this.windows.keys().next().value!);
      callback(null, { current: window.count, ttl: timeWindow - (time - window.startedAt) });
    }

    /** the plugin's `{ increment: false }` peek: the window as it stands, without counting a request */
    read(key: string, callback: Callback, timeWindow: number): void {
      const time = now();
      const known = this.windows.get(key);
      if (!known || known.startedAt + timeWindow <= time) return callback(null, { current: 0, ttl: 0 });
      callback(null, { current: known.count, ttl: timeWindow - (time - known.startedAt) });
    }

    /** each limiter (fastify.createRateLimit) counts in its own store, as with the plugin's LocalStore */
    child(): FastifyRateLimitStore {
      return new ClockedStore();
    }
  }
  return ClockedStore;
}
