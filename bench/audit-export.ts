/**
 * GET /audit/export: memory and throughput of streaming 100,000 audit records (jsonl and csv) over real HTTP,
 * against a baseline measured in the same run — the same export of 1,000 records — and against reading every record
 * into memory at once (what the streaming export avoids). Constant memory shows as a peak-heap ratio near 1 while
 * the record count grows 100×.
 *
 * Also: appending to the chain (sha-256, advisory lock, one transaction per record) against a plain INSERT of the same
 * row, and re-walking the chain with /audit/verify.
 *
 *   npx tsx bench/audit-export.ts [--records 100000] [--baseline 1000] [--batch 500] [--appends 2000] [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 * With --postgres-url (a role that may create databases) each case runs in a fresh database, dropped afterwards.
 */
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import Fastify from 'fastify';
import { auditRoutes, createPgliteStorage, createPostgresStorage, registerAuthenticate, registerErrorHandler } from '@skyflo/engine/testing';
import type { PlatformStorage } from '@skyflo/engine';
import { machineLoad } from './support/bench-header.ts';
import { testDatabaseName } from '@skyflo/testkit/services';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    baseline: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '500' },
    'postgres-url': { type: 'string' },
    appends: { type: 'string', default: '2000' },
  },
});
const records = Number(values.records);
const baseline = Number(values.baseline);
const batchSize = Number(values.batch);

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** Samples the JS heap while `work` runs; returns the peak above the level before it started. */
async function peakHeapDuring<T>(work: () => Promise<T>): Promise<{ result: T; peakBytes: number; seconds: number }> {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const started = performance.now();
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { result, peakBytes: Math.max(0, peak - before), seconds: (performance.now() - started) / 1000 };
  } finally {
    clearInterval(sampler);
  }
}

/** Inserts `count` records shaped like real ones (a tool call with arguments and a diff) with one SQL statement. */
async function seed(storage: PlatformStorage, query: (text: string) => Promise<unknown>, count: number): Promise<void> {
  await query(
    `INSERT INTO audit_events (action, actor_id, tool, conversation_id, subject_type, subject_id, details, ip)
     SELECT 'tool.proposed', gen_random_uuid(), 'k8s_scale', gen_random_uuid(), 'tool_call', 'call_' || n,
            jsonb_build_object('args', jsonb_build_object('name', 'web-' || n, 'replicas', n % 10), 'args_hash', md5(n::text) || md5((n + 1)::text),
                               'diff', '--- live\n+++ proposed\n@@ spec.replicas @@\n-  replicas: 2\n+  replicas: ' || (n % 10), 'policy_reason', 'k8s_scale is not read-only'),
            '10.0.0.' || (n % 250)
     FROM generate_series(1, ${count}) AS n`,
  );
  await storage.audit.record({ action: 'bench.seeded', details: { count } });
}

async function open(): Promise<{ storage: PlatformStorage; query(text: string): Promise<unknown>; close(): Promise<void>; backend: string }> {
  if (values['postgres-url']) {
    // A fresh database per case (the trail cannot be emptied: TRUNCATE is refused), dropped afterwards.
    const pg = (await import('pg')).default;
    const name = testDatabaseName('bench_audit');
    const admin = new pg.Client({ connectionString: values['postgres-url'] });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(values['postgres-url']);
    url.pathname = `/${name}`;
    const storage = await createPostgresStorage({ url: url.toString() });
    const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
    // An idle client dropped by the server must not crash the bench; the pool replaces it.
    pool.on('error', () => undefined);
    return {
      storage,
      backend: 'postgres',
      query: (text) => pool.query(text),
      close: async () => {
        await pool.end();
        await storage.close();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const lite = new PGlite();
  await lite.waitReady;
  const storage = await createPgliteStorage({ lite });
  return { storage, backend: 'pglite', query: (text) => lite.query(text), close: async () => { await storage.close(); await lite.close(); } };
}

/** Downloads an export and counts its lines without keeping it (what a client writing to a file does). */
async function download(base: string, query: string): Promise<{ lines: number; bytes: number }> {
  const response = await fetch(`${base}/audit/export?${query}`, { headers: { authorization: 'Bearer bench' } });
  if (!response.ok || !response.body) throw new Error(`export answered ${response.status}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (const byte of chunk) if (byte === 10) lines += 1;
  }
  return { lines, bytes };
}

interface Row {
  case: string;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  peakHeapMiB: string;
}

const rows: Row[] = [];
for (const [label, count] of [
  ['baseline', baseline],
  ['large', records],
] as const) {
  const database = await open();
  await seed(database.storage, database.query, count);
  const app = Fastify();
  registerErrorHandler(app, { bodyLimit: 1_000_000 });
  registerAuthenticate(app, async () => ({ id: '00000000-0000-4000-8000-000000000001', email: 'bench@example.com', role: 'admin' }));
  await app.register(auditRoutes, { audit: database.storage.audit, exportBatchSize: batchSize });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    // Warm-up (JIT, first queries), so the baseline measures the export, not the start-up.
    for (const format of ['jsonl', 'csv'] as const) await download(base, `format=${format}&action=tool.proposed`);
    for (const format of ['jsonl', 'csv'] as const) {
      const measured = await peakHeapDuring(() => download(base, `format=${format}&action=tool.proposed`));
      const expectedLines = format === 'csv' ? count + 1 : count;
      if (measured.result.lines !== expectedLines) throw new Error(`${format}: ${measured.result.lines} lines, expected ${expectedLines}`);
      rows.push({ case: `${label} ${format} (streamed)`, records: count, seconds: Number(measured.seconds.toFixed(2)), recordsPerSecond: Math.round(count / measured.seconds), peakHeapMiB: mib(measured.peakBytes) });
    }
    // What the streaming export avoids: every matching record in memory at once.
    const all = await peakHeapDuring(async () => {
      const page = await database.storage.audit.page({ limit: count + 10, action: 'tool.proposed' });
      return page.items.length;
    });
    rows.push({ case: `${label} read all at once`, records: all.result, seconds: Number(all.seconds.toFixed(2)), recordsPerSecond: Math.round(all.result / all.seconds), peakHeapMiB: mib(all.peakBytes) });
  } finally {
    await app.close();
    await database.close();
  }
}

console.log(`audit export: storage ${values['postgres-url'] ? 'Postgres (a fresh database per case)' : 'PGlite in memory (pass --postgres-url for the Postgres row)'}; ${machineLoad()}; batch ${batchSize}, node ${process.version}${global.gc ? '' : ' (run with --expose-gc for steadier heap figures)'}`);
console.table(rows);
const find = (name: string) => rows.find((row) => row.case === name)!;
// The baseline's heap figure is the larger of its two formats: a garbage collection during one small export can
// make its peak look smaller than the steady per-batch working set.
const baselinePeak = Math.max(0.1, Number(find('baseline jsonl (streamed)').peakHeapMiB), Number(find('baseline csv (streamed)').peakHeapMiB));
for (const format of ['jsonl', 'csv']) {
  const small = find(`baseline ${format} (streamed)`);
  const large = find(`large ${format} (streamed)`);
  console.log(
    `${format}: ${records / baseline}× the records → peak heap ${large.peakHeapMiB} MiB = ×${(Number(large.peakHeapMiB) / baselinePeak).toFixed(2)} the baseline's ${baselinePeak} MiB; throughput ×${(large.recordsPerSecond / small.recordsPerSecond).toFixed(2)} of the baseline`,
  );
}
console.log(`reading all ${records} records at once instead: peak heap ×${(Number(find('large read all at once').peakHeapMiB) / Math.max(0.1, Number(find('large jsonl (streamed)').peakHeapMiB))).toFixed(1)} the streamed export's`);

// ---- appends and verification ----
{
  const appends = Number(values.appends);
  const database = await open();
  try {
    const details = { args: { name: 'web', replicas: 3 }, policy_reason: 'k8s_scale is not read-only' };
    let started = performance.now();
    for (let index = 0; index < appends; index += 1) {
      await database.query(`INSERT INTO audit_events (action, tool, details) VALUES ('bench.plain', 'k8s_scale', '${JSON.stringify({ ...details, index })}'::jsonb)`);
    }
    const plainPerSecond = appends / ((performance.now() - started) / 1000);
    // The plain rows have no hash: they would be "legacy" rows; the chained appends below start the chain after them.
    started = performance.now();
    for (let index = 0; index < appends; index += 1) await database.storage.audit.record({ action: 'bench.chained', tool: 'k8s_scale', details: { ...details, index } });
    const chainedPerSecond = appends / ((performance.now() - started) / 1000);
    started = performance.now();
    await Promise.all(Array.from({ length: appends }, (_, index) => database.storage.audit.record({ action: 'bench.concurrent', tool: 'k8s_scale', details: { ...details, index } })));
    const concurrentPerSecond = appends / ((performance.now() - started) / 1000);
    started = performance.now();
    const report = await database.storage.audit.verify();
    const verifySeconds = (performance.now() - started) / 1000;
    if (!report.ok || report.recordsChecked !== 2 * appends) throw new Error(`verify: ${JSON.stringify(report)}`);
    console.table([
      { case: 'plain INSERT, one at a time (baseline)', recordsPerSecond: Math.round(plainPerSecond) },
      { case: 'chained append, one at a time', recordsPerSecond: Math.round(chainedPerSecond) },
      { case: `chained append, ${appends} at once`, recordsPerSecond: Math.round(concurrentPerSecond) },
      { case: 'verify (re-walk the chain)', recordsPerSecond: Math.round(report.recordsChecked / verifySeconds) },
    ]);
    console.log(`chained append: ×${(chainedPerSecond / plainPerSecond).toFixed(2)} the throughput of a plain INSERT (hash + advisory lock + transaction); verify ${report.recordsChecked} records in ${verifySeconds.toFixed(2)} s`);
  } finally {
    await database.close();
  }
}
