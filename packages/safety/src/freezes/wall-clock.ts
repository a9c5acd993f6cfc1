/**
 * Wall-clock time in an IANA time zone, with the platform's Intl data (no Temporal in Node 20, and no date library in
 * the tree): a recurring freeze ("Fridays 16:00 to Mondays 08:00, Europe/Berlin") keeps its local times across a
 * daylight-saving change, so its UTC instants move by the hour the clocks do.
 */

export interface WallTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether the platform knows the zone (an unknown one is refused when a freeze is saved). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time at `instant` (ms since the epoch) in `timeZone`. */
export function wallTimeAt(instant: number, timeZone: string): WallTime {
  const parts = Object.fromEntries(formatterFor(timeZone).formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  return { year: Number(parts['year']), month: Number(parts['month']), day: Number(parts['day']), hour: Number(parts['hour']) % 24, minute: Number(parts['minute']), second: Number(parts['second']) };
}

/** The wall time read as if it were UTC: a plain number to add days to and compare. */
export const wallAsUtc = (wall: WallTime): number => Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);

export function wallFromUtc(ms: number): WallTime {
  const date = new Date(ms);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: date.getUTCHours(), minute: date.getUTCMinutes(), second: date.getUTCSeconds() };
}

/** The zone's offset from UTC at `instant`, in ms (Berlin in summer: +2 h). */
export const offsetAt = (instant: number, timeZone: string): number => wallAsUtc(wallTimeAt(instant, timeZone)) - Math.floor(instant / 1000) * 1000;

/**
 * The instant a wall-clock time happens in `timeZone`. A time the clocks skip (02:30 on the spring-forward night) is
 * read with the offset before the change, so it lands an hour later (03:30 local); a time that happens twice (the
 * autumn night) is its first occurrence.
 */
export function instantOf(wall: WallTime, timeZone: string): number {
  const local = wallAsUtc(wall);
  // the offsets an hour either side of the guess: one of them is the right one
  const before = offsetAt(local - 3_600_000 * 3, timeZone);
  const after = offsetAt(local + 3_600_000 * 3, timeZone);
  const candidates = [local - before, local - after].filter((instant) => wallAsUtc(wallTimeAt(instant, timeZone)) === local);
  if (candidates.length > 0) return Math.min(...candidates);
  // skipped by the clocks: the offset that applied before the gap
  return local - before;
}
