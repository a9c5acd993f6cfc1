/**
 * What one audit append costs, before and after issue 32.2/38.5: "before" is the previous append (a transaction of
 * BEGIN, advisory lock, read the head and the next sequence, INSERT, COMMIT), replayed here through Drizzle on the
 * same database as the engine ran it; "after" is the storage's append (one INSERT … SELECT that links the record from the head row and carries
 * the engine's signature). Also a decision: before, the approval UPDATE and then its append; after, one statement.
 *
 * On PGlite in a data dir (its own thread, as `skyflo serve` runs) and on Postgres: sequential appends (latency) and,
 * on Postgres, concurrent appends from two storages (two replicas) (throughput). Prints each figure and after/before.
 *
 *   npx tsx bench/audit-append.ts [--appends 400] [--writers 8] [--postgres-url <admin URL; default TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres>]
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { auditEvents, createPgliteStorage, createPostgresStorage, GENESIS_HASH, hashAuditRecord, openEmbeddedDatabase, schema, type SkyfloDatabase } from '@skyflo/engine/testing';
import type { PlatformStorage } from '@skyflo/engine';
import { machineLoad } from './support/bench-header.ts';
import { testDatabaseName, testPostgresAdminUrl } from '@skyflo/testkit/services';

const { values } = parseArgs({
  options: {
    appends: { type: 'string', default: '400' },
    writers: { type: 'string', default: '8' },
    'postgres-url': { type: 'string', default: testPostgresAdminUrl() },
  },
});
const appends = Number(values.appends);
const writers = Number(values.writers);
const auditSigningKey = generateKeyPairSync('ed25519').privateKey;

/** The append as it was (main before issue 32.2), through Drizzle as the engine ran it: in one transaction, the
 * advisory lock, the head and the next sequence, then the INSERT with the hash computed here. */
async function appendBefore(db: SkyfloDatabase, n: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(7265005)`);
    const result = await tx.execute(sql`SELECT (SELECT hash FROM audit_events ORDER BY sequence DESC LIMIT 1) AS hash, nextval(pg_get_serial_sequence('audit_events', 'sequence')) AS sequence`);
    const rows = ((result as unknown as { rows?: Array<{ hash: string | null; sequence: string | number }> }).rows ?? (result as unknown as Array<{ hash: string | null; sequence: string | number }>));
    const prevHash = rows[0]!.hash ?? GENESIS_HASH;
    const fields = { id: randomUUID(), sequence: Number(rows[0]!.sequence), at: new Date(), actorId: null, action: 'bench.before', conversationId: null, tool: 'k8s_scale', subjectType: 'tool_call', subjectId: `call_${n}`, details: { run_id: randomUUID(), call_id: `call_${n}`, tool: 'k8s_scale' }, ip: null };
    await tx.insert(auditEvents).values({ ...fields, prevHash, hash: hashAuditRecord(fields, prevHash) });
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

async function measure(name: string, storage: PlatformStorage, raw: SkyfloDatabase, second?: { storage: PlatformStorage; raw: SkyfloDatabase }): Promise<void> {
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
  const connection = drizzlePglite(embedded.connection as unknown as PGlite, { schema }) as unknown as SkyfloDatabase;
  try {
    await measure('PGlite in a data dir', storage, connection);
  } finally {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Postgres, a fresh database, two storages standing in for two replicas
{
  const name = testDatabaseName('bench');
  const admin = new pg.Client({ connectionString: values['postgres-url'] });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(values['postgres-url']);
  url.pathname = `/${name}`;
  const storages = [await createPostgresStorage({ url: url.toString(), auditSigningKey }), await createPostgresStorage({ url: url.toString(), auditSigningKey })];
  const pools = storages.map(() => new pg.Pool({ connectionString: url.toString(), max: 10 }));
  const rawOf = (pool: pg.Pool) => drizzleNodePostgres(pool, { schema }) as unknown as SkyfloDatabase;
  try {
    await measure('Postgres on 127.0.0.1:5432', storages[0]!, rawOf(pools[0]!), { storage: storages[1]!, raw: rawOf(pools[1]!) });
  } finally {
    for (const pool of pools) await pool.end();
    for (const storage of storages) await storage.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
