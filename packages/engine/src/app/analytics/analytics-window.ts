import { SkyfloError } from '../../platform/errors/skyflo-error.ts';
/**
 * The time window and bucket size of GET /analytics/metrics (spec §1, §4): `last_n_days` (default 7) or
 * `start_date`/`end_date` give whole UTC days in daily buckets; `start_datetime`/`end_datetime` give any window in
 * adaptive buckets from 5 minutes to 7 days, so a chart has at most ~60 points.
 */
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const bucketSizes: ReadonlyArray<{ label: string; ms: number }> = [
  { label: '5m', ms: 5 * MINUTE },
  { label: '15m', ms: 15 * MINUTE },
  { label: '30m', ms: 30 * MINUTE },
  { label: '1h', ms: 60 * MINUTE },
  { label: '3h', ms: 3 * 60 * MINUTE },
  { label: '6h', ms: 6 * 60 * MINUTE },
  { label: '12h', ms: 12 * 60 * MINUTE },
  { label: '1d', ms: DAY },
  { label: '7d', ms: 7 * DAY },
];

const MAX_BUCKETS = 60;
/** Longest window: a year of daily figures. */
const MAX_WINDOW_MS = 366 * DAY;

export interface AnalyticsWindow {
  start: Date;
  /** exclusive */
  end: Date;
  bucket: { label: string; ms: number };
}

export interface WindowQuery {
  last_n_days?: number | undefined;
  start_date?: string | undefined;
  end_date?: string | undefined;
  start_datetime?: string | undefined;
  end_datetime?: string | undefined;
}

/** A user error naming the query field to fix. */
export class WindowError extends SkyfloError {
  readonly code = 'INVALID_WINDOW';
  readonly statusCode = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'WindowError';
  }
}

const startOfUtcDay = (time: number) => Math.floor(time / DAY) * DAY;

export function resolveWindow(query: WindowQuery, now: Date = new Date()): AnalyticsWindow {
  const usesDates = query.start_date !== undefined || query.end_date !== undefined;
  const usesDatetimes = query.start_datetime !== undefined || query.end_datetime !== undefined;
  const modes = [query.last_n_days !== undefined, usesDates, usesDatetimes].filter(Boolean).length;
  if (modes > 1) throw new WindowError('last_n_days', 'give only one of last_n_days, start_date/end_date or start_datetime/end_datetime');

  let start: number;
  let end: number;
  let daily = true;
  if (usesDatetimes) {
    if (query.start_datetime === undefined) throw new WindowError('start_datetime', 'start_datetime is required with end_datetime');
    start = Date.parse(query.start_datetime);
    end = query.end_datetime !== undefined ? Date.parse(query.end_datetime) : now.getTime();
    daily = false;
  } else if (usesDates) {
    if (query.start_date === undefined) throw new WindowError('start_date', 'start_date is required with end_date');
    start = Date.parse(`${query.start_date}T00:00:00Z`);
    // end_date is inclusive: the whole day counts
    end = (query.end_date !== undefined ? Date.parse(`${query.end_date}T00:00:00Z`) : startOfUtcDay(now.getTime())) + DAY;
  } else {
    const days = query.last_n_days ?? 7;
    end = startOfUtcDay(now.getTime()) + DAY;
    start = end - days * DAY;
  }
  const startField = usesDatetimes ? 'start_datetime' : 'start_date';
  if (!(end > start)) throw new WindowError(startField, `${startField} must be before the end of the window`);
  if (end - start > MAX_WINDOW_MS) throw new WindowError(startField, 'the window may span at most 366 days');

  const span = end - start;
  const bucket = daily ? bucketSizes.find((size) => size.label === '1d')! : (bucketSizes.find((size) => span / size.ms <= MAX_BUCKETS) ?? bucketSizes[bucketSizes.length - 1]!);
  return { start: new Date(start), end: new Date(end), bucket };
}

/** Bucket starts covering the window, aligned to the bucket size since the epoch (UTC midnight for days). */
export function bucketStarts(window: AnalyticsWindow): number[] {
  const first = Math.floor(window.start.getTime() / window.bucket.ms) * window.bucket.ms;
  const starts: number[] = [];
  for (let time = first; time < window.end.getTime(); time += window.bucket.ms) starts.push(time);
  return starts;
}
