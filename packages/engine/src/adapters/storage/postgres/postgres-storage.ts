import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { KeyObject } from 'node:crypto';
import { createAuditRecordSigner } from '../../../platform/crypto/audit-record-signer.ts';
import type { EngineStorage } from '../../../app/graph/checkpoints.ts';
import { composeStorage } from '../compose-storage.ts';
import { migrationsFolder } from '../migrations-folder.ts';
import type { SkyfloDatabase } from '../database.ts';
import { assertServingRoleCannotRewriteAudit, grantServingRole, servingRoleOf } from './postgres-roles.ts';
import { schema } from '../schema.ts';
import { DatabaseUnavailableError, describePostgres, isDatabaseUnavailable, unavailableReason } from '../../../platform/storage-faults/database-unavailable.ts';
import { survivePostgresDisconnects } from './postgres-connection-errors.ts';

/** Arbitrary constant that names Skyflo's migration lock among other applications' advisory locks. */
const MIGRATION_LOCK_KEY = 7_265_001;

export interface PostgresStorageOptions {
  /** the role the engine serves with (POSTGRES_DATABASE_URL) */
  url: string;
  /**
   * the role that owns the schema (POSTGRES_MIGRATION_URL): runs the migrations and grants `url`'s role only what it
   * needs; without it `url` migrates too, and owns the audit trail it could then rewrite
   */
  migrationUrl?: string;
  poolSize?: number;
  /** the serving sessions' limits (POSTGRES_*_TIMEOUT_MS); default: defaultPostgresTimeouts */
  timeouts?: Partial<PostgresSessionTimeouts>;
  /** the engine's audit key: signs each audit record (crypto/audit-record-signer.ts); absent, records are unsigned */
  auditSigningKey?: KeyObject;
}

/** Limits every serving session gets at connect (issue 32.2), in milliseconds; 0 is off. */
export interface PostgresSessionTimeouts {
  statementMs: number;
  lockMs: number;
  /** a session idle inside a transaction this long (a frozen replica) is ended by the server, releasing its locks */
  idleInTransactionMs: number;
}

export const defaultPostgresTimeouts: PostgresSessionTimeouts = { statementMs: 30_000, lockMs: 10_000, idleInTransactionMs: 5_000 };

/**
 * How long the client waits for a connection or an answer before giving up on the server: past the server's own
 * statement timeout (a statement the server ends answers with its error first), or 60 s with that timeout off.
 */
const clientBoundMs = (statementMs: number) => (statementMs > 0 ? statementMs + 10_000 : 60_000);

/** Postgres through node-postgres; one pool shared by Drizzle and the LangGraph checkpointer. */
export async function createPostgresStorage(options: PostgresStorageOptions): Promise<EngineStorage> {
  const timeouts = { ...defaultPostgresTimeouts, ...options.timeouts };
  // Sent at connect: no lock is held past a frozen holder's idle limit, and no request waits on a lock indefinitely.
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    // Issue 75: bounds the client keeps itself, for a server that stops answering (frozen, its network gone quiet): the
    // session limits above are the server's to enforce, and a server that does not answer enforces nothing. A request
    // then fails (503) instead of hanging, and a run ends with its error instead of sending heartbeats for ever.
    connectionTimeoutMillis: clientBoundMs(timeouts.statementMs),
    query_timeout: clientBoundMs(timeouts.statementMs),
  });
  // A client dropped by the server (a restart, or a session ended by idle_in_transaction_session_timeout) must not
  // crash the process, idle or checked out; the pool replaces it.
  survivePostgresDisconnects(pool);
  // Two connections: one holds the migration lock while the checkpointer's setup runs on the other.
  const ownerPool = options.migrationUrl ? new pg.Pool({ connectionString: options.migrationUrl, max: 2 }) : undefined;
  let migrationOnlyPool: pg.Pool | undefined;
  try {
    const db = drizzle(pool, { schema }) as unknown as SkyfloDatabase;
    const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');
    const checkpointer = new PostgresSaver(pool);
    // Set up at start, under the migration lock (replicas starting together would race creating its tables). The
    // owner creates the tables, checkpointer's included; the serving role only uses them.
    // Not the serving pool: its client-side query bound would cut a long migration, or the wait for another
    // replica's, short. A pool of one connection of the serving role, for the migration only, when there is no owner.
    const migrator = ownerPool ?? (migrationOnlyPool = new pg.Pool({ connectionString: options.url, max: 1 }));
    survivePostgresDisconnects(migrator);
    // Several engine replicas may start at once: the advisory lock lets exactly one run migrations at a time.
    const lockClient = await migrator.connect();
    try {
      // Migrations (and waiting for another replica's) may take longer than a request may: no limits on this session.
      await lockClient.query('SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0');
      await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      await migrate(drizzle(lockClient), { migrationsFolder });
      await (ownerPool ? new PostgresSaver(ownerPool) : checkpointer).setup();
      if (ownerPool) {
        await assertServingRoleCannotRewriteAudit(pool, { privileges: false });
        await grantServingRole(lockClient, await servingRoleOf(pool));
      }
    } finally {
      await lockClient.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      // Back to the limits it connected with, before the pool hands it to a request.
      await lockClient.query('RESET statement_timeout; RESET lock_timeout; RESET idle_in_transaction_session_timeout').catch(() => undefined);
      lockClient.release();
    }
    await migrator.end();
    if (ownerPool) await assertServingRoleCannotRewriteAudit(pool);
    const label = describePostgres(options.url);
    const storage = composeStorage({
      db,
      ...(options.auditSigningKey ? { auditSigner: createAuditRecordSigner(options.auditSigningKey) } : {}),
      checkpointer: async () => checkpointer,
      ping: async () => {
        try {
          await db.execute(sql`select 1`);
        } catch (error) {
          // /health names the database and says what is wrong, not Drizzle's "Failed query: select 1"
          if (isDatabaseUnavailable(error)) throw new DatabaseUnavailableError(`${label} is unreachable: ${unavailableReason(error)}`, { cause: error });
          throw error;
        }
      },
      close: () => pool.end(),
    });
    return { ...storage, label };
  } catch (error) {
    await ownerPool?.end().catch(() => undefined);
    await migrationOnlyPool?.end().catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw error;
  }
}
