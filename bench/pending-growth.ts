/**
 * The approval queue as it grows (issue 79 items 2 and 6): GET /approvals/pending on the shipped `skyflo serve`, with
 * real JWTs, on PGlite in a data dir and on Postgres, at each size of the queue (calls awaiting a decision, written
 * before the engine starts, over many conversations of several members). Per size: an approver's first page (the
 * oldest 50, with the total), a page deep in the queue (from a cursor the engine handed out: the walk to it is not
 * timed), a member's own calls (a tenth of the queue) and one conversation's calls (what a chat's cards ask). Every
 * answer is checked: a full page, the right total. Workspace setting for the run: APPROVAL_POLICY=approver (the
 * approvers' queue, where the queue grows). Goal: a page's cost does not grow with the queue (the total is a count,
 * linear but cheap: its share is printed).
 *   npx tsx bench/pending-growth.ts [--sizes 1000,10000,100000] [--repeat 20] [--storage pglite|postgres] [--allow-stale-build]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createPgliteStorage, createPostgresStorage, openEmbeddedDatabase } from '@skyflo/engine/testing';
import { expectOk, failBench, machineLoad, printBenchHeader } from './support/bench-header.ts';
import { judgedOn, measureAtSizes, runOnBackends, type Backend, type Timing } from './support/backend-runs.ts';
import { checkTokens, seedBenchUsers, type BenchUser } from './support/bench-users.ts';
import { growthLine } from './support/growth.ts';
import { shippedBuild } from './support/shipped-build.ts';
import { newJwtSecret, settingsLine, startShippedServe, type ShippedServe } from './support/shipped-serve.ts';
import { median } from './support/statistics.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1000,10000,100000' }, repeat: { type: 'string', default: '20' }, storage: { type: 'string' }, 'allow-stale-build': { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number);
const repeat = Number(values.repeat);
if (sizes.length < 2 || sizes.some((size) => !Number.isInteger(size) || size < 500)) failBench('--sizes must be two or three whole numbers of waiting calls (500 or more), e.g. 1000,10000,100000');
if (!Number.isInteger(repeat) || repeat < 3) failBench('--repeat must be a whole number, 3 or more');
if (values.storage && values.storage !== 'pglite' && values.storage !== 'postgres') failBench(`--storage must be pglite or postgres, not ${values.storage}`);
const build = shippedBuild({ allowStale: values['allow-stale-build'] });
const env = { APPROVAL_POLICY: 'approver' };
printBenchHeader('pending-growth', values.storage === 'postgres' ? 'Postgres' : values.storage === 'pglite' ? 'PGlite in a data dir' : 'PGlite in a data dir, then Postgres');
console.log(`  ${settingsLine({ build, env })}`);
console.log(`  sizes ${sizes.map((size) => size.toLocaleString('en-US')).join(', ')} calls waiting; ${repeat} requests per figure`);

type Query = (text: string, params?: unknown[]) => Promise<{ rows: unknown[] }>;
const members = 10;
const callsPerConversation = 5;

/** `size` awaiting calls, five per conversation, the conversations spread over the members in turn. */
async function seedQueue(query: Query, users: BenchUser[], size: number): Promise<void> {
  const owners = users.slice(1).map((user) => user.id);
  await query(
    `INSERT INTO conversations (id, user_id, title) SELECT gen_random_uuid(), ($1::uuid[])[1 + i % ${owners.length}], 'Scale web ' || i FROM generate_series(0, ${Math.ceil(size / callsPerConversation) - 1}) AS i`,
    [owners],
  );
  await query(
    `INSERT INTO approvals (conversation_id, call_id, run_id, tool, args, args_hash, requested_by, requested_at, policy_reason)
     SELECT c.id, 'call_' || c.id || '_' || n, 'run_' || c.id, 'k8s_scale',
            jsonb_build_object('name', 'web-' || n, 'namespace', 'shop', 'resource_type', 'deployment', 'replicas', 3),
            md5(c.id::text || n) || md5(n || c.id::text), c.user_id, now() - ((row_number() OVER ()) || ' milliseconds')::interval, 'k8s_scale changes the cluster'
     FROM conversations c, generate_series(1, ${callsPerConversation}) AS n`,
  );
}

interface Figures {
  firstPage: Timing;
  deepPage: Timing;
  member: Timing;
  conversation: Timing;
}

async function measure(serve: ShippedServe, users: BenchUser[], size: number, conversationId: string): Promise<Figures> {
  const get = async (user: BenchUser, query: string) => {
    const response = await expectOk(await fetch(`${serve.api}/approvals/pending?${query}`, { headers: { authorization: `Bearer ${user.token}` } }), `GET /approvals/pending?${query}`);
    return (await response.json()) as { data: unknown[]; total: number; next_cursor: string | null };
  };
  const timed = async (user: BenchUser, query: string, check: (answer: { data: unknown[]; total: number }) => boolean): Promise<Timing> => {
    const times: number[] = [];
    const cpuBefore = serve.cpu().cpuMs;
    for (let round = 0; round < repeat; round += 1) {
      const started = performance.now();
      const answer = await get(user, query);
      times.push(performance.now() - started);
      if (!check(answer)) throw new Error(`GET /approvals/pending?${query} at ${size} calls answered ${answer.data.length} calls of ${answer.total}: not what the queue holds`);
    }
    return { median: median(times), fastest: Math.min(...times), cpu: (serve.cpu().cpuMs - cpuBefore) / repeat };
  };
  const admin = users[0]!;
  const firstPage = await timed(admin, 'limit=50', (answer) => answer.data.length === 50 && answer.total === size);
  // a cursor deep in the queue: follow the pages (200 at a time) to the last fifth; the walk is not timed
  let cursor: string | null = null;
  for (let seen = 0; seen < size * 0.8; seen += 200) cursor = (await get(admin, `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).next_cursor;
  if (!cursor) throw new Error('the queue answered no cursor before its last fifth');
  const deepPage = await timed(admin, `limit=50&cursor=${encodeURIComponent(cursor)}`, (answer) => answer.data.length === 50 && answer.total === size);
  const memberShare = Math.ceil(size / callsPerConversation / members) * callsPerConversation;
  const member = await timed(users[1]!, 'limit=50', (answer) => answer.data.length === 50 && Math.abs(answer.total - memberShare) <= callsPerConversation);
  const conversation = await timed(users[1]!, `conversation_id=${conversationId}&limit=200`, (answer) => answer.data.length === callsPerConversation && answer.total === callsPerConversation);
  return { firstPage, deepPage, member, conversation };
}

async function measureSize(backend: 'PGlite' | 'Postgres', size: number, database?: string): Promise<Figures> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'skyflo-bench-pending-'));
  const secret = newJwtSecret();
  try {
    let users: BenchUser[] = [];
    let conversationId = '';
    const seed = async (storage: Awaited<ReturnType<typeof createPgliteStorage>>, query: Query) => {
      users = await seedBenchUsers(storage, members + 1, secret);
      await seedQueue(query, users, size);
      // the member's newest conversation: the one whose cards ask
      conversationId = ((await query(`SELECT c.id FROM conversations c WHERE c.user_id = $1 ORDER BY c.created_at DESC, c.id LIMIT 1`, [users[1]!.id])).rows[0] as { id: string }).id;
    };
    if (backend === 'PGlite') {
      const embedded = await openEmbeddedDatabase(dataDir);
      const storage = await createPgliteStorage({ embedded });
      try {
        await seed(storage, (text, params) => embedded.connection.query(text, params));
      } finally {
        await storage.close();
      }
    } else {
      const storage = await createPostgresStorage({ url: database! });
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
      await checkTokens(serve.api, users[0]!);
      const figures = await measure(serve, users, size, conversationId);
      const show = (timing: Timing) => `${timing.median.toFixed(1)} ms (fastest ${timing.fastest.toFixed(1)}, engine CPU ${timing.cpu.toFixed(1)})`;
      console.log(
        `    ${backend} ${size.toLocaleString('en-US')} waiting, medians: first page ${show(figures.firstPage)}, a page in the last fifth ${show(figures.deepPage)}, ` +
          `a member's own ${show(figures.member)}, one conversation's ${show(figures.conversation)}; each with the total; ${machineLoad()}`,
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
  const goal = { maxRatio: 3, why: 'a page costs its page; the total, a count, is the part that grows' };
  const { pick: judged, measure } = judgedOn(backend);
  const rows = [
    growthLine(`${backend} first page, ${measure}`, points((f) => judged(f.firstPage)), ms, goal),
    growthLine(`${backend} a page in the last fifth, ${measure}`, points((f) => judged(f.deepPage)), ms, goal),
    growthLine(`${backend} a member's own, ${measure}`, points((f) => judged(f.member)), ms, goal),
    growthLine(`${backend} one conversation's, ${measure}`, points((f) => judged(f.conversation)), ms, { maxRatio: 2, why: 'five calls, whatever the queue' }),
    growthLine(`${backend} first page, median answer`, points((f) => f.firstPage.median), ms),
  ];
  console.log(`  ${backend}: growth; ${machineLoad()}`);
  for (const row of rows) console.log(row.line);
  return rows.every((row) => row.met);
}

await runOnBackends(values.storage, backendRows);
