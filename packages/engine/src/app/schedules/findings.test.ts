import { describe, expect, it } from 'vitest';
import { describeDiff, diffFindings, extractFindings } from './findings.ts';

describe('findings of a scheduled check', () => {
  it('takes the list items of the answer, skipping prose and "nothing found" lines', () => {
    const answer = 'I looked at prod.\n\n- web-1 is CrashLoopBackOff (restarted 14 times)\n- Certificate api-tls expires in 9 days\n* job sync is Pending\n\nThat is all.';
    expect(extractFindings(answer)).toEqual(['web-1 is CrashLoopBackOff (restarted 14 times)', 'Certificate api-tls expires in 9 days', 'job sync is Pending']);
    expect(extractFindings('No issues found in prod.')).toEqual([]);
  });

  it('says what is new, what is resolved and what persists; counts that change do not make a finding new', () => {
    const before = ['web-1 is CrashLoopBackOff (restarted 14 times)', 'Certificate api-tls expires in 9 days', 'web-2 is Pending'];
    const after = ['web-1 is CrashLoopBackOff (restarted 15 times)', 'Certificate api-tls expires in 8 days', 'db-0 is OOMKilled'];
    const diff = diffFindings(before, after);
    expect(diff).toEqual({ new: ['db-0 is OOMKilled'], resolved: ['web-2 is Pending'], persists: ['web-1 is CrashLoopBackOff (restarted 15 times)', 'Certificate api-tls expires in 8 days'], compared: true });
    const text = describeDiff('prod morning', diff);
    expect(text).toContain('New (1):\n- db-0 is OOMKilled');
    expect(text).toContain('Resolved (1):\n- web-2 is Pending');
    expect(text).toContain('Persists: 2 findings');
    expect(text).not.toContain('CrashLoopBackOff');
  });

  it('keeps pods with numbered names apart', () => {
    expect(diffFindings(['web-1 is Pending'], ['web-2 is Pending'])).toMatchObject({ new: ['web-2 is Pending'], resolved: ['web-1 is Pending'], persists: [] });
  });

  it('the first run has nothing to compare with; a repeat with no change says so', () => {
    expect(diffFindings(undefined, ['a'])).toEqual({ new: ['a'], resolved: [], persists: [], compared: false });
    expect(describeDiff('c', diffFindings(['web-1 is Pending'], ['web-1 is Pending.']))).toBe('c: no change since the last run (1 finding persists).');
  });
});
