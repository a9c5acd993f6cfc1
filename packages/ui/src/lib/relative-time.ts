/** "3 minutes ago" for a moment, in the reader's language (Intl.RelativeTimeFormat). */

const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "just now", "3 minutes ago", "2 days ago" for `at` (epoch ms) seen at `now`. */
export function relativeTime(at: number, now = Date.now()): string {
  let value = (at - now) / 1000;
  if (Math.abs(value) < 45) return 'just now';
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, size] of units) {
    if (Math.abs(value) < size) return format.format(Math.round(value), unit);
    value /= size;
  }
  return format.format(Math.round(value), 'year');
}
