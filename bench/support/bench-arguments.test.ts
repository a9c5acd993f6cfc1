import { describe, expect, it } from 'vitest';
import { parseBenchArguments } from './bench-arguments.ts';

const usage = 'npx tsx bench/x.ts [approvals=50] [--no-postgres]';
const counts = [{ name: 'approvals', fallback: 50 }];

describe('a bench command line', () => {
  it('takes counts by position and flags anywhere, with the defaults for what is left out', () => {
    expect(parseBenchArguments(usage, counts, ['--no-postgres'], [])).toEqual({ counts: [50], flags: { '--no-postgres': false } });
    expect(parseBenchArguments(usage, counts, ['--no-postgres'], ['--no-postgres'])).toEqual({ counts: [50], flags: { '--no-postgres': true } });
    expect(parseBenchArguments(usage, counts, ['--no-postgres'], ['--no-postgres', '20'])).toEqual({ counts: [20], flags: { '--no-postgres': true } });
  });

  it('refuses a count that is not a whole number above 0, an unknown flag and a stray argument, with the usage', () => {
    expect(() => parseBenchArguments(usage, counts, ['--no-postgres'], ['fifty'])).toThrow(/approvals must be a whole number above 0, not "fifty"\n {2}usage: npx tsx bench\/x.ts/);
    expect(() => parseBenchArguments(usage, counts, ['--no-postgres'], ['0'])).toThrow(/not "0"/);
    expect(() => parseBenchArguments(usage, counts, ['--no-postgres'], ['--no-postgress'])).toThrow(/Unknown option '--no-postgress'[\s\S]*usage:/);
    expect(() => parseBenchArguments(usage, counts, ['--no-postgres'], ['20', '30'])).toThrow(/too many arguments: 30/);
  });
});
