/**
 * What one audit append costs, before and after issue 32.2/38.5: "before" is the previous append (a transaction of four
 * round trips: BEGIN + advisory lock, read the head and the next sequence, INSERT, COMMIT), replayed here on the same
 * database; "after" is the storage's append (one INSERT … SELECT that links the record from the head row and carries
 * the engine's signature). Also a decision: before, the approval UPDATE and then its append; after, one statement.
 *
 * On PGlite in a data dir (its own thread, as `skyflo serve` runs) and on Postgres: sequential appends (latency) and,
 * on Postgres, concurrent appends from two storages (two replicas) (throughput). Prints each figure and after/before.
 *
 *   npx tsx bench/audit-append.ts [--appends 400] [--writers 8] [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createPgliteStorage, createPostgresStorage } from '@skyflo/engine/testing';
import type { PlatformStorage } from '@skyflo/engine';
import { openEmbeddedDatabase } from '../packages/engine/src/storage/embedded-database.ts';
import { machineLoad } from './support/bench-header.ts';

const { values } = parseArgs({
  options: {
    appends: { type: 'string', default: '400' },
    writers: { type: 'string', default: '8' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const appends = Number(values.appends);
const writers = Number(values.writers);
const auditSigningKey = generateKeyPairSync('ed25519').privateKey;

/** One raw connection's query and transaction, whatever the driver. */
interface Raw {
  query(text: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  transaction<T>(work: (tx: { query: Raw['query'] }) => Promise<T>): Promise<T>;
}

/** The append as it was: advisory lock, head and sequence, INSERT with the hash computed here, in one transaction. */
async function appendBefore(raw: Raw, n: number): Promise<void> {
  await raw.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7265005)');
    const { rows } = await tx.query(`SELECT (SELECT hash FROM audit_events ORDER BY sequence DESC LIMIT 1) AS hash, nextval(pg_get_serial_sequence('audit_events', 'sequence')) AS sequence`);
    const prev = (rows[0]!['hash'] as string | null) ?? '0'.repeat(64);
    const details = { run_id: randomUUID(), call_id: `call_${n}`, tool: 'k8s_scale' };
    const hash = createHash('sha256').update(prev + JSON.stringify(details)).digest('hex');
    await tx.query('INSERT INTO audit_events (id, sequence, action, tool, subject_type, subject_id, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)', [
      randomUUID(), rows[0]!['sequence'], 'bench.before', 'k8s_scale', 'tool_call', `call_${n}`, JSON.stringify(details), prev, hash,
    ]);
  });
}

const appendAfter = (storage: PlatformStorage, n: number) =>
  storage.audit.record({ action: 'bench.after', tool: 'k8s_scale', subjectType: 'tool_call', subjectId: `call_${n}`, details: { run_id: randomUUID(), call_id: `call_${n}`, tool: 'k8s_scale' } });

async function timed(count: number, concurrency: number, work: (n: number) => Promise<unknown>): Promise<{ perOpMs: number; perSecond: number }> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
  const ms = performance.now() - started;
  return { perOpMs: ms / count, perSecond: (count / ms) * 1000 };
}

/** Awaiting approvals to decide: n rows in one conversation. */
async function seedApprovals(storage: PlatformStorage, count: number): Promise<{ conversationId: string; userId: string }> {
  const created = await storage.users.create({ email: `bench-${randomUUID()}@example.test`, hashedPassword: 'h', allowWhenUsersExist: true });
  if (!created.ok) throw new Error('user');
  const { id: conversationId } = await storage.conversations.create({ userId: created.user.id });
  for (let n = 0; n < count; n++) {
    await storage.approvals.request({ conversationId, callId: `call_${n}`, runId: 'run', tool: 'k8s_scale', args: { replicas: n }, argsHash: 'h', resolution: [], risks: [], destructive: false, requestedBy: created.user.id });
  }
  return { conversationId, userId: created.user.id };
}

const line = (label: string, before: number, after: number, unit: string) =>
  console.log(`  ${label.padEnd(44)} before ${before.toFixed(2).padStart(8)} ${unit}   after ${after.toFixed(2).padStart(8)} ${unit}   after/before ${(after / before).toFixed(2)}`);

async function measure(name: string, storage: PlatformStorage, raw: Raw, second?: { storage: PlatformStorage; raw: Raw }): Promise<void> {
  console.log(`${name}:`);
  // warm-up of both paths (statement caches, the thread)
  for (let n = 0; n < 20; n++) {
    await appendBefore(raw, n);
    await appendAfter(storage, n);
  }
  const before = await timed(appends, 1, (n) => appendBefore(raw, n));
  const after = await timed(appends, 1, (n) => appendAfter(storage, n));
  line(`sequential append (${appends})`, before.perOpMs, after.perOpMs, 'ms');

  const { conversationId, userId } = await seedApprovals(storage, appends * 2);
  const decide = (n: number, audit: boolean) =>
    storage.approvals.decide({
      conversationId, callId: `call_${n}`, approve: true, decidedBy: userId, decisionRunId: randomUUID(),
      ...(audit ? { audit: { actorId: userId, action: 'approval.approved', subjectType: 'tool_call', subjectId: `call_${n}`, details: { n } } } : {}),
    });
  // before: the decision, then its append (as the engine did: a separate transaction after the UPDATE)
  const decideBefore = await timed(appends, 1, async (n) => {
    await decide(n, false);
    await appendBefore(raw, n);
  });
  const decideAfter = await timed(appends, 1, (n) => decide(appends + n, true));
  line(`decision with its record (${appends})`, decideBefore.perOpMs, decideAfter.perOpMs, 'ms');

  if (second) {
    const raws = [raw, second.raw];
    const storages = [storage, second.storage];
    const beforeC = await timed(appends, writers, (n) => appendBefore(raws[n % 2]!, n));
    const afterC = await timed(appends, writers, (n) => appendAfter(storages[n % 2]!, n));
    line(`${writers} concurrent writers, 2 replicas`, beforeC.perSecond, afterC.perSecond, '/s');
  }
}

console.log(`audit-append: ${machineLoad()}`);

// PGlite in a data dir, on its own thread
{
  const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-bench-audit-'));
  const embedded = await openEmbeddedDatabase(dataDir);
  const storage = await createPgliteStorage({ embedded, auditSigningKey });
  const connection = embedded.connection as unknown as Raw;
  try {
    await measure('PGlite in a data dir', storage, connection);
  } finally {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Postgres, a fresh database, two storages standing in for two replicas
{
  const name = `skyflo_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: values['postgres-url'] });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(values['postgres-url']);
  url.pathname = `/${name}`;
  const storages = [await createPostgresStorage({ url: url.toString(), auditSigningKey }), await createPostgresStorage({ url: url.toString(), auditSigningKey })];
  const pools = storages.map(() => new pg.Pool({ connectionString: url.toString(), max: 10 }));
  const rawOf = (pool: pg.Pool): Raw => ({
    query: (text, params) => pool.query(text, params),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({ query: (text, params) => client.query(text, params) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  });
  try {
    await measure('Postgres on 127.0.0.1:5432', storages[0]!, rawOf(pools[0]!), { storage: storages[1]!, raw: rawOf(pools[1]!) });
  } finally {
    for (const pool of pools) await pool.end();
    for (const storage of storages) await storage.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
