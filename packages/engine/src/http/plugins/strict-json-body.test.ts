/** The pure rules behind the embedded engine's fault answers: JSON nesting depth and what counts as a full disk. */
import { describe, expect, it } from 'vitest';
import { jsonDepth } from './strict-json-body.ts';
import { isDiskFull } from '../../platform/storage-faults/disk-full.ts';

describe('jsonDepth', () => {
  it.each([
    ['a scalar', '"text"', 0],
    ['a flat object', '{"a":1,"b":"x"}', 1],
    ['an array in an object', '{"messages":[{"content":"hi"}]}', 3],
    ['brackets inside strings do not count', '{"content":"[[[[{{{{"}', 1],
    ['an escaped quote does not end the string', '{"content":"say \\"[[[\\" ok"}', 1],
    ['siblings do not add up', '[[1],[2],[3]]', 2],
  ])('%s', (_name, text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });

  it('stops counting past the limit', () => {
    expect(jsonDepth('['.repeat(1_000_000), 64)).toBe(65);
  });
});

describe('isDiskFull', () => {
  const pgliteError = Object.assign(new Error('could not extend file "base/5/16427": No space left on device'), { code: '53100' });
  it.each([
    ['PGlite disk_full inside a Drizzle error', Object.assign(new Error('Failed query: insert …'), { cause: pgliteError }), true],
    ['SQLSTATE 53100 alone', { code: '53100', message: 'disk full' }, true],
    ['ENOSPC from the file system', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), true],
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' }), false],
    ['a connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false],
    ['not an error', 'disk', false],
  ])('%s', (_name, error, full) => {
    expect(isDiskFull(error)).toBe(full);
  });
});
