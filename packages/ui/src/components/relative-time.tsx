/** A moment shown as "3 min ago", with the exact date and time on hover (and for screen readers, in dateTime). */
import { relativeTime } from '../lib/relative-time.ts';

export function RelativeTime({ at }: { at: number }) {
  const date = new Date(at);
  const absolute = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  return (
    <time dateTime={date.toISOString()} title={absolute} data-testid="relative-time">
      {relativeTime(at)}
    </time>
  );
}
