/**
 * What a run that failed beneath the workflow tells its user (`workflow.error`, then `completed(error)`): the storage
 * or the event bus gave out, not the model or a tool. Only what the database or the bus said is repeated, never a
 * query's parameters (they hold the conversation's text), and each says what to do next.
 */
import { describeDiskFull, isDiskFull } from '../../platform/storage-faults/disk-full.ts';
import { isDatabaseUnavailable, unavailableReason } from '../../platform/storage-faults/database-unavailable.ts';
import { isRefusedStatement } from '../../platform/storage-faults/refused-statement.ts';

/** A `workflow.error` payload whose code says which part gave out. */
export interface RunFailure {
  code: 'STORAGE_FULL' | 'STORAGE_UNAVAILABLE' | 'EVENT_BUS_UNAVAILABLE';
  error: string;
}

/** A failure of the storage rather than of the model or a tool: a statement refused, or the database unreachable. */
export function isStorageError(error: unknown): boolean {
  return isRefusedStatement(error) || isDatabaseUnavailable(error);
}

/**
 * The `workflow.error` of a storage failure. Drizzle wraps the driver's error, and its own message carries the
 * parameters; a database that went away (a restart, a failover) is said to be unavailable: the conversation is fine,
 * the run is what was lost. `database`: the storage's label (e.g. "Postgres at 127.0.0.1:5432/skyflo").
 */
export function storageFailureEvent(error: unknown, database: string | undefined): RunFailure {
  if (isDiskFull(error)) {
    return {
      code: 'STORAGE_FULL',
      error: `The disk holding the database${database ? ` (${database})` : ''} is full (the database said: ${describeDiskFull(error)}), so this run was ended and nothing more was written. Free space there (GET /api/v1/health names it), then send your message again.`,
    };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      code: 'STORAGE_UNAVAILABLE',
      error: `The database${database ? ` (${database})` : ''} became unavailable during this run (${unavailableReason(error)}), so it was ended. What was saved before is kept in the conversation; once GET /api/v1/health reports the database ok, reload the conversation and send your message again.`,
    };
  }
  const cause = isRefusedStatement(error) ? error.cause : error;
  const said = cause instanceof Error ? cause.message : String(cause);
  return {
    code: 'STORAGE_UNAVAILABLE',
    error: `The conversation could not be saved (the database said: ${said}), so this run was ended. Reload the conversation and send your message again; if it keeps failing, check the engine's database (GET /api/v1/health).`,
  };
}

/** The `workflow.error` of an event bus that failed mid-run (Redis, or the in-process bus). */
export function busFailureEvent(error: unknown): RunFailure {
  const message = error instanceof Error ? error.message : String(error);
  const bus = /redis/i.test(message) ? 'Redis' : 'event bus';
  return {
    code: 'EVENT_BUS_UNAVAILABLE',
    error: `The event stream (${bus}) failed during this run, so it was ended. Everything produced so far is saved in the conversation; reload it, and send your message again once the engine reports healthy.`,
  };
}
