import { describe, expect, it } from 'vitest';
import { canDrain, enqueue, promote, removeQueued, takeNext } from '../src/features/chat/state/queue.ts';

describe('message queue rules', () => {
  const queue = enqueue(enqueue(enqueue([], 'first', 'a'), '  second  ', 'b'), 'third', 'c');

  it('queues trimmed messages in order and ignores blank ones', () => {
    expect(queue.map((item) => item.content)).toEqual(['first', 'second', 'third']);
    expect(enqueue(queue, '   ', 'd')).toBe(queue);
  });

  it.each([
    { streaming: true, pendingApprovals: 0, drains: false },
    { streaming: false, pendingApprovals: 1, drains: false },
    { streaming: true, pendingApprovals: 2, drains: false },
    { streaming: false, pendingApprovals: 0, drains: true },
  ])('drains only when idle with no pending approval: %o', ({ drains, ...gate }) => {
    expect(canDrain(gate)).toBe(drains);
    expect(takeNext(queue, gate)?.next.content).toBe(drains ? 'first' : undefined);
  });

  it('takes first in, first out', () => {
    const taken = takeNext(queue, { streaming: false, pendingApprovals: 0 })!;
    expect(taken.next.content).toBe('first');
    expect(taken.rest.map((item) => item.content)).toEqual(['second', 'third']);
    expect(takeNext([], { streaming: false, pendingApprovals: 0 })).toBeUndefined();
  });

  it('"send now" moves a message to the front; remove drops it', () => {
    expect(promote(queue, 'c').map((item) => item.id)).toEqual(['c', 'a', 'b']);
    expect(removeQueued(queue, 'b').map((item) => item.id)).toEqual(['a', 'c']);
  });
});
