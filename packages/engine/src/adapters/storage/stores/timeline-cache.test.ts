import { describe, expect, it } from 'vitest';
import { createTimelineCache } from './timeline-cache.ts';

describe('the timeline cache of a PGlite storage', () => {
  it('answers the JSON last set, nothing once dropped', () => {
    const cache = createTimelineCache();
    expect(cache.get('c')).toBeUndefined();
    cache.set('c', '[{"id":"1"}]');
    expect(cache.get('c')).toBe('[{"id":"1"}]');
    cache.set('c', '[{"id":"1"},{"id":"2"}]');
    expect(cache.get('c')).toBe('[{"id":"1"},{"id":"2"}]');
    cache.drop('c');
    expect(cache.get('c')).toBeUndefined();
  });

  it('stays within its byte budget, least recently used first out, and keeps nothing larger than it', () => {
    const cache = createTimelineCache({ maxBytes: 100 });
    cache.set('a', 'x'.repeat(20));
    cache.set('b', 'y'.repeat(20));
    cache.get('a');
    cache.set('c', 'z'.repeat(20));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('x'.repeat(20));
    expect(cache.get('c')).toBe('z'.repeat(20));
    cache.set('huge', 'h'.repeat(51));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('a')).toBe('x'.repeat(20));
  });
});
