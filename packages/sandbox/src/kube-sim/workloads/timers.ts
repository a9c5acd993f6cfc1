/** Timers owned by the simulated workloads, all cancelled when the cluster closes. */
export interface Timers {
  /** Runs `callback` after `delayMs`; returns a cancel function. */
  after(delayMs: number, callback: () => void): () => void;
  /** Cancels every pending timer (cluster close). */
  clear(): void;
}

export function createTimers(onError: (error: unknown) => void): Timers {
  const pending = new Set<NodeJS.Timeout>();
  let closed = false;
  return {
    after(delayMs, callback) {
      if (closed) return () => {};
      const handle = setTimeout(() => {
        pending.delete(handle);
        try {
          callback();
        } catch (error) {
          onError(error);
        }
      }, Math.max(0, delayMs));
      // Why unref: a simulator left running by a test must not keep the process alive on its own.
      handle.unref();
      pending.add(handle);
      return () => {
        clearTimeout(handle);
        pending.delete(handle);
      };
    },
    clear() {
      closed = true;
      for (const handle of pending) clearTimeout(handle);
      pending.clear();
    },
  };
}
