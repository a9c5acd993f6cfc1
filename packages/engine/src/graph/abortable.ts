/**
 * Iterates `source` but ends as soon as `signal` aborts, without waiting for the source's next chunk: a stop
 * must end the run within 100 ms even when the provider's stream is slow to notice the abort.
 */
export async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  if (signal.aborted) return;
  const iterator = source[Symbol.asyncIterator]();
  let onAbort!: () => void;
  const aborted = new Promise<IteratorResult<T>>((resolve) => {
    onAbort = () => resolve({ done: true, value: undefined });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    while (true) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done || signal.aborted) return;
      yield next.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Let the source clean up (closes the HTTP request) without waiting for it.
    void iterator.return?.()?.catch(() => {});
  }
}
