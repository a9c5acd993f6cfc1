/**
 * The floor under `skyflo serve`'s cold start on PGlite (bench/release-start.ts): a bare Node process that opens
 * PGlite on a fresh copy of the template (copied before it starts: the engine's copy runs beside PostgreSQL's start
 * and is done long before PostgreSQL reads it) the way the engine's PGlite thread does at its quickest (the library's
 * import and the compile of PostgreSQL's WebAssembly at once; the engine's start parameters and V8 flag), answers one
 * query, prints `ready` and exits. Plain JavaScript run by `node` itself, as the compiled release is, so that neither
 * start pays tsx's loader; no thread, no engine: what is left is PGlite's own start.
 *
 *   node bench/support/pglite-open-floor.mjs <the copy's dir> '<start parameters as JSON>'
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';

const [databaseDir, startParamsJson] = process.argv.slice(2);
if (!databaseDir || !startParamsJson) {
  process.stderr.write('usage: node pglite-open-floor.mjs <a fresh copy of the template database> <start params JSON>\n');
  process.exit(2);
}

// as the engine's PGlite thread sets it (storage/pglite-thread/pglite-thread-worker.ts), before the compile
setFlagsFromString('--liftoff-only');
const wasmFile = path.join(path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), 'pglite.wasm');
const [{ PGlite }, { NodeFS }, pgliteWasmModule] = await Promise.all([
  import('@electric-sql/pglite'),
  import('@electric-sql/pglite/nodefs'),
  readFile(wasmFile).then((bytes) => WebAssembly.compile(bytes)),
]);

const lite = new PGlite({ fs: new NodeFS(databaseDir), startParams: JSON.parse(startParamsJson), pgliteWasmModule });
const { rows } = await lite.query('select 1 as one');
if (rows[0]?.one !== 1) throw new Error(`PGlite answered ${JSON.stringify(rows)} to select 1`);
process.stdout.write('ready\n');
await lite.close();
