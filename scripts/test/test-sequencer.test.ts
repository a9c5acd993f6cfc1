import { describe, expect, it } from 'vitest';
import { interleave, runOrder } from '../test-sequencer.ts';

describe('spreading the flows through the other test files', () => {
  it('puts the first flow first and spreads the rest evenly, each list in its own order', () => {
    const order = interleave(['F1', 'F2', 'F3'], ['a', 'b', 'c', 'd', 'e', 'f']);
    expect(order).toEqual(['F1', 'a', 'b', 'F2', 'c', 'd', 'F3', 'e', 'f']);
  });

  it('keeps every file exactly once when one list is empty or longer than the other', () => {
    expect(interleave([], ['a', 'b'])).toEqual(['a', 'b']);
    expect(interleave(['F1', 'F2'], [])).toEqual(['F1', 'F2']);
    const many = interleave(['F1', 'F2', 'F3', 'F4', 'F5'], ['a', 'b']);
    expect([...many].sort()).toEqual(['F1', 'F2', 'F3', 'F4', 'F5', 'a', 'b'].sort());
    expect(many[0]).toBe('F1');
  });

  it('starts the pinned files before everything, flows included, and spreads the flows through the rest', () => {
    const order = runOrder(['F1', 'a', 'F2', 'b', 'typecheck', 'c', 'd'], { first: (file) => file === 'typecheck', flow: (file) => file.startsWith('F') });
    expect(order).toEqual(['typecheck', 'F1', 'a', 'b', 'F2', 'c', 'd']);
  });
});
