/**
 * Per-request abort signals for long-lived ones. Two places hand one long-lived AbortSignal to many requests and
 * never take back what they hang on it:
 *
 * - The SDK's Streamable HTTP client transport passes its own signal (aborted by close()) to every fetch. Node's
 *   fetch (undici) adds an abort listener to it per request and removes it only when that request is garbage
 *   collected (a FinalizationRegistry), so a long-running engine piles them up between collections — Node prints
 *   MaxListenersExceededWarning once they pass the 1,500 undici allows.
 * - The SDK's Protocol.request() adds an abort listener to the caller's signal per request and never removes it:
 *   every tool call of a run left one on the run's signal.
 *
 * `linkAbort(parent)` gives one request its own signal, aborted when `parent` is, and `release()` to call when the
 * request is over. However many requests are in flight, `parent` carries at most one listener of ours, and none
 * once they are all released, so the parent's listener count stays bounded by what its owner adds itself. (Not
 * AbortSignal.any: in Node 20 a source signal keeps an entry for every signal ever combined from it, collected or not.)
 */
/** per parent signal: the requests it aborts, and the one listener it carries for them */
const links = new WeakMap<AbortSignal, { children: Set<AbortController>; onAbort: () => void }>();

export interface LinkedAbort {
  signal: AbortSignal;
  /** the request is over: `parent` no longer aborts this signal (idempotent) */
  release(): void;
}

export function linkAbort(parent: AbortSignal): LinkedAbort {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, release: () => {} };
  }
  let link = links.get(parent);
  if (!link) {
    const children = new Set<AbortController>();
    const onAbort = () => {
      links.delete(parent);
      for (const child of children) child.abort(parent.reason);
      children.clear();
    };
    link = { children, onAbort };
    links.set(parent, link);
    parent.addEventListener('abort', onAbort, { once: true });
  }
  const current = link;
  current.children.add(controller);
  return {
    signal: controller.signal,
    release: () => {
      if (!current.children.delete(controller) || current.children.size > 0) return;
      // the last one out takes the listener off
      if (links.get(parent) === current) links.delete(parent);
      parent.removeEventListener('abort', current.onAbort);
    },
  };
}

/**
 * A fetch for the SDK's StreamableHTTPClientTransport (its `fetch` option) that gives each request its own signal
 * linked to the one the transport passes (see above). The link lasts as long as the request: until the response
 * body has been read to its end, cancelled or failed (an SSE response streams after the headers, and the
 * transport's close() must still stop it), or until the fetch fails.
 */
export function fetchWithLinkedSignals(base?: typeof fetch): typeof fetch {
  return async (input, init) => {
    const doFetch = base ?? globalThis.fetch;
    const parent = init?.signal;
    if (!parent || parent.aborted) return doFetch(input, init);
    const link = linkAbort(parent);
    let response: Response;
    try {
      response = await doFetch(input, { ...init, signal: link.signal });
    } catch (error) {
      link.release();
      throw error;
    }
    if (!response.body) {
      link.release();
      return response;
    }
    return releasingBody(response, response.body, link.release);
  };
}

/** The same response, whose body calls `release` once it has ended, failed or been cancelled. */
function releasingBody(response: Response, body: ReadableStream<Uint8Array>, release: () => void): Response {
  const reader = body.getReader();
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          release();
          controller.error(error);
          return;
        }
        if (chunk.done) {
          release();
          controller.close();
        } else {
          controller.enqueue(chunk.value);
        }
      },
      cancel(reason) {
        release();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const wrapped = new Response(stream, { status: response.status, statusText: response.statusText, headers: response.headers });
  // what a constructed Response cannot be given; the transport reads `url` when it reports a redirect
  Object.defineProperties(wrapped, { url: { value: response.url }, redirected: { value: response.redirected } });
  return wrapped;
}
