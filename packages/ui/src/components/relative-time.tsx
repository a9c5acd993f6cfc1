/** A moment shown as "3 min ago", with the exact date and time on hover (and for screen readers, in dateTime). */

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

export function RelativeTime({ at }: { at: number }) {
  const date = new Date(at);
  const absolute = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  return (
    <time dateTime={date.toISOString()} title={absolute} data-testid="relative-time">
      {relativeTime(at)}
    </time>
  );
}
