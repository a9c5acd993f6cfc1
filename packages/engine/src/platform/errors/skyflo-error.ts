/**
 * The one base of the engine's errors: each has a stable `code` (what callers, the HTTP error handler and logs
 * branch on) and, when a request failing with it should answer something other than 500, the HTTP `statusCode`.
 * Subclasses keep their own names, messages and extra fields; `name` is left as each class sets it (or "Error"),
 * so what is printed and logged does not change.
 *
 * Issue 80 item 4: every error also says who can act on it (`category`) and whether the same request may succeed
 * later unchanged (`retryable`), so the HTTP answer and the log line tell a caller's mistake from an outage from a bug
 * without a table of codes in each client:
 *   - `user`: the request was wrong (4xx); the caller fixes it; retrying it unchanged fails again.
 *   - `operational`: something the engine depends on failed (the database, the bus, the model provider, a cluster,
 *     a disk, its own configuration); an operator fixes it, and for a passing outage a retry may succeed.
 *   - `unexpected`: a bug; the log has the details.
 * Both derive from the status by default; a class whose meaning differs overrides the getter.
 */
export type ErrorCategory = 'user' | 'operational' | 'unexpected';

/** Statuses that mean "a dependency failed", not "you asked wrongly" nor "a bug". */
const operationalStatuses: ReadonlySet<number> = new Set([502, 503, 504, 507]);
/** Client statuses after which the same request may succeed later (a timeout, a rate limit). */
const retryableClientStatuses: ReadonlySet<number> = new Set([408, 429]);

export function categoryOfStatus(statusCode: number | undefined): ErrorCategory {
  if (statusCode === undefined || statusCode === 500) return 'unexpected';
  if (operationalStatuses.has(statusCode)) return 'operational';
  return statusCode >= 400 && statusCode < 500 ? 'user' : 'unexpected';
}

/** Whether a request that failed with this status may succeed if sent again unchanged. */
export const retryableStatus = (statusCode: number | undefined): boolean =>
  statusCode !== undefined && (operationalStatuses.has(statusCode) ? statusCode !== 507 : retryableClientStatuses.has(statusCode));

export abstract class SkyfloError extends Error {
  abstract readonly code: string;
  /** the HTTP status for a request that fails with this error; undefined: a server error (500) */
  declare readonly statusCode?: number;

  /** who can act on it (see above); by default from `statusCode` */
  get category(): ErrorCategory {
    return categoryOfStatus(this.statusCode);
  }

  /** whether the same request may succeed later, unchanged; by default from `statusCode` */
  get retryable(): boolean {
    return retryableStatus(this.statusCode);
  }
}

/** Whether `error` is one of the engine's own errors (rather than a library's or a bug). */
export const isSkyfloError = (error: unknown): error is SkyfloError => error instanceof SkyfloError;

/** The category and retryability of any error: the engine's say so; anything else with a status by it; else a bug. */
export function classifyError(error: unknown): { category: ErrorCategory; retryable: boolean } {
  if (isSkyfloError(error)) return { category: error.category, retryable: error.retryable };
  const statusCode = typeof (error as { statusCode?: unknown } | null)?.statusCode === 'number' ? (error as { statusCode: number }).statusCode : undefined;
  return { category: categoryOfStatus(statusCode), retryable: retryableStatus(statusCode) };
}
