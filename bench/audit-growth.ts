/**
 * The audit trail as it grows (issue 79 items 3 and 6), on the shipped `skyflo serve` with an admin's JWT, on PGlite
 * in a data dir and on Postgres. At each size of the trail (records signed with the engine's key and chained, written
 * before the engine starts): an audited write (PATCH /team/members role: the change and its signed record in one
 * transaction), the audit page's newest 50, the action filter over a common prefix (`chat.*`, a third of the trail)
 * and over a rare one (`auth.*`: the oldest records only), and the whole /audit/verify streamed, with the slowest
 * GET /health answered while it ran (sent every 100 ms: the engine must not stall). Prints medians, the verify's
 * time and CPU per record, and the fitted growth of each. Goals: the write and the pages flat (a page's cost is the
 * page); the verify linear, the engine answering others meanwhile.
 *   npx tsx bench/audit-growth.ts [--sizes 10000,100000] [--repeat 20] [--storage pglite|postgres] [--allow-stale-build]
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { appendAuditInBulk, createPgliteStorage, createPostgresStorage, openEmbeddedDatabase } from '@skyflo/engine/testing';
import { expectOk, failBench, machineLoad, printBenchHeader } from './support/bench-header.ts';
import { judgedOn, measureAtSizes, runOnBackends, type Backend, type Timing } from './support/backend-runs.ts';
import { checkTokens, seedBenchUsers, type BenchUser } from './support/bench-users.ts';
import { growthLine } from './support/growth.ts';
import { shippedBuild } from './support/shipped-build.ts';
import { newJwtSecret, settingsLine, startShippedServe, type ShippedServe } from './support/shipped-serve.ts';
import { median } from './support/statistics.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10000,100000' }, repeat: { type: 'string', default: '20' }, storage: { type: 'string' }, 'allow-stale-build': { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number);
const repeat = Number(values.repeat);
if (sizes.length < 2 || sizes.some((size) => !Number.isInteger(size) || size < 1000)) failBench('--sizes must be two or three whole numbers of records (1,000 or more), e.g. 10000,100000');
if (!Number.isInteger(repeat) || repeat < 3) failBench('--repeat must be a whole number, 3 or more');
if (values.storage && values.storage !== 'pglite' && values.storage !== 'postgres') failBench(`--storage must be pglite or postgres, not ${values.storage}`);
const build = shippedBuild({ allowStale: values['allow-stale-build'] });
// Set for the run (as replicas share one): the records written before the engine starts are signed with it.
const auditKey = generateKeyPairSync('ed25519').privateKey;
const env = { SKYFLO_AUDIT_SIGNING_KEY: auditKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
printBenchHeader('audit-growth', values.storage === 'postgres' ? 'Postgres' : values.storage === 'pglite' ? 'PGlite in a data dir' : 'PGlite in a data dir, then Postgres');
console.log(`  ${settingsLine({ build, env })}`);
console.log(`  sizes ${sizes.map((size) => size.toLocaleString('en-US')).join(', ')} records; ${repeat} requests per figure`);

const actions = ['chat.started', 'tool.executed', 'approval.approved'];

interface Figures {
  write: Timing;
  newest: Timing;
  commonPrefix: Timing;
  rarePrefix: Timing;
  verifyMs: number;
  verifyCpuPerRecordUs: number;
  slowestHealthMs: number;
  progressLines: number;
}

async function timed(serve: ShippedServe, work: () => Promise<void>): Promise<Timing> {
  const times: number[] = [];
  const cpuBefore = serve.cpu().cpuMs;
  for (let round = 0; round < repeat; round += 1) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return { median: median(times), fastest: Math.min(...times), cpu: (serve.cpu().cpuMs - cpuBefore) / repeat };
}

async function measure(serve: ShippedServe, admin: BenchUser, member: BenchUser, size: number): Promise<Figures> {
  const headers = { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' };
  let role = 'approver';
  const write = await timed(serve, async () => {
    await expectOk(await fetch(`${serve.api}/team/members/${member.id}`, { method: 'PATCH', headers, body: JSON.stringify({ role }) }), 'changing a role');
    role = role === 'approver' ? 'member' : 'approver';
  });
  const page = async (query: string, check: (actions: string[]) => boolean) => {
    const response = await expectOk(await fetch(`${serve.api}/audit?${query}`, { headers }), `GET /audit?${query}`);
    const data = ((await response.json()) as { data: Array<{ action: string }> }).data.map((record) => record.action);
    if (!check(data)) throw new Error(`GET /audit?${query} at ${size} records answered ${data.length} records (${[...new Set(data)].join(', ')}): not what the trail holds`);
  };
  const newest = await timed(serve, () => page('limit=50', (data) => data.length === 50));
  const commonPrefix = await timed(serve, () => page('limit=50&action=chat.*', (data) => data.length === 50 && data.every((action) => action.startsWith('chat.'))));
  const rarePrefix = await timed(serve, () => page('limit=50&action=auth.*', (data) => data.length > 0 && data.every((action) => action.startsWith('auth.'))));

  // the whole verify, streamed, while /health is asked every 100 ms
  let slowestHealthMs = 0;
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const started = performance.now();
      await expectOk(await fetch(`${serve.api}/health`), 'GET /health during the verify');
      slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const cpuBefore = serve.cpu().cpuMs;
  const started = performance.now();
  const response = await expectOk(await fetch(`${serve.api}/audit/verify?progress_every=10000`, { headers: { ...headers, accept: 'application/x-ndjson' } }), 'GET /audit/verify');
  const lines = (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as { type: string; ok?: boolean; records_checked?: number });
  const verifyMs = performance.now() - started;
  const verifyCpu = serve.cpu().cpuMs - cpuBefore;
  probing = false;
  await probe;
  const report = lines.at(-1)!;
  if (report.type !== 'report' || report.ok !== true || (report.records_checked ?? 0) < size) throw new Error(`the verify at ${size} records reported ${JSON.stringify(report).slice(0, 300)}`);
  return { write, newest, commonPrefix, rarePrefix, verifyMs, verifyCpuPerRecordUs: (verifyCpu * 1000) / report.records_checked!, slowestHealthMs, progressLines: lines.length - 1 };
}

async function measureSize(backend: 'PGlite' | 'Postgres', size: number, database?: string): Promise<Figures> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'skyflo-bench-audit-'));
  const secret = newJwtSecret();
  try {
    let users: BenchUser[];
    const seed = async (storage: Awaited<ReturnType<typeof createPgliteStorage>>, query: (text: string, params?: unknown[]) => Promise<{ rows: unknown[] }>) => {
      users = await seedBenchUsers(storage, 2, secret);
      // a few sign-ins first (the rare prefix, at the trail's start), then the bulk
      for (let index = 0; index < 5; index += 1) await storage.audit.record({ actorId: users[0]!.id, action: 'auth.login', details: { n: index } });
      await appendAuditInBulk({ query, signingKey: auditKey, count: size, record: (index) => ({ action: actions[index % actions.length]!, details: { n: index, run_id: `run_${index}`, text: 'x'.repeat(80) } }) });
    };
    if (backend === 'PGlite') {
      const embedded = await openEmbeddedDatabase(dataDir);
      const storage = await createPgliteStorage({ embedded, auditSigningKey: auditKey });
      try {
        await seed(storage, (text, params) => embedded.connection.query(text, params));
      } finally {
        await storage.close();
      }
    } else {
      const storage = await createPostgresStorage({ url: database!, auditSigningKey: auditKey });
      const client = new pg.Client({ connectionString: database });
      await client.connect();
      try {
        await seed(storage, (text, params) => client.query(text, params));
      } finally {
        await client.end();
        await storage.close();
      }
    }
    const serve = await startShippedServe({ build, dataDir, jwtSecret: secret, env, ...(database ? { postgresUrl: database } : {}) });
    try {
      await checkTokens(serve.api, users![0]!);
      const figures = await measure(serve, users![0]!, users![1]!, size);
      const show = (timing: Timing) => `${timing.median.toFixed(1)} ms (fastest ${timing.fastest.toFixed(1)}, engine CPU ${timing.cpu.toFixed(1)})`;
      console.log(
        `    ${backend} ${size.toLocaleString('en-US')} records, medians: audited write ${show(figures.write)}, newest page ${show(figures.newest)}, ` +
          `chat.* page ${show(figures.commonPrefix)}, auth.* page ${show(figures.rarePrefix)}; verify ${(figures.verifyMs / 1000).toFixed(1)} s ` +
          `(${figures.verifyCpuPerRecordUs.toFixed(0)} µs of engine CPU per record, ${figures.progressLines} progress lines), slowest /health meanwhile ${figures.slowestHealthMs.toFixed(0)} ms; ${machineLoad()}`,
      );
      return figures;
    } finally {
      await serve.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function backendRows(backend: Backend): Promise<boolean> {
  const { points } = await measureAtSizes(backend, sizes, measureSize);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const flat = { maxRatio: 2, why: 'a page costs its page, a write its record' };
  const { pick: judged, measure } = judgedOn(backend);
  const rows = [
    growthLine(`${backend} audited write, ${measure}`, points((f) => judged(f.write)), ms, flat),
    growthLine(`${backend} newest page, ${measure}`, points((f) => judged(f.newest)), ms, flat),
    growthLine(`${backend} chat.* page, ${measure}`, points((f) => judged(f.commonPrefix)), ms, flat),
    growthLine(`${backend} auth.* page (oldest records), ${measure}`, points((f) => judged(f.rarePrefix)), ms, flat),
    growthLine(`${backend} verify (whole trail)`, points((f) => f.verifyMs), (value) => `${(value / 1000).toFixed(1)} s`, { maxRatio: 1.3 * (sizes.at(-1)! / sizes[0]!), why: 'linear in the records' }),
    growthLine(`${backend} verify, engine CPU per record`, points((f) => f.verifyCpuPerRecordUs), (value) => `${value.toFixed(0)} µs`),
    growthLine(`${backend} slowest /health during the verify`, points((f) => f.slowestHealthMs), ms),
  ];
  console.log(`  ${backend}: growth; ${machineLoad()}`);
  for (const row of rows) console.log(row.line);
  return rows.every((row) => row.met);
}

await runOnBackends(values.storage, backendRows);
