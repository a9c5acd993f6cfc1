/**
 * Telling "the database is down" (a restart, a failover, a network cut: retry later) apart from "the database refused
 * this" (a bad value: retrying will not help), from whatever the driver threw: node-postgres's socket and server
 * errors, possibly wrapped by Drizzle (DrizzleQueryError, whose `cause` is the driver's error) or by the pool.
 */
import { SkyfloError } from '../errors/skyflo-error.ts';

/** Socket-level failures: the server is not there (yet), or went away mid-conversation. */
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs that mean the server (not the statement) is unavailable: class 08 (connection exception), 57P01
 * admin_shutdown ("terminating connection due to administrator command"), 57P02 crash_shutdown, 57P03
 * cannot_connect_now ("the database system is starting up / shutting down"), 53300 too_many_connections.
 */
const serverStates = new Set(['57P01', '57P02', '57P03', '53300']);

/** node-postgres's own messages for a connection that ended or never came up (these errors carry no code). */
const driverMessages = [/^Connection terminated/, /is not queryable/, /timeout exceeded when trying to connect/i, /^Client was closed and is not queryable/];

function isUnavailableCause(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (socketCodes.has(code) || serverStates.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  // several addresses tried (localhost: ::1 and 127.0.0.1), each refused
  if (error instanceof AggregateError && error.errors.some(isUnavailableCause)) return true;
  return driverMessages.some((pattern) => pattern.test(error.message));
}

/**
 * Whether `error`, or an error it wraps (`cause`, a few levels deep), says the database cannot be reached. An engine
 * error of another kind (errors/skyflo-error.ts: a Teams or Slack call, the event bus, the model) already says what
 * failed: a refused socket beneath it is that service's, not the database's (issue 74: a Teams connector outage was
 * answered "the database is unavailable").
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth += 1) {
    if (current instanceof DatabaseUnavailableError) return true;
    if (current instanceof SkyfloError) return false;
    if (isUnavailableCause(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The driver's own words for the failure (not Drizzle's message, which repeats the query and its parameters). */
export function unavailableReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    if (isUnavailableCause(current)) {
      const aggregate = current instanceof AggregateError ? current.errors.find(isUnavailableCause) : undefined;
      return (aggregate instanceof Error ? aggregate : current).message || String((current as { code?: unknown }).code ?? 'connection failed');
    }
    current = current.cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Names a Postgres database for people, without its credentials: "Postgres at db.internal:5432/skyflo".
 * Unparseable URLs (config validation refused those already) fall back to "Postgres".
 */
export function describePostgres(url: string): string {
  try {
    const parsed = new URL(url);
    return `Postgres at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname && parsed.pathname !== '/' ? parsed.pathname : ''}`;
  } catch {
    return 'Postgres';
  }
}

/** Seconds a client is asked to wait before retrying while the database is unavailable (a restart takes seconds). */
export const databaseRetryAfterSeconds = 5;

/** A request that needed the database while it was unreachable: 503 with Retry-After (http/plugins/error-handler.ts). */
export class DatabaseUnavailableError extends SkyfloError {
  readonly code = 'STORAGE_UNAVAILABLE';
  readonly statusCode = 503;
  readonly retryAfterSeconds = databaseRetryAfterSeconds;
}
