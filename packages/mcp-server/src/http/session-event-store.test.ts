import { describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { createSessionEventStore } from './session-event-store.ts';

const ping = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: {} });

async function replay(store: ReturnType<typeof createSessionEventStore>, after: string) {
  const sent: Array<[string, JSONRPCMessage]> = [];
  const streamId = await store.replayEventsAfter(after, { send: async (id, message) => void sent.push([id, message]) });
  return { streamId, sent };
}

describe('session event store', () => {
  it('replays the events of the same stream after the given id, without the empty priming event', async () => {
    const store = createSessionEventStore();
    const priming = await store.storeEvent('a', {} as JSONRPCMessage);
    await store.storeEvent('b', ping(1));
    const second = await store.storeEvent('a', ping(2));
    const { streamId, sent } = await replay(store, priming);
    expect(streamId).toBe('a');
    expect(sent).toEqual([[second, ping(2)]]);
    expect(await store.getStreamIdForEventId?.(second)).toBe('a');
  });

  it('keeps only the newest events, by count and by bytes', async () => {
    const byCount = createSessionEventStore({ maxEvents: 2 });
    const first = await byCount.storeEvent('a', ping(1));
    await byCount.storeEvent('a', ping(2));
    await byCount.storeEvent('a', ping(3));
    expect(await byCount.getStreamIdForEventId?.(first)).toBeUndefined();
    expect((await replay(byCount, first)).streamId).toBe('');

    const bySize = createSessionEventStore({ maxBytes: 100 });
    const small = await bySize.storeEvent('a', ping(1));
    const large = await bySize.storeEvent('a', { jsonrpc: '2.0', id: 2, result: { text: 'x'.repeat(200) } });
    expect(await bySize.getStreamIdForEventId?.(small)).toBeUndefined();
    // the event just stored is kept even when it alone is over the limit
    expect(await bySize.getStreamIdForEventId?.(large)).toBe('a');
  });
});
