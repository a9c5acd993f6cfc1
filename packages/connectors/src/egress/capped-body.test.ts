/**
 * The byte cap on integration answers (issue 74 item 4), on in-memory streams: reading stops at the cap (the source
 * is cancelled, not drained), a declared length past it is refused unread, and an event stream is capped per event.
 */
import { describe, expect, it } from 'vitest';
import { capResponse, readCappedJson, readCappedText, ResponseTooLargeError } from './capped-body.ts';

/** A body of `chunks` chunks of `size` bytes each, that counts how many were pulled and whether it was cancelled. */
function countingBody(chunks: number, size: number, fill = 'x') {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled >= chunks) return controller.close();
      seen.pulled += 1;
      controller.enqueue(new TextEncoder().encode(fill.repeat(size)));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

const what = 'Prometheus at https://prom.example.com';

describe('readCappedText', () => {
  it('reads an answer within the cap whole', async () => {
    const { stream } = countingBody(4, 10);
    expect(await readCappedText(new Response(stream), { maxBytes: 40, what })).toBe('x'.repeat(40));
  });

  it('stops one chunk past the cap, cancels the rest and names the cap', async () => {
    const { stream, seen } = countingBody(1_000_000, 1024);
    const error = await readCappedText(new Response(stream), { maxBytes: 4096, what }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as Error).message).toBe('Prometheus at https://prom.example.com answered more than 4 KiB, the most Skyflo reads from an integration; reading stopped there.');
    expect(seen.pulled).toBeLessThanOrEqual(6);
    expect(seen.cancelled).toBe(true);
  });

  it('refuses a declared Content-Length past the cap without reading', async () => {
    const { stream, seen } = countingBody(10, 10);
    const response = new Response(stream, { headers: { 'content-length': '100' } });
    await expect(readCappedJson(response, { maxBytes: 99, what })).rejects.toThrow('answered more than 99 bytes');
    expect(seen.cancelled).toBe(true);
  });

  it('answers undefined for a body that is not JSON', async () => {
    expect(await readCappedJson(new Response('<html>'), { maxBytes: 100, what })).toBeUndefined();
  });
});

describe('capResponse', () => {
  const eventStream = (text: string[]) =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of text) controller.enqueue(new TextEncoder().encode(part));
          controller.close();
        },
      }),
      { headers: { 'content-type': 'text/event-stream' } },
    );

  it('lets a long event stream of small events through', async () => {
    const events = Array.from({ length: 200 }, (_, index) => `data: {"n":${index}}\r\n\r\n`);
    const capped = capResponse(eventStream(events), { maxBytes: 64, what });
    expect(await capped.text()).toBe(events.join(''));
  });

  it('errors on one event past the cap, even split across data lines and chunks', async () => {
    const capped = capResponse(eventStream(['event: message\n', `data: ${'y'.repeat(40)}\n`, `data: ${'y'.repeat(40)}\n`, '\n']), { maxBytes: 64, what });
    await expect(capped.text()).rejects.toThrow(ResponseTooLargeError);
  });

  it('caps a JSON body as a whole', async () => {
    const { stream, seen } = countingBody(1000, 100);
    const capped = capResponse(new Response(stream, { headers: { 'content-type': 'application/json' } }), { maxBytes: 1000, what });
    await expect(capped.text()).rejects.toThrow('answered more than 1000 bytes');
    expect(seen.cancelled).toBe(true);
  });

  it('leaves an answer without a body as it is', () => {
    const empty = new Response(null, { status: 204 });
    expect(capResponse(empty, { maxBytes: 1, what })).toBe(empty);
  });
});
