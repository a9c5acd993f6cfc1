/**
 * Reads the engine's Server-Sent Events into typed AgentEvents: framing by eventsource-parser (the parser the AI
 * SDK uses), every frame validated with the protocol's `parseAgentEvent`. Event types this client does not know yet
 * (a newer engine) are skipped; a known event that does not match its schema is an error. The schemas (zod) are
 * loaded on the first frame, so a browser bundle keeps them out of its initial load.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { AgentEvent } from '../events.ts';
import { SkyfloClientError } from './client-errors.ts';

export interface StreamedEvent {
  /** SSE `id` (the run's event index): the Last-Event-ID to resume after */
  id?: number;
  event: AgentEvent;
}

type EventParser = (message: EventSourceMessage) => StreamedEvent | undefined;

let parserLoading: Promise<EventParser> | undefined;
function loadEventParser(): Promise<EventParser> {
  parserLoading ??= import('../events.ts').then(({ agentEventTypes, parseAgentEvent }) => {
    const known = new Set<string>(agentEventTypes);
    return (message) => {
      const type = message.event ?? 'message';
      if (!known.has(type)) return undefined;
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        throw new SkyfloClientError('MALFORMED_RESPONSE', `The engine sent a "${type}" event whose data is not JSON: ${message.data.slice(0, 200)}`);
      }
      try {
        const event = parseAgentEvent(type, data);
        return { event, ...(message.id !== undefined && /^\d+$/.test(message.id) ? { id: Number(message.id) } : {}) };
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        throw new SkyfloClientError('MALFORMED_RESPONSE', `The engine sent a "${type}" event this client cannot read (is the engine a different version?): ${detail.slice(0, 500)}`);
      }
    };
  });
  return parserLoading;
}

/**
 * Yields events until the body ends. An abort (the caller's AbortSignal) ends it quietly; a connection that breaks
 * mid-stream throws SkyfloClientError('STREAM_FAILED'). Leaving the loop early cancels the body (the run goes on).
 */
export interface ReadAgentEventsOptions {
  /** a frame that is not a valid event: 'throw' (default; the CLI says the engine is a different version) or 'skip' */
  invalid?: 'throw' | 'skip';
}

export async function* readAgentEvents(body: ReadableStream<Uint8Array>, options: ReadAgentEventsOptions = {}): AsyncGenerator<StreamedEvent> {
  const toEvent = await loadEventParser();
  const pending: StreamedEvent[] = [];
  let failure: unknown;
  const parser = createParser({
    onEvent(message) {
      try {
        const event = toEvent(message);
        if (event) pending.push(event);
      } catch (error) {
        if (options.invalid !== 'skip') failure ??= error;
      }
    },
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if ((error as Error).name === 'AbortError') return;
        throw new SkyfloClientError('STREAM_FAILED', `The connection to the engine broke mid-stream: ${(error as Error).message}`);
      }
      if (chunk.done) break;
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      while (pending.length > 0) yield pending.shift()!;
      if (failure) throw failure;
    }
    parser.feed(decoder.decode());
    while (pending.length > 0) yield pending.shift()!;
    if (failure) throw failure;
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
