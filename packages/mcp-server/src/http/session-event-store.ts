/**
 * The event store of one MCP session: what makes its SSE streams resumable (MCP 2025-11-25, Streamable HTTP,
 * "Resumability and Redelivery"). With a store, the SDK's transport opens every POST SSE stream with a priming event
 * (an event id, a `retry:` field and empty data) and answers a GET carrying `Last-Event-ID` by replaying what the
 * client missed on that stream, so a client whose connection drops mid-call still gets the call's result.
 *
 * Bounded, because a session can live for hours: only the newest events (by count and by bytes) are kept, and the
 * store goes away with its session. A client resuming from an event already dropped gets the SDK's "Invalid event
 * ID" answer instead of a silently partial replay.
 */
import { randomUUID } from 'node:crypto';
import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server';

export interface SessionEventStoreLimits {
  /** newest events kept (default 200) */
  maxEvents?: number;
  /** bytes of stored messages kept (default 1 MiB: a session holds it for as long as it lives, up to the idle limit) */
  maxBytes?: number;
}

interface StoredEvent {
  streamId: string;
  message: JSONRPCMessage;
  bytes: number;
}

export function createSessionEventStore(limits: SessionEventStoreLimits = {}): EventStore {
  const maxEvents = limits.maxEvents ?? 200;
  const maxBytes = limits.maxBytes ?? 1024 * 1024;
  // Map keeps insertion order, so the first entries are the oldest.
  const events = new Map<string, StoredEvent>();
  // Event ids carry no meaning and never repeat: a random prefix per store, a counter per event.
  const prefix = randomUUID();
  let counter = 0;
  let bytes = 0;

  return {
    async storeEvent(streamId, message) {
      const eventId = `${prefix}-${++counter}`;
      const size = Buffer.byteLength(JSON.stringify(message), 'utf8');
      events.set(eventId, { streamId, message, bytes: size });
      bytes += size;
      for (const [id, event] of events) {
        if (events.size <= maxEvents && bytes <= maxBytes) break;
        if (id === eventId) break; // the event just stored is always kept
        events.delete(id);
        bytes -= event.bytes;
      }
      return eventId;
    },
    async getStreamIdForEventId(eventId) {
      return events.get(eventId)?.streamId;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const last = events.get(lastEventId);
      if (!last) return '';
      let after = false;
      for (const [id, event] of events) {
        if (id === lastEventId) after = true;
        // the priming event is stored as `{}` and carries nothing to replay
        else if (after && event.streamId === last.streamId && 'jsonrpc' in event.message) await send(id, event.message);
      }
      return last.streamId;
    },
  };
}
