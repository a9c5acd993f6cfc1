/**
 * A promise mutex per key. Used so that read-modify-write cycles on one conversation inside one process run one
 * after another; across processes the row lock (SELECT … FOR UPDATE) does the same job.
 */
export interface KeyedMutex {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

export function createKeyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const current = previous.then(task, task);
      const settled = current.catch(() => undefined);
      tails.set(key, settled);
      try {
        return await current;
      } finally {
        // Forget the key once nobody queued behind us, so the map does not grow with every conversation ever seen.
        if (tails.get(key) === settled) tails.delete(key);
      }
    },
  };
}
