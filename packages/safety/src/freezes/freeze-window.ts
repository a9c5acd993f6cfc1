/**
 * Change freezes (issue 76): when a freeze holds and what it covers, pure. A freeze is one window (starts_at to
 * ends_at), or that window repeated daily or weekly at the same wall-clock times in its time zone ("Fridays 16:00 to
 * Mondays 08:00, Europe/Berlin": the first window gives the times, and it stays 16:00 local after the clocks change).
 */
import { globMatches } from '../patterns/glob.ts';
import { instantOf, wallAsUtc, wallFromUtc, wallTimeAt } from './wall-clock.ts';

export type Recurrence = 'daily' | 'weekly';

export interface FreezeWindowSpec {
  startsAt: Date;
  endsAt: Date;
  recurrence?: Recurrence | undefined;
  /** the zone the recurring window's wall-clock times are kept in (default UTC) */
  timeZone?: string | undefined;
}

export interface Freeze extends FreezeWindowSpec {
  id: string;
  name: string;
  reason: string;
  /** cluster name patterns (`*` globs); absent: every cluster */
  clusters?: string[] | undefined;
  /** namespace patterns; absent: every namespace (and cluster-wide calls) */
  namespaces?: string[] | undefined;
  /**
   * A SkyfloFreeze's `break_glass.approvers` (emails or Skyflo user ids): who may break it where the executor enforces
   * it, with their passkey. Absent: nobody can, in the cluster (the engine's own break-glass is then refused at mint).
   */
  breakGlassBy?: string[] | undefined;
}

const dayMs = 86_400_000;
export const periodMs: Record<Recurrence, number> = { daily: dayMs, weekly: 7 * dayMs };

/** Why the window cannot be saved, or undefined (it ends after it starts, and a repeated one is shorter than its period). */
export function windowProblem(spec: FreezeWindowSpec): string | undefined {
  if (spec.endsAt.getTime() <= spec.startsAt.getTime()) return 'ends_at must be after starts_at';
  if (spec.recurrence && spec.endsAt.getTime() - spec.startsAt.getTime() >= periodMs[spec.recurrence]) return `a ${spec.recurrence} window must be shorter than ${spec.recurrence === 'daily' ? 'a day' : 'a week'}`;
  return undefined;
}

/** The window holding at `at` (ms since the epoch): its start and end, or undefined when none holds. */
export function windowAt(spec: FreezeWindowSpec, at: number): { start: number; end: number } | undefined {
  const [start, end] = [spec.startsAt.getTime(), spec.endsAt.getTime()];
  if (at < start) return undefined;
  if (!spec.recurrence) return at < end ? { start, end } : undefined;
  const zone = spec.timeZone ?? 'UTC';
  const period = periodMs[spec.recurrence];
  // the first window's wall-clock start and length, repeated k periods later on the wall clock
  const firstLocal = wallAsUtc(wallTimeAt(start, zone));
  const span = wallAsUtc(wallTimeAt(end, zone)) - firstLocal;
  const occurrence = (k: number) => {
    const local = firstLocal + k * period;
    return { start: instantOf(wallFromUtc(local), zone), end: instantOf(wallFromUtc(local + span), zone) };
  };
  // the elapsed time is within an hour (a clock change) of k periods: look at the neighbours too
  const estimate = Math.floor((at - start) / period);
  for (const k of [estimate - 1, estimate, estimate + 1]) {
    if (k < 0) continue;
    const window = occurrence(k);
    if (window.start <= at && at < window.end) return window;
  }
  return undefined;
}

/** Whether a call on `cluster`, writing `namespaces`, is inside the freeze's scope. */
export function inScope(freeze: Pick<Freeze, 'clusters' | 'namespaces'>, call: { cluster?: string | undefined; namespaces: readonly string[] }): boolean {
  if (freeze.clusters && freeze.clusters.length > 0 && !(call.cluster !== undefined && freeze.clusters.some((pattern) => globMatches(pattern, call.cluster!)))) return false;
  if (freeze.namespaces && freeze.namespaces.length > 0 && !call.namespaces.some((namespace) => freeze.namespaces!.some((pattern) => globMatches(pattern, namespace)))) return false;
  return true;
}

export interface FreezeHit {
  name: string;
  reason: string;
  endsAt: Date;
  /** the freeze's break-glass list where the cluster holds one (Freeze.breakGlassBy) */
  breakGlassBy?: string[] | undefined;
}

/** The freeze that holds for the call now (the one ending last, when several do), or undefined. */
export function activeFreeze(freezes: readonly Freeze[], call: { cluster?: string | undefined; namespaces: readonly string[] }, at: number): FreezeHit | undefined {
  let hit: FreezeHit | undefined;
  for (const freeze of freezes) {
    if (!inScope(freeze, call)) continue;
    const window = windowAt(freeze, at);
    if (window && (!hit || window.end > hit.endsAt.getTime())) hit = { name: freeze.name, reason: freeze.reason, endsAt: new Date(window.end), ...(freeze.breakGlassBy ? { breakGlassBy: freeze.breakGlassBy } : {}) };
  }
  return hit;
}

/** Every freeze holding for the call at `at`, each with the end of its window (a break-glass must break each one). */
export function activeFreezes(freezes: readonly Freeze[], call: { cluster?: string | undefined; namespaces: readonly string[] }, at: number): Array<FreezeHit & { freeze: Freeze }> {
  return freezes.flatMap((freeze) => {
    const hit = activeFreeze([freeze], call, at);
    return hit ? [{ ...hit, freeze }] : [];
  });
}

export const frozenCode = 'FROZEN';

export function frozenText(hit: FreezeHit, what: string): string {
  return `${what}: the change freeze "${hit.name}" holds until ${hit.endsAt.toISOString()}${hit.reason ? ` (${hit.reason})` : ''}. Changes in its scope wait until it ends; reads keep working.`;
}
