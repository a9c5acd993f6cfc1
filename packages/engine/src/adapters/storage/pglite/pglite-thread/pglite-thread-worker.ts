/**
 * The PGlite thread: seeds the data directory from the template, opens PGlite, applies the migrations, then answers
 * the engine's queries. Why a thread: seeding (hundreds of files), PostgreSQL's start-up and every query are CPU
 * work that used to share one core with the engine's own start-up and request handling.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { PGlite } from '@electric-sql/pglite';
import { migrationsFolder } from '../../migrations-folder.ts';
import { openTransaction, type OpenTransaction } from '../pglite-open-transaction.ts';
import { pgliteTemplateMarker, seedFromPgliteTemplate } from '../pglite-template.ts';
import { serializeError, type PgliteReply, type PgliteRequest, type PgliteThreadOptions } from './messages.ts';
import { createPreparedStatements, type PreparedStatements } from './prepared-statements.ts';

const port = parentPort!;
const options = workerData as PgliteThreadOptions;

/**
 * Replies ready in the same tick go out in one message (see messages.ts); at most this many, so that when the thread
 * answers a long queue of statements in one go the first answers still leave before the last statement has run.
 */
const maxRepliesPerMessage = 8;
let outbox: PgliteReply[] = [];
let flushQueued = false;
function flushReplies(): void {
  flushQueued = false;
  if (outbox.length === 0) return;
  const replies = outbox;
  outbox = [];
  port.postMessage(replies);
}
function reply(message: PgliteReply): void {
  outbox.push(message);
  if (outbox.length >= maxRepliesPerMessage) return flushReplies();
  if (flushQueued) return;
  flushQueued = true;
  // after the microtasks of this turn: the statements PGlite finishes together are answered together
  process.nextTick(flushReplies);
}

/**
 * Keeps PostgreSQL's WebAssembly on V8's baseline compiler (Liftoff) instead of tiering hot functions up to
 * TurboFan. Why: each TurboFan compile of these large functions allocates megabytes of native zone memory that the
 * process keeps (measured: ~75 MB of malloc heap after start and a few hundred queries, a quarter of an idle
 * `skyflo serve`), while the queries the engine sends ran no slower on Liftoff (the optimised code rarely pays back
 * its compile time on two shared cores). V8's flags are per process: set before this module is compiled (V8 reads it
 * per compile); the engine's own thread runs no WebAssembly of its own.
 */
const postgresWasmFlag = '--liftoff-only';

/** PostgreSQL's WebAssembly, compiled by V8's background threads while this thread imports PGlite. */
function compilePostgres(): Promise<WebAssembly.Module> {
  setFlagsFromString(postgresWasmFlag);
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  return WebAssembly.compile(readFileSync(path.join(packageDir, 'pglite.wasm')));
}

async function loadDatabaseModules() {
  const [{ PGlite }, { NodeFS }, { pgliteStartParams }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/nodefs'), import('../pglite-start-params.ts')]);
  return { PGlite, NodeFS, pgliteStartParams };
}

/**
 * Drizzle's migrator, loaded only for a directory that needs it: a data dir seeded from a template migrated to this
 * journal does not, and loading Drizzle there put ~20 ms on every fresh start's critical path (this thread's work is
 * what `skyflo serve` waits for last).
 */
async function migrateDatabase(lite: PGlite): Promise<void> {
  const [{ drizzle }, { migrate }] = await Promise.all([import('drizzle-orm/pglite'), import('drizzle-orm/pglite/migrator')]);
  await migrate(drizzle(lite), { migrationsFolder });
}

/**
 * The data directory, seeded from the template while PGlite starts: PGlite reads the directory only after its
 * runtime is up (instantiating PostgreSQL, unpacking its share files), and asks its filesystem to sync first; that is
 * where this one waits for the copy. The copy runs on libuv's threads, so the two overlap.
 */
function seededNodeFs(NodeFS: typeof import('@electric-sql/pglite/nodefs').NodeFS, seeding: Promise<unknown>) {
  return new (class SeededNodeFS extends NodeFS {
    override async initialSyncFs(): Promise<void> {
      await seeding;
      await super.initialSyncFs();
    }
  })(options.databaseDir);
}

async function open(): Promise<PGlite> {
  const seeding = seedFromPgliteTemplate({ databaseDir: options.databaseDir, ...(options.templateDir ? { templateDir: options.templateDir } : {}) });
  try {
    return await openWhileSeeding(seeding);
  } catch (error) {
    // The copy finishes (or removes its staging directory) before the engine hears of the failure and ends the thread.
    await seeding;
    throw error;
  }
}

async function openWhileSeeding(seeding: ReturnType<typeof seedFromPgliteTemplate>): Promise<PGlite> {
  const [{ PGlite, NodeFS, pgliteStartParams }, pgliteWasmModule] = await Promise.all([loadDatabaseModules(), compilePostgres()]);
  const lite = new PGlite({ fs: seededNodeFs(NodeFS, seeding), startParams: pgliteStartParams, pgliteWasmModule });
  try {
    await lite.waitReady;
    const seededFrom = await seeding;
    // A template migrated to exactly this journal needs no migrator run (~60 ms of a fresh start); any other does.
    const migrated = seededFrom !== undefined && seededFrom.migrations.join() === pgliteTemplateMarker().migrations.join();
    if (!migrated) await migrateDatabase(lite);
    return lite;
  } catch (error) {
    await lite.close().catch(() => undefined);
    throw error;
  }
}

const opened = open();
/** Every statement the engine sends is prepared once and then only bound and executed (prepared-statements.ts). */
const prepared: Promise<PreparedStatements> = opened.then((lite) => createPreparedStatements(lite));
prepared.catch(() => undefined); // the open's failure is reported below, and each request's
opened.then(
  () => reply({ type: 'ready' }),
  (error: unknown) => reply({ type: 'failed', error: serializeError(error) }),
);

/**
 * Transactions the engine's thread has begun and not yet ended, by the id it gave them. Set as the message that
 * opens one arrives (before anything later in the same message is handled), so the transaction takes PGlite's lock
 * ahead of any statement sent after it, as a separate `begin` round trip used to.
 */
const transactions = new Map<number, Promise<OpenTransaction>>();

/**
 * Identity parsers: the engine asked for these types as PostgreSQL sent them (Drizzle parses dates itself). One object
 * per list of types (a handful: the statements' shapes are fixed), so the prepared statements merge it with PGlite's
 * parsers once, not per statement.
 */
const rawTextParsersByTypes = new Map<string, Record<number, (value: string) => string>>();
const keepText = (value: string) => value;
function rawTextParsers(types: number[] | undefined): Record<number, (value: string) => string> | undefined {
  if (!types?.length) return undefined;
  const key = types.join();
  let parsers = rawTextParsersByTypes.get(key);
  if (!parsers) rawTextParsersByTypes.set(key, (parsers = Object.fromEntries(types.map((type) => [type, keepText]))));
  return parsers;
}

async function handle(request: PgliteRequest): Promise<unknown> {
  const lite = await opened;
  const statements = await prepared;
  /** the connection a statement runs on: its transaction's, or PGlite's own */
  const on = async (tx: number | undefined) => (tx === undefined ? lite : (await transactionOf(tx)).tx);
  switch (request.op) {
    case 'query': {
      const parsers = rawTextParsers(request.rawTextTypes);
      const transaction = request.tx === undefined ? undefined : (await transactionOf(request.tx)).tx;
      return statements.query(request.sql, request.params, { ...(request.rowMode ? { rowMode: request.rowMode } : {}), ...(parsers ? { parsers } : {}) }, transaction);
    }
    case 'exec':
      return (await on(request.tx)).exec(request.sql);
    case 'batch':
      return lite.transaction(async (tx) => {
        const results: Array<{ rows: unknown[]; affectedRows?: number }> = [];
        for (const statement of request.statements) {
          const { rows, affectedRows } = await statements.query(statement.sql, statement.params, undefined, tx);
          results.push({ rows, ...(affectedRows === undefined ? {} : { affectedRows }) });
        }
        return results;
      });
    case 'rollback':
      return (await transactionOf(request.tx)).tx.rollback();
    case 'end': {
      const open = transactionOf(request.tx);
      transactions.delete(request.tx);
      await (await open).finish(request.commit);
      return undefined;
    }
    case 'close':
      await lite.close();
      return undefined;
  }
}

function transactionOf(id: number): Promise<OpenTransaction> {
  const open = transactions.get(id);
  if (!open) return Promise.reject(new Error(`no open transaction ${id} in the PGlite thread`));
  return open;
}

port.on('message', (requests: PgliteRequest[]) => {
  for (const request of requests) {
    if ((request.op === 'query' || request.op === 'exec') && request.begin && request.tx !== undefined) {
      const opening = opened.then(openTransaction);
      // a transaction that could not open fails its first statement (below) and its `end`; nobody else waits on it
      opening.catch(() => undefined);
      transactions.set(request.tx, opening);
    }
    handle(request).then(
      (value) => reply({ type: 'result', id: request.id, value }),
      (error: unknown) => reply({ type: 'error', id: request.id, error: serializeError(error) }),
    );
  }
});
