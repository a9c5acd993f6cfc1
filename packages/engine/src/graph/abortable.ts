/**
 * Iterates `source` but ends as soon as `signal` aborts, without waiting for the source's next chunk: a stop
 * must end the run within 100 ms even when the provider's stream is slow to notice the abort.
 */
export async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  if (signal.aborted) return;
  const iterator = source[Symbol.asyncIterator]();
  // One settle function per pending next() instead of Promise.race against a shared abort promise: race would
  // leave one reaction per chunk on that promise for the whole stream (thousands per answer, all kept until abort).
  let settle: ((result: IteratorResult<T>) => void) | undefined;
  const onAbort = () => settle?.({ done: true, value: undefined });
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    while (true) {
      const next = await new Promise<IteratorResult<T>>((resolve, reject) => {
        settle = resolve;
        iterator.next().then(resolve, reject);
      });
      if (next.done || signal.aborted) return;
      yield next.value;
    }
  } finally {
    settle = undefined;
    signal.removeEventListener('abort', onAbort);
    // Let the source clean up (closes the HTTP request) without waiting for it.
    void iterator.return?.()?.catch(() => {});
  }
}
