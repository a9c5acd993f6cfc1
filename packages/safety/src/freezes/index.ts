/**
 * @skyflo/safety/freezes: change freezes (issue 76), pure — when a window (one-off, or repeated daily/weekly at the
 * same wall-clock times in its time zone) holds and which calls it covers. The engine's gate and the executor's check
 * at mint (packages/operator/src/executor/policy-check.ts) both decide with this one copy.
 */
export { activeFreeze, activeFreezes, frozenCode, frozenText, inScope, periodMs, windowAt, windowProblem, type Freeze, type FreezeHit, type FreezeWindowSpec, type Recurrence } from './freeze-window.ts';
export { instantOf, isTimeZone, offsetAt, wallAsUtc, wallFromUtc, wallTimeAt, type WallTime } from './wall-clock.ts';
