import { describe, expect, it } from 'vitest';
import { activeFreeze, inScope, windowAt, windowProblem, type Freeze } from './freeze-window.ts';
import { instantOf } from './wall-clock.ts';

const at = (iso: string) => new Date(iso).getTime();
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('a weekly window in Europe/Berlin across the daylight-saving changes', () => {
  // Fridays 16:00 to Mondays 08:00 Berlin time, first on Friday 2026-03-20 (CET, UTC+1)
  const weekend = { startsAt: new Date('2026-03-20T15:00:00Z'), endsAt: new Date('2026-03-23T07:00:00Z'), recurrence: 'weekly' as const, timeZone: 'Europe/Berlin' };

  it('before the clocks go forward (29 March 2026) it is 16:00 CET = 15:00 UTC', () => {
    expect(iso(windowAt(weekend, at('2026-03-20T15:00:00Z'))?.start)).toBe('2026-03-20T15:00:00.000Z');
    expect(windowAt(weekend, at('2026-03-20T14:59:59Z'))).toBeUndefined();
    expect(iso(windowAt(weekend, at('2026-03-22T12:00:00Z'))?.end)).toBe('2026-03-23T07:00:00.000Z');
  });

  it('the window that spans the change starts at 16:00 CET and ends at 08:00 CEST (an hour shorter in UTC)', () => {
    const window = windowAt(weekend, at('2026-03-29T01:30:00Z'));
    expect({ start: iso(window?.start), end: iso(window?.end) }).toEqual({ start: '2026-03-27T15:00:00.000Z', end: '2026-03-30T06:00:00.000Z' });
    // Monday 07:30 Berlin (CEST) is 05:30 UTC: still frozen; 08:00 CEST (06:00 UTC) it has ended
    expect(windowAt(weekend, at('2026-03-30T05:30:00Z'))).toBeDefined();
    expect(windowAt(weekend, at('2026-03-30T06:00:00Z'))).toBeUndefined();
  });

  it('after the change it is 16:00 CEST = 14:00 UTC, and back to 15:00 UTC after October 25', () => {
    expect(iso(windowAt(weekend, at('2026-04-03T14:00:00Z'))?.start)).toBe('2026-04-03T14:00:00.000Z');
    expect(windowAt(weekend, at('2026-04-03T13:59:00Z'))).toBeUndefined();
    // the window over the autumn change: Friday 16:00 CEST (14:00 UTC) to Monday 08:00 CET (07:00 UTC)
    const autumn = windowAt(weekend, at('2026-10-25T12:00:00Z'));
    expect({ start: iso(autumn?.start), end: iso(autumn?.end) }).toEqual({ start: '2026-10-23T14:00:00.000Z', end: '2026-10-26T07:00:00.000Z' });
    expect(iso(windowAt(weekend, at('2026-10-30T15:00:00Z'))?.start)).toBe('2026-10-30T15:00:00.000Z');
  });

  it('midweek is not frozen, nor anything before the first window', () => {
    expect(windowAt(weekend, at('2026-04-08T12:00:00Z'))).toBeUndefined();
    expect(windowAt(weekend, at('2026-03-14T12:00:00Z'))).toBeUndefined();
  });
});

describe('wall-clock instants', () => {
  it('a time the clocks skip lands after the gap; a time that happens twice is its first occurrence', () => {
    expect(iso(instantOf({ year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(instantOf({ year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(instantOf({ year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0 }, 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
  });
});

describe('one window, daily windows and scope', () => {
  it('a one-off window holds from its start until (not including) its end', () => {
    const once = { startsAt: new Date('2026-12-20T00:00:00Z'), endsAt: new Date('2027-01-04T00:00:00Z') };
    expect(windowAt(once, at('2026-12-25T10:00:00Z'))).toEqual({ start: at('2026-12-20T00:00:00Z'), end: at('2027-01-04T00:00:00Z') });
    expect(windowAt(once, at('2027-01-04T00:00:00Z'))).toBeUndefined();
  });

  it('a daily night window in New York keeps 22:00 local across the November change', () => {
    const nightly = { startsAt: new Date('2026-10-30T02:00:00Z'), endsAt: new Date('2026-10-30T10:00:00Z'), recurrence: 'daily' as const, timeZone: 'America/New_York' }; // 22:00–06:00 EDT
    expect(iso(windowAt(nightly, at('2026-11-03T04:00:00Z'))?.start)).toBe('2026-11-03T03:00:00.000Z'); // 22:00 EST
  });

  it('refuses windows that end before they start, or repeat before they end', () => {
    expect(windowProblem({ startsAt: new Date(10), endsAt: new Date(5) })).toBe('ends_at must be after starts_at');
    expect(windowProblem({ startsAt: new Date(0), endsAt: new Date(8 * 86_400_000), recurrence: 'weekly' })).toBe('a weekly window must be shorter than a week');
  });

  it('scope: clusters and namespaces by pattern; the freeze ending last is named', () => {
    expect(inScope({ clusters: ['prod-*'] }, { cluster: 'prod-eu', namespaces: ['shop'] })).toBe(true);
    expect(inScope({ clusters: ['prod-*'] }, { cluster: 'staging', namespaces: ['shop'] })).toBe(false);
    expect(inScope({ clusters: ['prod-*'] }, { namespaces: [] })).toBe(false);
    expect(inScope({ namespaces: ['payments-*'] }, { cluster: 'prod', namespaces: ['shop', 'payments-eu'] })).toBe(true);
    expect(inScope({}, { namespaces: [] })).toBe(true);
    const freeze = (name: string, ends: string, patch: Partial<Freeze> = {}): Freeze => ({ id: name, name, reason: '', startsAt: new Date('2026-12-01T00:00:00Z'), endsAt: new Date(ends), ...patch });
    expect(activeFreeze([freeze('short', '2026-12-10T00:00:00Z'), freeze('long', '2026-12-31T00:00:00Z'), freeze('elsewhere', '2027-01-31T00:00:00Z', { clusters: ['dev'] })], { cluster: 'prod', namespaces: [] }, at('2026-12-05T00:00:00Z'))).toEqual({
      name: 'long',
      reason: '',
      endsAt: new Date('2026-12-31T00:00:00Z'),
    });
  });
});
