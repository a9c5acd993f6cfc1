import { describe, expect, it } from 'vitest';
import { createSeriesMemory } from './series-memory.ts';

const linear = (rate: number, from: number, to: number) => rate * (to - from);

describe('series memory: an instant already answered keeps its answer', () => {
  it('a counter whose rate changes keeps its past and never reads lower later', () => {
    const memory = createSeriesMemory();
    const atFirstQuery = memory.counter('cpu', { rate: 2, start: 0, now: 100, integrate: linear });
    expect(atFirstQuery(100)).toBe(200);
    // the container's share halves at 100 (a neighbour arrived): the past is kept, the new rate counts from 100
    const later = memory.counter('cpu', { rate: 1, start: 0, now: 100, integrate: linear });
    expect(later(100)).toBe(200);
    expect(later(50)).toBe(100);
    expect(later(160)).toBe(260);
    const muchLater = memory.counter('cpu', { rate: 1, start: 0, now: 400, integrate: linear });
    for (const t of [50, 100, 160, 300]) expect(muchLater(t)).toBe(later(t));
  });

  it('a gauge changes from the moment its change was seen, not before', () => {
    const memory = createSeriesMemory();
    memory.gauge('restarts', { value: 0, start: 0, now: 10 });
    memory.gauge('restarts', { value: 1, start: 0, now: 40 });
    const value = memory.gauge('restarts', { value: 3, start: 0, now: 70 });
    expect([0, 39, 40, 69, 70, 1000].map(value)).toEqual([0, 0, 1, 1, 3, 3]);
  });

  it('forgets what a sweep no longer asks for', () => {
    const memory = createSeriesMemory();
    memory.gauge('gone', { value: 5, start: 0, now: 0 });
    memory.sweep(() => memory.gauge('kept', { value: 1, start: 0, now: 0 }));
    // forgotten: asked again, it starts afresh with the value given
    expect(memory.gauge('gone', { value: 7, start: 0, now: 50 })(10)).toBe(7);
  });
});
