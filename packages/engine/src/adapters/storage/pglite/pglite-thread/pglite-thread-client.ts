/**
 * PGlite on a worker thread, seen from the engine as the slice of PGlite that Drizzle and the checkpointer's pool use
 * (query, exec, transaction, close). Why: opening the database (copying the template, PostgreSQL's start-up,
 * migrations: ~1 s of CPU) then overlaps with loading and building the HTTP app instead of adding to it, and queries
 * no longer run on the thread that serves requests.
 *
 * The client exists at once; every call waits for the thread to finish opening, and fails with the reason when the
 * database cannot open (the engine's first query at start-up reports it).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite';
import { compileSourceThread, packageCacheDir } from './source-thread-build.ts';
import { deserializeError, type BatchStatement, type PgliteReply, type PgliteRequest, type PgliteThreadOptions } from './messages.ts';

/** What the storage uses of PGlite, whether in this thread or on the PGlite thread. */
export type PgliteConnection = Pick<PGlite, 'query' | 'exec' | 'transaction' | 'close' | 'closed'>;

export interface PgliteThreadClient extends PgliteConnection {
  /** resolves once the database is open and migrated; rejects with the reason it could not open */
  readonly ready: Promise<void>;
  /**
   * Runs `statements` in one transaction in ONE round trip (all commit or none does). For writes whose results the
   * caller does not read before the commit (the checkpointer's, see pglite-pool.ts).
   */
  batch(statements: BatchStatement[]): Promise<Array<{ rows: unknown[]; affectedRows?: number }>>;
}

/** Whether `connection` is the PGlite thread's client (which can run a transaction's writes in one round trip). */
export function canBatch(connection: PgliteConnection): connection is PgliteThreadClient {
  return typeof (connection as Partial<PgliteThreadClient>).batch === 'function';
}

type RequestWithoutId = PgliteRequest extends infer R ? (R extends PgliteRequest ? Omit<R, 'id'> : never) : never;

/**
 * The worker: the compiled file beside this module in a release build (scripts/build-release.mjs), else, in a source
 * checkout, the TypeScript source compiled once for every thread (source-thread-build.ts). Where that cannot be
 * compiled, the source through tsx's loader, as the rest of the engine runs in development.
 */
async function startWorker(options: PgliteThreadOptions): Promise<Worker> {
  const compiled = new URL('./pglite-thread-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, { workerData: options });
  const sourceBuild = await compiledSourceWorker().catch(() => undefined);
  if (sourceBuild) return new Worker(sourceBuild, { workerData: options });
  // tsx/esm/api's ES module build (require.resolve would give its CommonJS one, which cannot register in a worker)
  const tsxPackage = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(path.join(tsxPackage, 'dist', 'esm', 'api', 'index.mjs')).href;
  const source = new URL('./pglite-thread-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: options });
}

/** One compile check per process: the sources do not change under a running engine. */
let sourceWorker: Promise<string> | undefined;
function compiledSourceWorker(): Promise<string> {
  const entry = fileURLToPath(new URL('./pglite-thread-worker.ts', import.meta.url));
  sourceWorker ??= compileSourceThread({ entry, cacheDir: packageCacheDir(entry) });
  return sourceWorker;
}

export function startPgliteThread(options: PgliteThreadOptions): PgliteThreadClient {
  const starting = startWorker(options);
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let closed = false;
  let stopped: Error | undefined;

  let settleReady!: { resolve(): void; reject(error: Error): void };
  const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
  // Awaited by the engine; a failure is reported there, not as an unhandled rejection.
  ready.catch(() => undefined);

  const stop = (error: Error) => {
    stopped ??= error;
    settleReady.reject(error);
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };

  const settle = (message: PgliteReply) => {
    if (message.type === 'ready') return settleReady.resolve();
    if (message.type === 'failed') return stop(deserializeError(message.error));
    const call = pending.get(message.id);
    if (!call) return;
    pending.delete(message.id);
    if (message.type === 'result') call.resolve(message.value);
    else call.reject(deserializeError(message.error));
  };
  starting.then(
    (worker) => {
      worker.on('message', (replies: PgliteReply[]) => {
        for (const message of replies) settle(message);
      });
      worker.on('error', (error) => stop(new Error(`the PGlite thread failed: ${error.message}`, { cause: error })));
      worker.on('exit', (code) => stop(new Error(`the PGlite thread exited (code ${code})`)));
    },
    (error: Error) => stop(new Error(`the PGlite thread could not start: ${error.message}`, { cause: error })),
  );

  // Requests made together go to the thread in one message (see messages.ts): sent by a microtask queued with the
  // first of them, so what was already queued runs first — the runs a batch of replies wakes up (their continuations
  // are queued as the batch is settled) send their next statements together. Not later: with process.nextTick the
  // message waited for the whole microtask queue to drain, e.g. an approval's execution claim waited ~1.5-2 ms for
  // the work it was sent ahead of (P4: the tool.approved event, the re-checks' in-process MCP calls).
  let outbox: PgliteRequest[] = [];
  const flushRequests = () => {
    const requests = outbox;
    outbox = [];
    // a stopped thread has already failed every pending call (stop); messages keep their order (one promise)
    if (!stopped) void starting.then((worker) => worker.postMessage(requests), () => undefined);
  };
  const call = <T>(request: RequestWithoutId): Promise<T> => {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (outbox.length === 0) queueMicrotask(flushRequests);
      outbox.push({ ...request, id } as PgliteRequest);
    });
  };

  /** `tx`: the transaction a statement belongs to; `begin`: it is that transaction's first statement */
  type InTransaction = { tx: number; begin?: true } | undefined;
  // the options are checked before `inTx()` is asked, so a refused option does not use up the transaction's `begin`
  const query = async <T>(sql: string, params?: unknown[], queryOptions?: QueryOptions, inTx: () => InTransaction = () => undefined) => {
    const shape = queryShape(queryOptions);
    return call<Results<T>>({ op: 'query', sql, ...(params ? { params } : {}), ...shape, ...inTx() });
  };
  const exec = async (sql: string, inTx: () => InTransaction = () => undefined) => call<Array<Results>>({ op: 'exec', sql, ...inTx() });

  const client: PgliteThreadClient = {
    ready,
    get closed() {
      return closed;
    },
    query: (sql, params, queryOptions) => query(sql, params, queryOptions),
    exec: (sql) => exec(sql),
    batch: (statements) => call({ op: 'batch', statements }),
    async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
      // No round trip to open it: the first statement carries `begin` (messages.ts).
      const id = nextId++;
      let begun = false;
      let finished = false;
      const next = (): InTransaction => {
        if (finished) throw new Error('Transaction is closed');
        if (begun) return { tx: id };
        begun = true;
        return { tx: id, begin: true };
      };
      const tx = {
        query: async <R>(sql: string, params?: unknown[], queryOptions?: QueryOptions) => query<R>(sql, params, queryOptions, next),
        exec: async (sql: string) => exec(sql, next),
        async rollback() {
          if (finished) throw new Error('Transaction is closed');
          if (begun) await call({ op: 'rollback', tx: id });
          finished = true;
        },
        sql: () => Promise.reject(new Error('tx.sql is not available on the PGlite thread; use tx.query')),
        listen: () => Promise.reject(new Error('LISTEN is not available on the PGlite thread')),
        get closed() {
          return finished;
        },
      } as unknown as Transaction;
      try {
        const result = await callback(tx);
        const rolledBack = finished;
        finished = true;
        if (begun) await call({ op: 'end', tx: id, commit: !rolledBack });
        return result;
      } catch (error) {
        finished = true;
        if (begun) await call({ op: 'end', tx: id, commit: false }).catch(() => undefined);
        throw error;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // A database that never opened has nothing to close; the thread is ended either way.
      await call({ op: 'close' }).catch(() => undefined);
      await (await starting.catch(() => undefined))?.terminate();
    },
  };
  return client;
}

/**
 * Only what crosses a thread: the row mode, and parsers that keep a type's text as PostgreSQL sent it (what Drizzle
 * asks for dates and intervals). Any other parser function cannot cross, and is refused rather than ignored.
 */
function queryShape(options: QueryOptions | undefined): Pick<Extract<PgliteRequest, { op: 'query' }>, 'rowMode' | 'rawTextTypes'> {
  if (!options) return {};
  const { rowMode, parsers, ...rest } = options;
  const unsupported = Object.keys(rest).filter((key) => (rest as Record<string, unknown>)[key] !== undefined);
  if (unsupported.length > 0) throw new Error(`query options ${unsupported.join(', ')} are not available on the PGlite thread`);
  const rawTextTypes = Object.entries(parsers ?? {}).map(([type, parse]) => {
    if (parse('\u0000probe', Number(type)) !== '\u0000probe') throw new Error(`the parser for type ${type} is not available on the PGlite thread`);
    return Number(type);
  });
  return { ...(rowMode ? { rowMode } : {}), ...(rawTextTypes.length ? { rawTextTypes } : {}) };
}
