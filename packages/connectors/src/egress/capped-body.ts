/**
 * Answers of integrations (Prometheus, Loki, Jenkins, Slack, Teams, PagerDuty, external MCP servers, data-source and
 * credential checks) are read with a cap on their size in bytes, counted while they stream. Why (issue 74): a
 * Prometheus that answered 300 MB took the engine from 542 to 1,370 MB, because `response.text()` holds the whole
 * answer before anything looks at its size. Here reading stops, and the connection is dropped, as soon as the cap is
 * passed (a Content-Length above it is refused before reading at all), and the caller gets an error naming the cap.
 */

/** The default cap on one integration answer: far above any answer a tool can use, far below what hurts the engine. */
export const defaultIntegrationResponseMaxBytes = 16 * 1024 * 1024;

const formatBytes = (bytes: number) => (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`);

/** An answer larger than the cap: reading stopped there. `what` names the integration ("Prometheus at https://…"). */
export class ResponseTooLargeError extends Error {
  readonly code = 'RESPONSE_TOO_LARGE';
  override name = 'ResponseTooLargeError';
  constructor(
    readonly what: string,
    readonly maxBytes: number,
  ) {
    super(`${what} answered more than ${formatBytes(maxBytes)}, the most Skyflo reads from an integration; reading stopped there.`);
  }
}

export interface CapOptions {
  maxBytes: number;
  /** who answered, for the error: "Prometheus at https://prom.example.com" */
  what: string;
}

function declaredTooLarge(response: Response, maxBytes: number): boolean {
  const declared = Number(response.headers.get('content-length'));
  return Number.isFinite(declared) && declared > maxBytes;
}

/** The body's bytes, at most `maxBytes`; throws ResponseTooLargeError (the body cancelled) past them. */
export async function readCappedBytes(response: Response, options: CapOptions): Promise<Uint8Array> {
  if (declaredTooLarge(response, options.maxBytes)) {
    await response.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(options.what, options.maxBytes);
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > options.maxBytes) {
      // cancelling the reader aborts the request: the rest is never downloaded
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(options.what, options.maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The body as UTF-8 text, at most `maxBytes` of it (see readCappedBytes). */
export async function readCappedText(response: Response, options: CapOptions): Promise<string> {
  return new TextDecoder().decode(await readCappedBytes(response, options));
}

/** The body parsed as JSON, or undefined when it is not JSON; a body past the cap throws ResponseTooLargeError. */
export async function readCappedJson(response: Response, options: CapOptions): Promise<unknown> {
  const text = await readCappedText(response, options);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A stream that passes `source` through until more than `maxBytes` arrived in one message, then errors with
 * ResponseTooLargeError and cancels `source`. A message is the whole body, or for an event stream
 * (text/event-stream, as MCP's Streamable HTTP uses) one event: a long-lived stream of small events is fine, one
 * huge event is not.
 */
function cappedStream(source: ReadableStream<Uint8Array>, options: CapOptions & { perEvent: boolean }): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let inMessage = 0;
  // event-stream framing: an empty line ends an event; "\r\n" is one line end
  let lineLength = 0;
  let lastWasCarriageReturn = false;
  const account = (chunk: Uint8Array) => {
    if (!options.perEvent) {
      inMessage += chunk.byteLength;
      return;
    }
    for (const byte of chunk) {
      if (byte === 0x0a && lastWasCarriageReturn) {
        lastWasCarriageReturn = false;
        continue;
      }
      lastWasCarriageReturn = byte === 0x0d;
      if (byte === 0x0a || byte === 0x0d) {
        if (lineLength === 0) inMessage = 0;
        lineLength = 0;
      } else {
        lineLength += 1;
        inMessage += 1;
      }
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        account(value);
        if (inMessage > options.maxBytes) {
          await reader.cancel().catch(() => undefined);
          return controller.error(new ResponseTooLargeError(options.what, options.maxBytes));
        }
        controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** `response` with its body capped (see cappedStream); a Content-Length above the cap is refused at once. */
export function capResponse(response: Response, options: CapOptions): Response {
  // a status that has no body cannot be given one again (the Response constructor refuses it)
  if (!response.body || [101, 204, 205, 304].includes(response.status)) return response;
  if (declaredTooLarge(response, options.maxBytes)) {
    void response.body.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(options.what, options.maxBytes);
  }
  const perEvent = (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
  return new Response(cappedStream(response.body, { ...options, perEvent }), { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** A fetch whose every answer is capped (capResponse): for clients that read the body themselves (the MCP SDK). */
export function cappedFetch(fetchImpl: typeof fetch, options: { maxBytes: number; what: (url: string) => string }): typeof fetch {
  return (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const response = await fetchImpl(input, init);
    const url = input instanceof Request ? input.url : String(input);
    return capResponse(response, { maxBytes: options.maxBytes, what: options.what(url) });
  }) as typeof fetch;
}
