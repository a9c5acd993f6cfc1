/**
 * Failed-login counter per IP+email in a fixed window, in memory. Slows password guessing against one
 * account; with several replicas each keeps its own count, which still bounds the rate per replica.
 */
export interface LoginRateLimiter {
  /** true when this key has used up its failures for the current window */
  isBlocked(key: string): boolean;
  recordFailure(key: string): void;
  reset(key: string): void;
}

export function createLoginRateLimiter(options: { attempts: number; windowMs: number; now?: () => number }): LoginRateLimiter {
  const now = options.now ?? Date.now;
  const windows = new Map<string, { start: number; failures: number }>();
  const current = (key: string) => {
    const window = windows.get(key);
    if (window && now() - window.start < options.windowMs) return window;
    windows.delete(key);
    return undefined;
  };
  return {
    isBlocked: (key) => (current(key)?.failures ?? 0) >= options.attempts,
    recordFailure(key) {
      const window = current(key);
      if (window) window.failures += 1;
      else windows.set(key, { start: now(), failures: 1 });
      // Bound memory under a spray of distinct keys: drop expired windows now and then.
      if (windows.size > 10_000) for (const staleKey of [...windows.keys()]) current(staleKey);
    },
    reset: (key) => void windows.delete(key),
  };
}
