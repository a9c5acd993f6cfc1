/**
 * Reads the engine's Server-Sent Events into typed AgentEvents. Framing is eventsource-parser's (the parser the
 * AI SDK uses); every frame is validated with the protocol's schema at this boundary, so the rest of the client
 * works with checked events only. Event types this client does not know yet (a newer engine) are skipped rather
 * than failing the run; a known event that does not match its schema is an error.
 */
import { agentEventTypes, parseAgentEvent, type AgentEvent } from '@skyflo/protocol';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ChatError } from './chat-error.ts';

const known = new Set<string>(agentEventTypes);

export interface StreamedEvent {
  /** SSE `id` (the run's event index), when the frame had one */
  id?: number;
  event: AgentEvent;
}

function toEvent(message: EventSourceMessage): StreamedEvent | undefined {
  const type = message.event ?? 'message';
  if (!known.has(type)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    throw new ChatError('MALFORMED_RESPONSE', `The engine sent a "${type}" event whose data is not JSON: ${message.data.slice(0, 200)}`);
  }
  try {
    const event = parseAgentEvent(type, data);
    return { event, ...(message.id !== undefined && /^\d+$/.test(message.id) ? { id: Number(message.id) } : {}) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ChatError('MALFORMED_RESPONSE', `The engine sent a "${type}" event this client cannot read (is the engine a different version?): ${detail.slice(0, 500)}`);
  }
}

/** Yields events until the body ends; throws ChatError('STREAM_FAILED') if the connection breaks mid-stream. */
export async function* readAgentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamedEvent> {
  const pending: StreamedEvent[] = [];
  let failure: unknown;
  const parser = createParser({
    onEvent(message) {
      try {
        const event = toEvent(message);
        if (event) pending.push(event);
      } catch (error) {
        failure ??= error;
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
        throw new ChatError('STREAM_FAILED', `The connection to the engine broke mid-stream: ${(error as Error).message}`);
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
