/**
 * Where a series has points in a range query's grid (start, start + step, …, ≤ end): when it began after the range
 * started, when it ended before the range ended (a pod that was deleted, a target that stopped being scraped: its
 * last value is not "now"), and the gaps between. Grafana draws these as breaks in the line; the model is told them in
 * words, or a series that stopped twelve minutes ago reads like a live one.
 */

export interface RangeGrid {
  /** unix seconds */
  start: number;
  end: number;
  /** seconds between evaluations */
  step: number;
}

export interface Coverage {
  /** the first point, when it came at least one step after the range start */
  began?: number;
  /** the last point, when at least one step before the last evaluation of the range */
  ended?: number;
  /** stretches of one or more missing steps: the points either side */
  gaps: Array<{ after: number; before: number }>;
}

/** The grid's last evaluation: Prometheus evaluates at start + k·step up to and including end. */
export function lastEvaluation(grid: RangeGrid): number {
  return grid.start + Math.floor((grid.end - grid.start) / grid.step + 1e-9) * grid.step;
}

/** `timestamps` sorted ascending (a series' points). Half a step of slack absorbs the millisecond rounding of the wire. */
export function coverageOf(timestamps: number[], grid: RangeGrid): Coverage {
  if (timestamps.length === 0) return { gaps: [] };
  const slack = grid.step / 2;
  const first = timestamps[0]!;
  const last = timestamps.at(-1)!;
  const gaps: Coverage['gaps'] = [];
  for (let index = 1; index < timestamps.length; index++) {
    const after = timestamps[index - 1]!;
    const before = timestamps[index]!;
    if (before - after > grid.step + slack) gaps.push({ after, before });
  }
  return {
    ...(first > grid.start + slack ? { began: first } : {}),
    ...(last < lastEvaluation(grid) - slack ? { ended: last } : {}),
    gaps,
  };
}

/** 90 → "1m30s", 720 → "12m", 5400 → "1h30m": Prometheus' own duration notation. */
export function formatDuration(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

/** A point's time: "10:48:00Z" when the whole range lies in one UTC day, else the full RFC 3339 date and time. */
export function formatTime(seconds: number, grid: Pick<RangeGrid, 'start' | 'end'>): string {
  const iso = new Date(Math.round(seconds * 1000)).toISOString().replace(/\.000Z$/, 'Z');
  const sameDay = new Date(grid.start * 1000).toISOString().slice(0, 10) === new Date(grid.end * 1000).toISOString().slice(0, 10);
  return sameDay ? iso.slice(11) : iso;
}

/** The coverage in words, for the end of a series' line; '' when the series covers the whole range. */
export function describeCoverage(coverage: Coverage, grid: RangeGrid): string {
  const parts: string[] = [];
  if (coverage.began !== undefined) parts.push(`began ${formatTime(coverage.began, grid)} (${formatDuration(coverage.began - grid.start)} after the range start)`);
  if (coverage.ended !== undefined) parts.push(`ended ${formatTime(coverage.ended, grid)} (${formatDuration(lastEvaluation(grid) - coverage.ended)} before the range end; no value since)`);
  if (coverage.gaps.length > 0) {
    const longest = coverage.gaps.reduce((a, b) => (b.before - b.after > a.before - a.after ? b : a));
    parts.push(`${coverage.gaps.length} gap${coverage.gaps.length === 1 ? '' : 's'} (longest: no points between ${formatTime(longest.after, grid)} and ${formatTime(longest.before, grid)}, ${formatDuration(longest.before - longest.after)})`);
  }
  return parts.join('; ');
}
