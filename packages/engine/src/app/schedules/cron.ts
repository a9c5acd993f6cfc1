/**
 * Cron expressions of scheduled checks (issue 81), read by cron-parser in the schedule's IANA time zone. Only the five
 * classic fields are accepted: a seconds field would let one schedule start a model run every second.
 */
import { CronExpressionParser } from 'cron-parser';
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';

export class CronError extends SkyfloError {
  readonly code = 'INVALID_SCHEDULE';
  override readonly statusCode = 400;
}

function checkTimeZone(timeZone: string): void {
  try {
    // Intl names the zones the runtime knows; cron-parser's own failure for an unknown one is "Invalid Date"
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new CronError(`time_zone ${JSON.stringify(timeZone)} is not an IANA time zone (e.g. "Europe/Berlin", "UTC")`);
  }
}

function parse(expression: string, timeZone: string, currentDate: Date) {
  checkTimeZone(timeZone);
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new CronError(`schedule ${JSON.stringify(expression)} needs five fields: minute hour day-of-month month day-of-week (e.g. "0 8 * * 1-5")`);
  try {
    return CronExpressionParser.parse(fields.join(' '), { currentDate, tz: timeZone });
  } catch (error) {
    throw new CronError(`schedule ${JSON.stringify(expression)} is not a cron expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Throws a CronError naming what is wrong with the expression or the zone. */
export function validateCron(expression: string, timeZone: string): void {
  parse(expression, timeZone, new Date()).next();
}

/** The newest tick at or before `now` (epoch ms), or undefined when the expression never fired before it. */
export function latestTick(expression: string, timeZone: string, now: number): Date | undefined {
  // prev() is strictly before its start, so start just after `now`: a tick at exactly `now` counts
  try {
    return parse(expression, timeZone, new Date(now + 1)).prev().toDate();
  } catch (error) {
    if (error instanceof CronError) throw error;
    return undefined;
  }
}

/** The first tick after `now` (epoch ms), or undefined when there is none. */
export function nextTick(expression: string, timeZone: string, now: number): Date | undefined {
  try {
    const next = parse(expression, timeZone, new Date(now)).next().toDate();
    return next.getTime() > now ? next : parse(expression, timeZone, new Date(now + 1000)).next().toDate();
  } catch (error) {
    if (error instanceof CronError) throw error;
    return undefined;
  }
}
