/**
 * The one base of the engine's errors: each has a stable `code` (what callers, the HTTP error handler and logs
 * branch on) and, when a request failing with it should answer something other than 500, the HTTP `statusCode`.
 * Subclasses keep their own names, messages and extra fields; `name` is left as each class sets it (or "Error"),
 * so what is printed and logged does not change.
 */
export abstract class SkyfloError extends Error {
  abstract readonly code: string;
  /** the HTTP status for a request that fails with this error; undefined: a server error (500) */
  declare readonly statusCode?: number;
}

/** Whether `error` is one of the engine's own errors (rather than a library's or a bug). */
export const isSkyfloError = (error: unknown): error is SkyfloError => error instanceof SkyfloError;
