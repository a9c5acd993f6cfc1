import { describe, expect, it } from 'vitest';
import { CronError, latestTick, nextTick, validateCron } from './cron.ts';

describe('schedule cron expressions', () => {
  it('reads the expression in the schedule\'s time zone', () => {
    // Monday 2026-11-30 07:30 UTC is 08:30 in Berlin: "weekdays at 09:00 Berlin" last fired on Friday
    const now = Date.parse('2026-11-30T07:30:00Z');
    expect(latestTick('0 9 * * 1-5', 'Europe/Berlin', now)?.toISOString()).toBe('2026-11-27T08:00:00.000Z');
    expect(nextTick('0 9 * * 1-5', 'Europe/Berlin', now)?.toISOString()).toBe('2026-11-30T08:00:00.000Z');
  });

  it('a tick at exactly now is due; the next one is after now', () => {
    const now = Date.parse('2026-11-30T08:05:00Z');
    expect(latestTick('* * * * *', 'UTC', now)?.toISOString()).toBe('2026-11-30T08:05:00.000Z');
    expect(latestTick('* * * * *', 'UTC', now + 59_999)?.toISOString()).toBe('2026-11-30T08:05:00.000Z');
    expect(nextTick('* * * * *', 'UTC', now)?.toISOString()).toBe('2026-11-30T08:06:00.000Z');
  });

  it('refuses six fields, nonsense and unknown zones with a message', () => {
    expect(() => validateCron('* * * * * *', 'UTC')).toThrow(CronError);
    expect(() => validateCron('every day', 'UTC')).toThrow(/five fields/);
    expect(() => validateCron('61 * * * *', 'UTC')).toThrow(CronError);
    expect(() => validateCron('0 8 * * *', 'Mars/Base')).toThrow(/IANA time zone/);
    expect(() => validateCron('0 8 * * 1-5', 'America/New_York')).not.toThrow();
  });
});
