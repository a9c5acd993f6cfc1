import { describe, expect, it } from 'vitest';
import { createVerifiedTokenCache } from './verified-token-cache.ts';

describe('verified session tokens', () => {
  it('answers a token kept until it expires, and not after', () => {
    let now = 1_000;
    const cache = createVerifiedTokenCache<{ id: string }>({ maxEntries: 10, now: () => now });
    cache.set('token-a', { id: 'a' }, 5_000);
    expect(cache.get('token-a')).toEqual({ id: 'a' });
    expect(cache.get('token-b')).toBeUndefined();
    now = 5_000;
    expect(cache.get('token-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never keeps a token that has expired already, and forgets the least recently used beyond its bound', () => {
    const cache = createVerifiedTokenCache<number>({ maxEntries: 2, now: () => 100 });
    cache.set('old', 0, 50);
    expect(cache.get('old')).toBeUndefined();
    cache.set('a', 1, 1_000);
    cache.set('b', 2, 1_000);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3, 1_000);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
  });
});
