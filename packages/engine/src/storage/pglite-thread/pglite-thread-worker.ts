/**
 * The PGlite thread: seeds the data directory from the template, opens PGlite, applies the migrations, then answers
 * the engine's queries. Why a thread: seeding (hundreds of files), PostgreSQL's start-up and every query are CPU
 * work that used to share one core with the engine's own start-up and request handling.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { migrationsFolder } from '../migrations-folder.ts';
import { pgliteTemplateMarker, seedFromPgliteTemplate } from '../pglite-template.ts';
import { serializeError, type PgliteReply, type PgliteRequest, type PgliteThreadOptions } from './messages.ts';

const port = parentPort!;
const options = workerData as PgliteThreadOptions;
const reply = (message: PgliteReply) => port.postMessage(message);

/**
 * PostgreSQL's WebAssembly, compiled by V8's background threads while this thread imports PGlite. Not during the
 * copy: compiling then slowed the copy, and the engine's start-up on the main thread, more than it saved.
 */
function compilePostgres(): Promise<WebAssembly.Module> {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  return WebAssembly.compile(readFileSync(path.join(packageDir, 'pglite.wasm')));
}

/** PGlite and the migrator, imported after the copy (which needs only node:fs), so this thread starts copying at once. */
async function loadDatabaseModules() {
  const [{ PGlite }, { pgliteStartParams }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('../pglite-start-params.ts'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  return { PGlite, pgliteStartParams, drizzle, migrate };
}

async function open(): Promise<PGlite> {
  const seededFrom = await seedFromPgliteTemplate({ databaseDir: options.databaseDir, ...(options.templateDir ? { templateDir: options.templateDir } : {}) });
  // A template migrated to exactly this journal needs no migrator run (~60 ms of a fresh start); any other does.
  const migrated = seededFrom !== undefined && seededFrom.migrations.join() === pgliteTemplateMarker().migrations.join();
  const [{ PGlite, pgliteStartParams, drizzle, migrate }, pgliteWasmModule] = await Promise.all([loadDatabaseModules(), compilePostgres()]);
  const lite = new PGlite(options.databaseDir, { startParams: pgliteStartParams, pgliteWasmModule });
  try {
    await lite.waitReady;
    if (!migrated) await migrate(drizzle(lite), { migrationsFolder });
    return lite;
  } catch (error) {
    await lite.close().catch(() => undefined);
    throw error;
  }
}

const opened = open();
opened.then(
  () => reply({ type: 'ready' }),
  (error: unknown) => reply({ type: 'failed', error: serializeError(error) }),
);

interface OpenTransaction {
  tx: Transaction;
  /** lets PGlite's transaction callback return: commits, or rolls back after tx.rollback() */
  leave(): void;
  /** PGlite's transaction() promise: settles once COMMIT or ROLLBACK ran */
  done: Promise<unknown>;
}

const transactions = new Map<number, OpenTransaction>();

/** Identity parsers: the engine asked for these types as PostgreSQL sent them (Drizzle parses dates itself). */
function rawTextParsers(types: number[] | undefined): Record<number, (value: string) => string> | undefined {
  if (!types?.length) return undefined;
  return Object.fromEntries(types.map((type) => [type, (value: string) => value]));
}

function begin(lite: PGlite, id: number): Promise<number> {
  return new Promise((resolveBegun, rejectBegun) => {
    let begun = false;
    const done = lite.transaction(async (tx) => {
      begun = true;
      await new Promise<void>((leave) => {
        transactions.set(id, { tx, leave, done });
        resolveBegun(id);
      });
    });
    done.catch((error: unknown) => {
      if (!begun) rejectBegun(error);
    });
  });
}

async function handle(request: PgliteRequest): Promise<unknown> {
  const lite = await opened;
  switch (request.op) {
    case 'query': {
      const target = request.tx === undefined ? lite : transactionOf(request.tx).tx;
      const parsers = rawTextParsers(request.rawTextTypes);
      return target.query(request.sql, request.params, { ...(request.rowMode ? { rowMode: request.rowMode } : {}), ...(parsers ? { parsers } : {}) });
    }
    case 'exec':
      return (request.tx === undefined ? lite : transactionOf(request.tx).tx).exec(request.sql);
    case 'begin':
      return begin(lite, request.id);
    case 'rollback':
      return transactionOf(request.tx).tx.rollback();
    case 'end': {
      const open = transactionOf(request.tx);
      transactions.delete(request.tx);
      if (!request.commit && !open.tx.closed) await open.tx.rollback();
      open.leave();
      await open.done;
      return undefined;
    }
    case 'close':
      await lite.close();
      return undefined;
  }
}

function transactionOf(id: number): OpenTransaction {
  const open = transactions.get(id);
  if (!open) throw new Error(`no open transaction ${id} in the PGlite thread`);
  return open;
}

port.on('message', (request: PgliteRequest) => {
  handle(request).then(
    (value) => reply({ type: 'result', id: request.id, value }),
    (error: unknown) => reply({ type: 'error', id: request.id, error: serializeError(error) }),
  );
});
