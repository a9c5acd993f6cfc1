/**
 * A fetch that gives up when the model goes quiet for `timeoutMs` (LLM_TIMEOUT_MS): no response headers, or no
 * new bytes of a streamed answer, within that time. Why idle rather than total time: a reasoning model may
 * legitimately stream for minutes, but a connection that stops sending is dead (the reference's httpx-based
 * client also timed out per read). The caller's own signal (stop) keeps working alongside.
 */
export type FetchFunction = typeof globalThis.fetch;

export function createIdleTimeoutFetch(timeoutMs: number, baseFetch: FetchFunction = globalThis.fetch): FetchFunction {
  return async (input, init) => {
    const idle = new AbortController();
    const timer = setTimeout(
      () => idle.abort(new DOMException(`The model sent nothing for ${timeoutMs} ms (LLM_TIMEOUT_MS).`, 'TimeoutError')),
      timeoutMs,
    );
    timer.unref?.();
    const signal = init?.signal ? AbortSignal.any([init.signal, idle.signal]) : idle.signal;
    let response: Response;
    try {
      response = await baseFetch(input, { ...init, signal });
    } catch (error) {
      clearTimeout(timer);
      throw error;
    }
    if (!response.body) {
      clearTimeout(timer);
      return response;
    }
    timer.refresh();
    const watched = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          timer.refresh();
          controller.enqueue(chunk);
        },
        flush() {
          clearTimeout(timer);
        },
      }),
    );
    // A consumer that stops reading early (e.g. a stop) must not leave the timer to fire later.
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
