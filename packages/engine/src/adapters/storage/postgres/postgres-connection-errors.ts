/**
 * Why this exists (issue 32 item 1): a Postgres restart (`pg_ctl restart`, a failover, a managed database's
 * maintenance) sends every session "terminating connection due to administrator command" and closes it. node-postgres
 * reports that as an 'error' event on the Client; pg-pool listens only while a client is idle, so a client checked out
 * at that moment (a transaction between two statements, the checkpointer's writes) emitted 'error' with no listener,
 * which Node turns into an uncaught exception: the engine process exited mid-run.
 *
 * The failure itself is not lost by ignoring the event here: the query in flight (or the next one on that client)
 * rejects, and that is where the run ends or the request answers 503 (database-unavailable.ts). The pool drops the
 * broken client when it is released and opens new connections on demand, which is how the engine reconnects once the
 * database is back.
 */
import type pg from 'pg';

export function survivePostgresDisconnects(pool: pg.Pool, onError: (error: Error) => void = () => undefined): void {
  // idle clients (pg-pool re-emits their errors on the pool)
  pool.on('error', onError);
  // every client, for its whole life, including while checked out
  pool.on('connect', (client) => client.on('error', onError));
}
