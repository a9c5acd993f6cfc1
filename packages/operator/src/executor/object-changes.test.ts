import { describe, expect, it } from 'vitest';
import { changedPointers, isWithin, outsideChange, valueAt } from './object-changes.ts';

describe('what an update changes (issue 73)', () => {
  it('names the deepest changed fields, an added map leaf by leaf, array items by index', () => {
    expect(changedPointers({ a: { b: 1, c: 2 } }, { a: { b: 1, c: 3 } })).toEqual(['/a/c']);
    expect(changedPointers({ spec: {} }, { spec: { meta: { annotations: { 'x/y': 'now' } } } })).toEqual(['/spec/meta/annotations/x~1y']);
    expect(changedPointers({ list: [{ image: 'a' }, { image: 'b' }] }, { list: [{ image: 'a' }, { image: 'c' }, { image: 'd' }] })).toEqual(['/list/1/image', '/list/2/image']);
    expect(changedPointers({ gone: 1, kept: 2 }, { kept: 2 })).toEqual(['/gone']);
    expect(changedPointers({ same: [1, { a: 2 }] }, { same: [1, { a: 2 }] })).toEqual([]);
  });

  it('matches pointers under an allowed one, `*` for one segment, and reads values with escapes', () => {
    expect(isWithin('/spec/template/spec', '/spec/template')).toBe(true);
    expect(isWithin('/spec/templateX', '/spec/template')).toBe(false);
    expect(isWithin('/spec/containers/3/image', '/spec/containers/*/image')).toBe(true);
    expect(isWithin('/spec', '/spec/containers')).toBe(false);
    expect(valueAt({ a: { 'b/c': [0, 'x'] } }, '/a/b~1c/1')).toBe('x');
  });

  it('keeps status in the comparison (a status patch) and ignores server-set metadata', () => {
    const before = { metadata: { name: 'r', resourceVersion: '1', generation: 1 }, spec: { paused: true }, status: { abort: false } };
    const after = { metadata: { name: 'r', resourceVersion: '2', generation: 2 }, spec: { paused: true }, status: { abort: true } };
    expect(outsideChange(before, after, { within: ['/status/abort'], values: { '/status/abort': true } })).toBeUndefined();
    expect(outsideChange(before, after, { within: ['/spec/paused'] })).toMatch(/changes \/status\/abort, outside/);
  });
});
