/**
 * fetch's contract over undici's `request`, for the model's HTTP calls. Why not fetch itself: per call, Node's fetch
 * wraps the request body in a web stream, clones the whole request (a tee of that stream: the spec's "clone of
 * request" before the network fetch), runs the spec's fetch controller and hands the answer over through another web
 * stream; `request` writes the body and returns the socket's Node stream. Measured against llm-sim (issue 38), the
 * transport alone: 0.54–0.66 ms of CPU per two-token call with fetch, 0.27–0.29 with this; through the SDK's provider
 * (bench/model-http.ts) ×0.87–0.89 of fetch's CPU per 40-token answer, ×0.94–0.97 per 2-token answer.
 * What the AI SDK's providers see is fetch's: a Response (its body read on demand), `TypeError('fetch failed')` with
 * the socket's error as its cause when the model cannot be reached (the SDK makes that a retryable APICallError), the
 * abort signal's own reason when the call is stopped or goes quiet, `TypeError('terminated')` when the answer breaks
 * off, redirects followed, compressed answers decoded. Calls it does not take on as fetch does (a Request object, a
 * streamed or form body, a redirect mode other than follow) go to `fallback`.
 * With `idleTimeoutMs` (LLM_TIMEOUT_MS) the idle watch lives in the body stream below rather than in a stream of its
 * own around this one (idle-timeout-fetch.ts): every chunk of every answer crossed both.
 */
import { STATUS_CODES } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { createIdleTimeoutFetch, watchIdle, type FetchFunction, type IdleWatch } from './idle-timeout-fetch.ts';

/** fetch's limit (the Fetch standard's redirect count). */
const maxRedirections = 20;
/** Statuses whose Response must have a null body (the Response constructor refuses one). */
const nullBodyStatuses = new Set([204, 205, 304]);
const decoders: Record<string, () => NodeJS.ReadWriteStream> = { gzip: createGunzip, 'x-gzip': createGunzip, deflate: createInflate, br: createBrotliDecompress };

// Loaded on the first model call, as fetch loads Node's own copy: importing it is start-up time no start needs.
const loadUndici = () => import('undici');
let undici: ReturnType<typeof loadUndici> | undefined;

export interface RequestFetchOptions {
  /** LLM_TIMEOUT_MS: a call fails when the model sends nothing for this long; no limit when unset */
  idleTimeoutMs?: number | undefined;
  /** where the calls go that this does not take on as fetch does (inside the same idle watch); Node's fetch by default */
  fallback?: FetchFunction | undefined;
}

export function createRequestFetch({ idleTimeoutMs, fallback = globalThis.fetch }: RequestFetchOptions = {}): FetchFunction {
  const handOver = idleTimeoutMs === undefined ? fallback : createIdleTimeoutFetch(idleTimeoutMs, fallback);
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
    const body = init?.body ?? undefined;
    const bodyTaken = body === undefined || typeof body === 'string' || body instanceof Uint8Array;
    if (url === undefined || !bodyTaken || (init?.redirect !== undefined && init.redirect !== 'follow')) return handOver(input, init);
    const { request } = await (undici ??= loadUndici());
    const watch = idleTimeoutMs === undefined ? undefined : watchIdle(idleTimeoutMs, init?.signal);
    const signal = watch?.signal ?? init?.signal ?? undefined;
    const method = init?.method?.toUpperCase() ?? 'GET';
    let answer: Awaited<ReturnType<typeof request>>;
    try {
      answer = await request(url, { method: method as 'GET', headers: requestHeaders(init?.headers), body, signal, maxRedirections });
    } catch (error) {
      watch?.end();
      throw fetchError(error, signal, 'fetch failed');
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const each of value) headers.append(name, each);
      else if (value !== undefined) headers.append(name, value);
    }
    const status = answer.statusCode;
    const responseInit = { status, statusText: STATUS_CODES[status] ?? '', headers };
    // undici's body emits an error when it is destroyed before its end: the reader below sees its errors itself
    answer.body.on('error', () => {});
    if (nullBodyStatuses.has(status) || method === 'HEAD') {
      answer.body.destroy();
      watch?.end();
      return new Response(null, responseInit);
    }
    watch?.alive();
    return new Response(readOnDemand(decoded(answer.body, headers.get('content-encoding')), signal, watch), responseInit);
  };
}

/** fetch's request headers: the caller's, plus the `accept` fetch sends when the caller names none. */
function requestHeaders(given: HeadersInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (given instanceof Headers || Array.isArray(given)) {
    new Headers(given).forEach((value, name) => {
      headers[name] = value;
    });
  } else if (given) {
    for (const [name, value] of Object.entries(given)) if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  headers['accept'] ??= '*/*';
  return headers;
}

/** The body with its content codings undone, last applied first (as fetch does). */
function decoded(body: Readable, contentEncoding: string | null): Readable {
  const codings = (contentEncoding ?? '').split(',').map((coding) => coding.trim().toLowerCase()).filter((coding) => coding && coding !== 'identity');
  if (codings.length === 0 || !codings.every((coding) => coding in decoders)) return body;
  const stages = codings.reverse().map((coding) => decoders[coding]!());
  // pipeline passes an error of any stage to the last one, which the reader below sees
  return pipeline([body, ...stages], () => {}) as unknown as Readable;
}

/**
 * A web stream that reads the socket only when the provider asks for more (highWaterMark 0), as fetch's body does;
 * each chunk tells the idle watch the model is alive.
 */
function readOnDemand(body: Readable, signal: AbortSignal | undefined, watch: IdleWatch | undefined): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await chunks.next();
        } catch (error) {
          watch?.end();
          throw fetchError(error, signal, 'terminated');
        }
        if (next.done) {
          watch?.end();
          controller.close();
        } else {
          watch?.alive();
          controller.enqueue(next.value);
        }
      },
      cancel() {
        watch?.end();
        // closes the connection: the model stops generating an answer nobody reads
        body.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

/** What fetch throws: a stopped call's own reason as it is; anything else a TypeError with the cause inside. */
function fetchError(error: unknown, signal: AbortSignal | undefined, message: 'fetch failed' | 'terminated'): unknown {
  if (signal?.aborted && error === signal.reason) return error;
  return new TypeError(message, { cause: error });
}
