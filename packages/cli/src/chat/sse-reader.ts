/**
 * The engine's event streams as `skyflo chat` reads them: the protocol's reader (`readAgentEvents`, every frame
 * checked with `parseAgentEvent`) with its failures worded as ChatErrors.
 */
import { readAgentEvents as readProtocolEvents, SkyfloClientError, type StreamedEvent } from '@skyflo/protocol/client';
import { ChatError } from './chat-error.ts';

export type { StreamedEvent };

/** Re-throws a stream's client failures (malformed frame, broken connection) as the ChatError of the same code. */
export async function* translateStream(events: AsyncGenerator<StreamedEvent>): AsyncGenerator<StreamedEvent> {
  try {
    yield* events;
  } catch (error) {
    if (error instanceof SkyfloClientError && error.code !== 'UNREACHABLE') throw new ChatError(error.code, error.message);
    throw error;
  }
}

/** Yields events until the body ends; throws ChatError('STREAM_FAILED') if the connection breaks mid-stream. */
export function readAgentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamedEvent> {
  return translateStream(readProtocolEvents(body));
}
