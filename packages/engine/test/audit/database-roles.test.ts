/**
 * Issue 19 item 12: the audit trail cannot be rewritten by the engine's own database login. On real Postgres, with
 * an owner role (POSTGRES_MIGRATION_URL) and a serving role (POSTGRES_DATABASE_URL): the attack from the issue
 * (disable the triggers, change an approval's actor, recompute the chain) fails for the serving role with a
 * permission error; done by the owner, it passes a plain verify but a signed head published earlier (log line,
 * GET /audit/head) exposes it.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPasswordHasher } from '../../src/app/accounts/password-hasher.ts';
import { chainHashOf, GENESIS_HASH } from '../../src/domain/audit/audit-chain.ts';
import { loadConfig } from '../../src/platform/config/index.ts';
import { createEngine, type Engine } from '../../src/create-engine.ts';
import type { EngineStorage } from '../../src/app/graph/checkpoints.ts';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.ts';
import { createTestPostgresDatabase } from '../support/test-databases.ts';
import { testDatabaseName, testPostgresAdminUrl, testPostgresUrl } from '@skyflo/testkit/services';

const adminUrl = testPostgresAdminUrl();
const suffix = randomBytes(5).toString('hex');
const ownerRole = `skyflo_owner_${suffix}`;
const servingRole = `skyflo_app_${suffix}`;
const database = testDatabaseName('roles');
const urlOf = (role: string) => testPostgresUrl(database, { user: role });

async function asAdmin(statements: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const statement of statements) await admin.query(statement);
  } finally {
    await admin.end();
  }
}

/** One connection as `role`, for the attacker's SQL. */
async function connectAs(role: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: urlOf(role) });
  await client.connect();
  return client;
}

type AuditRow = { id: string; sequence: string; at: Date; actor_id: string | null; action: string; conversation_id: string | null; tool: string | null; subject_type: string | null; subject_id: string | null; details: Record<string, unknown>; ip: string | null };

/** What an attacker with the table's ownership does after editing rows: recompute every hash, so the chain links again. */
async function recomputeChain(client: pg.Client): Promise<void> {
  const { rows } = await client.query<AuditRow>('SELECT * FROM audit_events WHERE hash IS NOT NULL ORDER BY sequence');
  const { rows: [head] } = await client.query<{ signed_from: string }>('SELECT signed_from FROM audit_chain_head');
  let previous = GENESIS_HASH;
  for (const row of rows) {
    const hash = chainHashOf(
      { id: row.id, sequence: Number(row.sequence), at: row.at, actorId: row.actor_id, action: row.action, conversationId: row.conversation_id, tool: row.tool, subjectType: row.subject_type, subjectId: row.subject_id, details: row.details, ip: row.ip },
      previous,
      Number(head!.signed_from),
    );
    await client.query('UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE id = $3', [previous, hash, row.id]);
    previous = hash;
  }
  await client.query('UPDATE audit_chain_head SET hash = $1', [previous]);
}

let storage: EngineStorage;
let dataDir: string;
/** The engine's audit key: the storage signs records with it, the engine signs chain heads with it (SKYFLO_AUDIT_SIGNING_KEY). */
const auditKey = generateKeyPairSync('ed25519').privateKey;
const auditKeyPem = auditKey.export({ type: 'pkcs8', format: 'pem' }).toString();

beforeAll(async () => {
  // Trust auth on 127.0.0.1: the roles log in without passwords; the database belongs to the owner role.
  await asAdmin([`CREATE ROLE ${ownerRole} LOGIN`, `CREATE ROLE ${servingRole} LOGIN`, `CREATE DATABASE ${database} OWNER ${ownerRole}`]);
  dataDir = await mkdtemp(path.join(tmpdir(), 'skyflo-audit-roles-'));
  storage = await createPostgresStorage({ url: urlOf(servingRole), migrationUrl: urlOf(ownerRole), poolSize: 3, auditSigningKey: auditKey });
}, 60_000);

afterAll(async () => {
  await storage?.close();
  await asAdmin([`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, `DROP ROLE IF EXISTS ${servingRole}`, `DROP ROLE IF EXISTS ${ownerRole}`]);
  await rm(dataDir, { recursive: true, force: true });
});

describe('two database roles', () => {
  it('the serving role writes the audit trail but cannot disable its triggers, update, delete or truncate it', async () => {
    const approver = await storage.users.create({ email: `approver-${suffix}@example.test`, hashedPassword: 'x', allowWhenUsersExist: true });
    const other = await storage.users.create({ email: `other-${suffix}@example.test`, hashedPassword: 'x', allowWhenUsersExist: true });
    if (!approver.ok || !other.ok) throw new Error('users not created');
    // The engine's own path (serving role): appending works.
    await storage.audit.record({ actorId: approver.user.id, action: 'approval.approved', subjectType: 'tool_call', subjectId: 'call_scale', details: { tool: 'k8s_scale' } });

    const attacker = await connectAs(servingRole);
    try {
      await expect(attacker.query('ALTER TABLE audit_events DISABLE TRIGGER USER')).rejects.toThrow(/must be owner of table audit_events/);
      await expect(attacker.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete')).rejects.toThrow(/must be owner of table audit_events/);
      await expect(attacker.query('UPDATE audit_events SET actor_id = $1 WHERE action = $2', [other.user.id, 'approval.approved'])).rejects.toThrow(/permission denied for table audit_events/);
      await expect(attacker.query('DELETE FROM audit_events')).rejects.toThrow(/permission denied for table audit_events/);
      await expect(attacker.query('TRUNCATE audit_events')).rejects.toThrow(/permission denied for table audit_events/);
      await expect(attacker.query('DROP TABLE audit_events')).rejects.toThrow(/must be owner of table audit_events/);
      const { rows } = await attacker.query<{ actor_id: string }>('SELECT actor_id FROM audit_events WHERE action = $1', ['approval.approved']);
      expect(rows.map((row) => row.actor_id)).toEqual([approver.user.id]);
    } finally {
      await attacker.end();
    }
    expect(await storage.audit.verify()).toMatchObject({ ok: true });
  });

  it('the serving role still uses the other tables (users, runs, checkpoints) as before', async () => {
    const created = await storage.users.create({ email: `member-${suffix}@example.test`, hashedPassword: 'x', allowWhenUsersExist: true });
    expect(created.ok).toBe(true);
    const checkpointer = await storage.checkpointer();
    expect(await checkpointer.getTuple({ configurable: { thread_id: randomBytes(8).toString('hex') } })).toBeUndefined();
  });

  it('refuses to serve with the owner role when a migration role is given, naming the risk and what to set', async () => {
    await expect(createPostgresStorage({ url: urlOf(ownerRole), migrationUrl: urlOf(ownerRole) })).rejects.toThrow(
      new RegExp(`POSTGRES_DATABASE_URL logs in as "${ownerRole}", which owns audit_events .*could disable the audit trail's triggers.*POSTGRES_MIGRATION_URL`),
    );
  });
});

describe('signed chain heads', () => {
  let engine: Engine;
  let token: string;
  const logLines: string[] = [];

  const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });

  beforeAll(async () => {
    const config = loadConfig({
      SKYFLO_DATA_DIR: dataDir,
      POSTGRES_DATABASE_URL: urlOf(servingRole),
      POSTGRES_MIGRATION_URL: urlOf(ownerRole),
      JWT_SECRET: 'test-secret-that-is-long-enough-1234567890',
      SKYFLO_ENCRYPTION_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
      PORT: '0',
      AUDIT_HEAD_PUBLISH_SECONDS: '1',
      SKYFLO_AUDIT_SIGNING_KEY: auditKeyPem,
    });
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    engine = await createEngine(config, {
      storage,
      logger: { level: 'info', stream: logStream },
      passwordHasher: hasher,
      llm: { model: undefined, modelName: 'none', problem: 'no model in this test' },
    });
    await engine.listen();
    // Accounts exist already (the tests above), so the admin is added as a team admin would be.
    const added = await storage.users.addMember({ email: `admin-${suffix}@example.test`, hashedPassword: await hasher.hash('correct horse battery'), role: 'admin' });
    expect(added.ok).toBe(true);
    const login = await engine.app.inject({ method: 'POST', url: '/api/v1/auth/jwt/login', payload: new URLSearchParams({ username: `admin-${suffix}@example.test`, password: 'correct horse battery' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    token = login.json().access_token;
  }, 60_000);

  afterAll(async () => {
    await engine?.close();
  });

  const get = (url: string) => engine.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const verifySigned = (signedHead: string) => engine.app.inject({ method: 'POST', url: '/api/v1/audit/verify', headers: { authorization: `Bearer ${token}` }, payload: { signed_head: signedHead } });

  it('publishes the signed head in a log line and at GET /audit/head; a rewrite by the owner is caught by the record signatures and by the published head', async () => {
    // The head the engine logged after the registration's records (published outside the database).
    const logged = await vi.waitFor(
      () => {
        const line = logLines.map((text) => JSON.parse(text) as { msg: string; signed_head?: string; audit_head?: { sequence: number } }).filter((entry) => entry.signed_head).at(-1);
        if (!line) throw new Error('no audit chain head logged yet');
        return line;
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(logged.msg).toMatch(/^audit chain head: sequence \d+, hash [0-9a-f]{64}/);

    const head = await get('/api/v1/audit/head');
    expect(head.statusCode).toBe(200);
    const published = head.json() as { sequence: number; hash: string; signed_head: string; public_key: { kty: string; crv: string } };
    expect(published.public_key).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(published.sequence).toBeGreaterThanOrEqual(logged.audit_head!.sequence);
    // Nothing changed yet: both heads are in the chain.
    expect((await verifySigned(published.signed_head)).json()).toMatchObject({ ok: true, rewritten: false, anchor_found: true });
    expect((await verifySigned(logged.signed_head!)).json()).toMatchObject({ ok: true, rewritten: false });

    // The owner role (the one that can) rewrites history: the approval's actor changes, the chain is recomputed.
    const owner = await connectAs(ownerRole);
    let rewrittenId = '';
    try {
      const { rows } = await owner.query<{ id: string }>("SELECT id FROM audit_events WHERE action = 'approval.approved'");
      rewrittenId = rows[0]!.id;
      expect(rows).toHaveLength(1);
      await owner.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
      await owner.query('UPDATE audit_events SET actor_id = NULL WHERE id = $1', [rows[0]!.id]);
      await recomputeChain(owner);
      await owner.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
    } finally {
      await owner.end();
    }

    // The chain links again, but the changed record no longer carries the engine's signature over its content…
    const plain = (await get('/api/v1/audit/verify')).json();
    expect(plain).toMatchObject({ ok: false, signatures_checked: true, not_written_by_engine: { count: 1, records: [{ id: rewrittenId, reason: expect.stringMatching(/signature does not match its content/) }] } });
    expect(plain.broken_at).toBeUndefined();
    // …and the head published earlier says the chain was rewritten (what catches it for records older than the signatures).
    const checked = await verifySigned(published.signed_head);
    expect(checked.statusCode).toBe(200);
    expect(checked.json()).toMatchObject({ ok: false, rewritten: true, anchor_found: false, signed_head: { sequence: published.sequence, hash: published.hash } });
    expect(checked.json().broken_at.reason).toMatch(/rewritten/);
    expect((await verifySigned(logged.signed_head!)).json()).toMatchObject({ ok: false, rewritten: true });
  });

  it('refuses a head that was altered or not signed with the engine key', async () => {
    const published = (await get('/api/v1/audit/head')).json() as { signed_head: string };
    const [header, payload, signature] = published.signed_head.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), hash: 'f'.repeat(64) })).toString('base64url');
    const forged = await verifySigned(`${header}.${forgedPayload}.${signature}`);
    expect(forged.statusCode).toBe(400);
    expect(forged.json().detail ?? forged.body).toMatch(/signed_head is not an audit head signed by this engine's key/);
  });

  it('a record the serving role INSERTs with a correct prev_hash and hash is reported as not written by the engine (issue 31.12)', async () => {
    const before = (await get('/api/v1/audit/verify')).json() as { not_written_by_engine?: { count: number } };
    const attacker = await connectAs(servingRole);
    const forgedId = randomUUID();
    try {
      // Everything the chain needs is readable, and the head row is movable: the record links like the engine's would.
      const { rows: [head] } = await attacker.query<{ hash: string; signed_from: string }>('SELECT hash, signed_from FROM audit_chain_head');
      const { rows: [next] } = await attacker.query<{ sequence: string }>(`SELECT nextval(pg_get_serial_sequence('audit_events', 'sequence')) AS sequence`);
      const forged = { id: forgedId, sequence: Number(next!.sequence), at: new Date(), actorId: null, action: 'approval.approved', conversationId: null, tool: 'k8s_delete', subjectType: 'tool_call', subjectId: 'call_forged', details: { reason: 'approved in the meeting' }, ip: null };
      const hash = chainHashOf(forged, head!.hash, Number(head!.signed_from));
      await attacker.query(
        'INSERT INTO audit_events (id, sequence, at, action, tool, subject_type, subject_id, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)',
        [forged.id, forged.sequence, forged.at.toISOString(), forged.action, forged.tool, forged.subjectType, forged.subjectId, JSON.stringify(forged.details), head!.hash, hash],
      );
      await attacker.query('UPDATE audit_chain_head SET prev_hash = hash, hash = $1, sequence = $2', [hash, forged.sequence]);
      // Where signatures become mandatory is not the serving role's to move.
      await expect(attacker.query('UPDATE audit_chain_head SET signed_from = 999999999')).rejects.toThrow(/permission denied for table audit_chain_head/);
    } finally {
      await attacker.end();
    }
    // The engine's next record links onto it: the chain is intact, the forged record is named.
    await storage.audit.record({ action: 'test.after_forgery', details: {} });
    const report = (await get('/api/v1/audit/verify')).json() as { ok: boolean; broken_at?: unknown; not_written_by_engine: { count: number; records: Array<{ id: string; reason: string }> } };
    expect(report.ok).toBe(false);
    expect(report.not_written_by_engine.count).toBe((before.not_written_by_engine?.count ?? 0) + 1);
    expect(report.not_written_by_engine.records.at(-1)).toMatchObject({ id: forgedId, reason: expect.stringMatching(/not written by the engine: the record carries no signature/) });
  });

  it('only admins read the head', async () => {
    const anonymous = await engine.app.inject({ method: 'GET', url: '/api/v1/audit/head' });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('one database URL', () => {
  it('keeps working, with a start-up warning that names the risk and POSTGRES_MIGRATION_URL', async () => {
    const single = await createTestPostgresDatabase();
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    let engine: Engine | undefined;
    try {
      const config = loadConfig({ SKYFLO_DATA_DIR: dataDir, POSTGRES_DATABASE_URL: single.url, JWT_SECRET: 'test-secret-that-is-long-enough-1234567890', SKYFLO_ENCRYPTION_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' });
      engine = await createEngine(config, { logger: { level: 'warn', stream: logStream }, llm: { model: undefined, modelName: 'none', problem: 'no model in this test' } });
      expect((await engine.app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
      const warning = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).find((entry) => entry.msg.includes('audit_events'));
      expect(warning).toMatchObject({ level: 40 });
      expect(warning!.msg).toMatch(/only database login.*could disable its triggers and rewrite the audit trail.*Set POSTGRES_MIGRATION_URL/);
    } finally {
      await engine?.close();
      await single.drop();
    }
  });
});

describe('configuration', () => {
  it('names what is wrong with the new variables, without echoing a key', () => {
    expect(() => loadConfig({ POSTGRES_MIGRATION_URL: urlOf(ownerRole) })).toThrow(/POSTGRES_MIGRATION_URL: needs POSTGRES_DATABASE_URL too/);
    const wrongKey = 'MC4CAQAwBQYDK2VwBCIEIPRIVATEKEYMATERIALNOTREAL';
    let message = '';
    try {
      loadConfig({ SKYFLO_AUDIT_SIGNING_KEY: wrongKey });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/SKYFLO_AUDIT_SIGNING_KEY: must be an Ed25519 private key, PKCS#8 PEM or its DER in base64 \(make one with: openssl genpkey -algorithm ed25519\)/);
    expect(message).not.toContain(wrongKey);
  });

  it('accepts an Ed25519 key given in the environment as PEM or as base64 DER (replicas share one)', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const der = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
    expect(loadConfig({ SKYFLO_AUDIT_SIGNING_KEY: pem }).storage.auditSigningKey).toBe(pem);
    expect(loadConfig({ SKYFLO_AUDIT_SIGNING_KEY: der }).storage.auditSigningKey).toBe(der);
  });
});
