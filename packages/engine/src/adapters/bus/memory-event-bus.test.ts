import { describe, expect, it } from 'vitest';
import type { BusMessage } from '../../platform/ports/index.ts';
import { createMemoryEventBus } from './memory-event-bus.ts';

async function replay(bus: ReturnType<typeof createMemoryEventBus>, runId: string, afterIndex?: number): Promise<BusMessage[]> {
  const messages: BusMessage[] = [];
  const unsubscribe = await bus.subscribe(runId, (message) => messages.push(message), afterIndex === undefined ? {} : { afterIndex });
  await unsubscribe();
  return messages;
}

describe('memory event bus with coalesced text (the engine’s replay buffer)', () => {
  const words = ['The ', 'deployment ', 'api ', 'has ', '3 ', 'replicas.'];

  async function publishAnswer() {
    const bus = createMemoryEventBus({ coalesceText: true });
    const live: BusMessage[] = [];
    await bus.subscribe('run', (message) => live.push(message));
    await bus.publish('run', 'ready', { run_id: 'run' });
    for (const [index, text] of words.entries()) await bus.publish('run', 'token', { text, tokens_generated: index + 1 });
    await bus.publish('run', 'generation.complete', { content: words.join('') });
    await bus.publish('run', 'completed', { status: 'completed' });
    return { bus, live };
  }

  it('delivers every token live, one message each', async () => {
    const { bus, live } = await publishAnswer();
    expect(live.map((message) => message.event)).toEqual(['ready', ...words.map(() => 'token'), 'generation.complete', 'completed']);
    expect(live.filter((message) => message.event === 'token').map((message) => message.data['text'])).toEqual(words);
    await bus.close();
  });

  it('replays a run’s tokens as one message with the whole text, numbered by the last token', async () => {
    const { bus } = await publishAnswer();
    const replayed = await replay(bus, 'run');
    expect(replayed.map((message) => [message.index, message.event])).toEqual([
      [1, 'ready'],
      [7, 'token'],
      [8, 'generation.complete'],
      [9, 'completed'],
    ]);
    expect(replayed[1]).toMatchObject({ firstIndex: 2, data: { text: words.join(''), tokens_generated: 6 } });
    await bus.close();
  });

  it('a client that saw part of the answer (Last-Event-ID inside it) gets exactly the rest, and the answer is complete', async () => {
    const { bus } = await publishAnswer();
    for (let seen = 1; seen <= 9; seen += 1) {
      const before = (await replay(bus, 'run')).length; // the buffer is not consumed by replays
      expect(before).toBe(4);
      // what a client that saw events 1..seen was shown: the live messages up to `seen`
      const shown = words.slice(0, Math.max(0, Math.min(seen, 7) - 1)).join('');
      const rest = await replay(bus, 'run', seen);
      expect(rest.every((message) => message.index > seen)).toBe(true);
      // the SSE stream's gap check: each replayed message starts right after what the client has
      let last = seen;
      for (const message of rest) {
        expect(message.firstIndex ?? message.index).toBe(last + 1);
        last = message.index;
      }
      expect(last).toBe(9);
      const restText = rest.filter((message) => message.event === 'token').map((message) => message.data['text']).join('');
      expect(shown + restText).toBe(words.join(''));
    }
    await bus.close();
  });

  it('does not join text across other events, nor events that carry no text', async () => {
    const bus = createMemoryEventBus({ coalesceText: true });
    await bus.publish('run', 'thinking', { text: 'hm' });
    await bus.publish('run', 'token', { text: 'a' });
    await bus.publish('run', 'tool.executing', { tool: 'k8s_get' });
    await bus.publish('run', 'token', { text: 'b' });
    await bus.publish('run', 'token', { n: 1 });
    const replayed = await replay(bus, 'run');
    expect(replayed.map((message) => [message.index, message.event, message.data['text'] ?? message.data['n'] ?? null])).toEqual([
      [1, 'thinking', 'hm'],
      [2, 'token', 'a'],
      [3, 'tool.executing', null],
      [4, 'token', 'b'],
      [5, 'token', 1],
    ]);
    await bus.close();
  });
});
