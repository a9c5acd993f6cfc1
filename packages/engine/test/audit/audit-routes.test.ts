/**
 * The audit trail through the API (issue 8): a real approval flow in APPROVAL_POLICY=approver leaves the chat
 * request, the proposed call (arguments as shown, hash, diff, policy reason), the decision naming requester and
 * approver, and the execution (start, end, result digest); GET /audit filters and pages; the exports parse back and
 * hold no secret; /audit/verify walks the chain; only admins read any of it; malformed filters get a 400 naming
 * the field; and the export streams in batches instead of reading every record first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { PGlite } from '@electric-sql/pglite';
import { auditCsvColumns, auditListResponseSchema, auditRecordSchema, auditVerifyResponseSchema, type AuditRecord } from '@skyflo/protocol';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import Fastify from 'fastify';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerAuthenticate } from '../../src/http/plugins/authenticate.ts';
import { registerErrorHandler } from '../../src/http/plugins/error-handler.ts';
import { auditRoutes } from '../../src/http/routes/audit/index.ts';
import type { AuditTrail, StoredAuditEvent } from '../../src/platform/ports/index.ts';
import { openEmbeddedDatabase } from '../../src/adapters/storage/pglite/embedded-database.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

/** What must never appear in any audit record or export. */
const SECRET = 'sk-live-AUDIT-never-in-the-trail-7f3a9c';

let sim: LlmSim;
let lite: PGlite;
let engine: TestEngine;
let admin: string;
let mia: string; // member, asks
let ann: string; // approver, decides
let ids: { admin: string; mia: string; ann: string };
let conversationId: string;

const call = (token: string | undefined, url: string) => engine.request({ method: 'GET', url: `/api/v1${url}`, ...(token ? { token } : {}) });
const post = (token: string, url: string, payload: Record<string, unknown>) => engine.request({ method: 'POST', url: `/api/v1${url}`, token, payload });
const frames = (response: LightMyRequestResponse): Promise<SseFrame[]> => readSse(new Response(response.body));
const list = async (query: string): Promise<AuditRecord[]> => auditListResponseSchema.parse((await call(admin, `/audit?limit=500&${query}`)).json()).data;

/** RFC 4180 rows (quoted cells with doubled quotes, CRLF line ends). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      index += 1;
    } else cell += char;
  }
  return rows;
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  ({ lite } = await createTestPglite());
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false', APPROVAL_POLICY: 'approver' }, llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' } });
  admin = await engine.signUp('admin@example.com');
  for (const [email, role] of [['mia@example.com', 'member'], ['ann@example.com', 'approver']] as const) {
    const added = await engine.request({ method: 'POST', url: '/api/v1/team/members', token: admin, payload: { email, role, password: `${email.split('@')[0]}-pass-4242` } });
    expect(added.statusCode).toBe(201);
  }
  const token = async (email: string) => (await engine.login(email, `${email.split('@')[0]}-pass-4242`)).json().access_token as string;
  [mia, ann] = [await token('mia@example.com'), await token('ann@example.com')];
  const idOf = async (bearer: string) => (await call(bearer, '/auth/me')).json().id as string;
  ids = { admin: await idOf(admin), mia: await idOf(mia), ann: await idOf(ann) };
  sim.reset({
    rules: [
      // The model puts a credential into the call's arguments: the engine shows (and audits) it masked.
      { match: { toolName: 'load_toolset', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5, api_token: SECRET } }] } },
      { match: { toolName: 'k8s_scale' }, reply: 'Scaled.' },
      { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    ],
  });
  engine.mcp.replicas.set('web', 2);
  const chat = await frames(await post(mia, '/agent/chat', { messages: [{ role: 'user', content: 'please scale web to 5' }] }));
  conversationId = String(chat[0]!.data['conversation_id']);
  expect(chat.find((frame) => frame.event === 'tool.awaiting_approval')).toBeDefined();
  const argsHash = chat.find((frame) => frame.event === 'tool.awaiting_approval')!.data['args_hash'];
  const approved = await frames(await post(ann, '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: argsHash, reason: 'capacity for the sale' }));
  expect(approved.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
  expect(engine.mcp.replicas.get('web')).toBe(5);
  // a run's audit records are written just behind its events
  await vi.waitFor(async () => expect((await list('action=tool.executed')).length).toBe(1));
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
  await sim?.close();
});

describe('records of a real approval flow (approver policy)', () => {
  it('names who asked, what was proposed, who approved it and why, and what ran', async () => {
    const records = (await list(`conversation_id=${conversationId}`)).reverse();
    const actions = records.map((record) => record.action);
    expect(actions).toEqual(['chat.request', 'tool.proposed', 'approval.approved', 'tool.execution_started', 'tool.executed']);
    const [request, proposed, decision, started, executed] = records;
    expect(request).toMatchObject({ actor_id: ids.mia, actor_email: 'mia@example.com', conversation_id: conversationId, details: { text: 'please scale web to 5' } });
    expect(proposed).toMatchObject({
      actor_id: ids.mia,
      tool: 'k8s_scale',
      subject_id: 'call_scale',
      details: { tool: 'k8s_scale', args: { name: 'web', replicas: 5 }, args_hash: expect.stringMatching(/^[0-9a-f]{64}$/), diff: expect.stringContaining('replicas'), policy_reason: expect.any(String), requires_approval: true },
    });
    // the credential the model put in the arguments is shown masked (key, length, digest), never in clear
    expect(JSON.stringify((proposed!.details['args'] as Record<string, unknown>)['api_token'])).toMatch(/length|sha|\*/i);
    expect(decision).toMatchObject({ actor_id: ids.ann, actor_email: 'ann@example.com', tool: 'k8s_scale', details: { requested_by: ids.mia, reason: 'capacity for the sale', args_hash: proposed!.details['args_hash'], decided_at: expect.any(String) } });
    // The start is recorded with the execution claim (issue 32.3), before the last checks; the tool ran after it.
    expect(started).toMatchObject({ actor_id: ids.ann, action: 'tool.execution_started', details: { started_at: expect.any(String), claimed: true } });
    expect(executed).toMatchObject({ actor_id: ids.ann, details: { result_digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), started_at: expect.any(String), ended_at: expect.any(String) } });
    expect(Date.parse(executed!.details['started_at'] as string)).toBeGreaterThanOrEqual(Date.parse(started!.details['started_at'] as string));
    expect(JSON.stringify(records)).not.toContain(SECRET);
  });

  it('a denial names the approver, the requester and the reason, and nothing runs', async () => {
    const chat = await frames(await post(mia, '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 9 please' }] }));
    const denied = String(chat[0]!.data['conversation_id']);
    const decision = await frames(await post(ann, '/agent/approvals/call_scale', { approve: false, conversation_id: denied, reason: 'not during the freeze' }));
    expect(decision.find((frame) => frame.event === 'tool.denied')).toBeDefined();
    await vi.waitFor(async () => expect((await list(`conversation_id=${denied}&action=approval.denied`)).length).toBe(1));
    const records = (await list(`conversation_id=${denied}`)).reverse();
    expect(records.map((record) => record.action)).toEqual(['chat.request', 'tool.proposed', 'approval.denied']);
    expect(records[2]).toMatchObject({ actor_id: ids.ann, details: { requested_by: ids.mia, reason: 'not during the freeze', decided_at: expect.any(String) } });
    expect(engine.mcp.replicas.get('web')).toBe(5);
  });

  it('records logins and team changes, and the chain of everything verifies', async () => {
    expect((await list('action=team.member_added')).map((record) => record.details['email'])).toEqual(['ann@example.com', 'mia@example.com']);
    expect((await list('action=auth.*')).some((record) => record.action === 'auth.login' && record.actor_id === ids.ann)).toBe(true);
    const failed = await engine.login('mia@example.com', 'wrong-password-123');
    expect(failed.statusCode).toBe(400);
    expect((await list('action=auth.login_failed'))[0]).toMatchObject({ details: { email: 'mia@example.com' } });
    const verify = auditVerifyResponseSchema.parse((await call(admin, '/audit/verify')).json());
    expect(verify).toMatchObject({ ok: true, legacy_records: 0 });
    expect(verify.records_checked).toBeGreaterThan(8);
    expect(verify.head_hash).toMatch(/^[0-9a-f]{64}$/);
    const anchored = auditVerifyResponseSchema.parse((await call(admin, `/audit/verify?anchor_sequence=${verify.head_sequence}&anchor_hash=${verify.head_hash}`)).json());
    expect(anchored).toMatchObject({ ok: true, anchor_found: true });
    const wrong = auditVerifyResponseSchema.parse((await call(admin, `/audit/verify?anchor_sequence=${verify.head_sequence}&anchor_hash=${'f'.repeat(64)}`)).json());
    expect(wrong).toMatchObject({ ok: false, anchor_found: false, broken_at: { sequence: verify.head_sequence } });
    const malformed = await call(admin, '/audit/verify?anchor_sequence=3');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().detail).toMatch(/^anchor_hash: anchor_sequence and anchor_hash go together/);
  });
});

describe('admin actions and their records commit together', () => {
  it('a team change whose audit record cannot be written does not happen', async () => {
    // Test-only: make the database refuse this one kind of audit record, as a full disk or a lost connection would.
    await lite.query(`CREATE FUNCTION refuse_role_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.action = 'team.role_changed' THEN RAISE EXCEPTION 'audit write failed'; END IF; RETURN NEW; END $$`);
    await lite.query('CREATE TRIGGER refuse_role_record BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_role_record()');
    try {
      const response = await engine.request({ method: 'PATCH', url: `/api/v1/team/members/${ids.mia}`, token: admin, payload: { role: 'admin' } });
      expect(response.statusCode).toBe(500);
    } finally {
      await lite.query('DROP TRIGGER refuse_role_record ON audit_events');
      await lite.query('DROP FUNCTION refuse_role_record()');
    }
    expect((await call(mia, '/auth/me')).json().role).toBe('member');
    // and once the trail accepts records again, the same change goes through with its record
    const changed = await engine.request({ method: 'PATCH', url: `/api/v1/team/members/${ids.mia}`, token: admin, payload: { role: 'approver' } });
    expect(changed.json()).toMatchObject({ role: 'approver' });
    expect((await list('action=team.role_changed'))[0]).toMatchObject({ actor_id: ids.admin, subject_id: ids.mia, details: { from: 'member', to: 'approver' } });
    await engine.request({ method: 'PATCH', url: `/api/v1/team/members/${ids.mia}`, token: admin, payload: { role: 'member' } });
  });
});

describe('GET /audit', () => {
  it('filters by user, tool, action prefix and time, and pages with a cursor', async () => {
    expect((await list(`user_id=${ids.ann}`)).every((record) => record.actor_id === ids.ann)).toBe(true);
    expect((await list('tool=k8s_scale')).map((record) => record.action).sort()).toEqual(['approval.approved', 'approval.denied', 'tool.executed', 'tool.execution_started', 'tool.proposed', 'tool.proposed']);
    expect((await list('action=tool.*')).every((record) => record.action.startsWith('tool.'))).toBe(true);
    const all = await list('');
    expect(await list(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    expect((await list(`to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).length).toBe(all.length);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = auditListResponseSchema.parse((await call(admin, `/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json());
      seen.push(...response.data.map((record) => record.id));
      expect(response.data.length).toBeLessThanOrEqual(3);
      cursor = response.pagination.next_cursor;
      expect(response.pagination.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual(all.map((record) => record.id));
  });

  it.each([
    ['from=yesterday', /^from: from must be an ISO 8601 date-time/],
    ['to=2026-13-45', /^to: to must be an ISO 8601 date-time/],
    ['user_id=bob', /^user_id: user_id must be a user id/],
    ['conversation_id=42', /^conversation_id: /],
    ['cursor=abc', /^cursor: cursor must be the next_cursor value/],
    ['limit=0', /^limit: limit must be at least 1/],
    ['limit=many', /^limit: /],
    ['from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', /^from: from must be before to/],
  ])('refuses %s with a 400 naming the field', async (query, detail) => {
    const response = await call(admin, `/audit?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toMatch(detail);
  });

  it('refuses a bad export format, naming it', async () => {
    const response = await call(admin, '/audit/export?format=xml');
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toMatch(/^format: format must be jsonl or csv/);
  });
});

describe('authorization', () => {
  it.each(['/audit', '/audit/export?format=jsonl', '/audit/export?format=csv', '/audit/verify'])('%s: anonymous 401, member 403, approver 403, admin 200', async (url) => {
    expect((await call(undefined, url)).statusCode).toBe(401);
    expect((await call(mia, url)).statusCode).toBe(403);
    expect((await call(ann, url)).statusCode).toBe(403);
    expect((await call(admin, url)).statusCode).toBe(200);
  });
});

describe('exports', () => {
  it('JSON lines: every record, oldest first, each one a valid record, no secret', async () => {
    const response = await call(admin, '/audit/export?format=jsonl');
    expect(response.headers['content-type']).toMatch(/application\/x-ndjson/);
    expect(response.headers['content-disposition']).toMatch(/attachment; filename="skyflo-audit-.*\.jsonl"/);
    const records = response.body.trimEnd().split('\n').map((line) => auditRecordSchema.parse(JSON.parse(line)));
    const newestFirst = await list('');
    // the export records itself before streaming, so it is the last record it exports
    expect(records.map((record) => record.id)).toEqual(newestFirst.map((record) => record.id).reverse());
    expect(records.at(-1)).toMatchObject({ action: 'audit.exported', actor_id: ids.admin });
    expect(records.map((record) => record.sequence)).toEqual([...records.map((record) => record.sequence)].sort((a, b) => a - b));
    expect(response.body).not.toContain(SECRET);
    expect(response.body).toContain('please scale web to 5');
  });

  it('CSV: the documented columns, and rows that parse back to the same records', async () => {
    const jsonl = (await call(admin, '/audit/export?format=jsonl&tool=k8s_scale')).body.trimEnd().split('\n').map((line) => JSON.parse(line) as AuditRecord);
    const response = await call(admin, '/audit/export?format=csv&tool=k8s_scale');
    expect(response.headers['content-type']).toMatch(/text\/csv/);
    expect(response.body).not.toContain(SECRET);
    const [header, ...rows] = parseCsv(response.body);
    expect(header).toEqual([...auditCsvColumns]);
    expect(rows).toHaveLength(jsonl.length);
    rows.forEach((row, index) => {
      const cell = (column: (typeof auditCsvColumns)[number]) => row[auditCsvColumns.indexOf(column)];
      const expected = jsonl[index]!;
      expect(Number(cell('sequence'))).toBe(expected.sequence);
      expect([cell('id'), cell('actor_email'), cell('action'), cell('tool'), cell('hash')]).toEqual([expected.id, expected.actor_email ?? '', expected.action, expected.tool, expected.hash]);
      expect(JSON.parse(cell('details')!)).toEqual(expected.details);
    });
  });
});

describe('streaming export of many records', () => {
  it('answers from the first batches, long before the last record is read', async () => {
    // A data dir seeded from the install-time template: a fresh in-memory PGlite runs initdb, which on a busy two-core
    // machine took most of this test's time limit.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-audit-export-'));
    const embedded = await openEmbeddedDatabase(dataDir);
    const storage = await createPgliteStorage({ embedded });
    const bigLite = embedded.connection;
    try {
      // Enough records for 20 batches: the causality below (bytes out before most records were read) shows at any
      // size, and a smaller trail keeps the test's work (insert, export, verify) small on a busy machine.
      const total = 2_000;
      const batchSize = 100;
      // Bulk rows straight in SQL (inserts are what the trigger allows); the export reads them like any records.
      await bigLite.query(
        `INSERT INTO audit_events (action, details, at) SELECT 'bulk.record', jsonb_build_object('n', n, 'text', repeat('x', 200)), now() FROM generate_series(1, ${total}) AS n`,
      );
      let read = 0;
      const counting: AuditTrail = {
        ...storage.audit,
        async *scan(filter) {
          for await (const record of storage.audit.scan(filter)) {
            read += 1;
            yield record as StoredAuditEvent;
          }
        },
      };
      const app = Fastify();
      registerErrorHandler(app, { bodyLimit: 1_000_000 });
      registerAuthenticate(app, async () => ({ id: '00000000-0000-4000-8000-000000000001', email: 'root@example.com', role: 'admin' }));
      await app.register(auditRoutes, { audit: counting, exportBatchSize: batchSize });
      const response = await app.inject({ method: 'GET', url: '/audit/export?format=csv', headers: { authorization: 'Bearer x' }, payloadAsStream: true });
      expect(response.statusCode).toBe(200);
      const stream = response.stream();
      let lines = 0;
      let readWhenFirstBytesArrived: number | undefined;
      for await (const chunk of stream) {
        readWhenFirstBytesArrived ??= read;
        lines += String(chunk).split('\n').length - 1;
      }
      expect(lines).toBe(total + 1 + 1); // header, the bulk rows, and the export's own record
      // the first bytes left while most batches were still unread
      expect(readWhenFirstBytesArrived).toBeLessThan(total / 4);
      expect(read).toBe(total + 1);
      await app.close();

      // Rows older than the chain (an upgraded installation) are reported apart; a row slipped in later is not.
      expect(await storage.audit.verify()).toMatchObject({ ok: true, legacyRecords: total, recordsChecked: 1 });
      await bigLite.query(`INSERT INTO audit_events (action, details) VALUES ('forged.record', '{}')`);
      const forged = await storage.audit.verify();
      expect(forged).toMatchObject({ ok: false, brokenAt: { position: total + 2, reason: expect.stringMatching(/inserted outside Skyflo/) } });
    } finally {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a decision and its audit record commit together (issue 32.3)', () => {
  it('an approval whose record cannot be written is not made: the approver is told, the call still waits, nothing runs', async () => {
    engine.mcp.replicas.set('web', 2);
    const chat = await frames(await post(mia, '/agent/chat', { messages: [{ role: 'user', content: 'please scale web to 5' }] }));
    const conversation = String(chat[0]!.data['conversation_id']);
    const argsHash = chat.find((frame) => frame.event === 'tool.awaiting_approval')!.data['args_hash'];
    // Test-only: the database refuses the decision's record, as a full disk or a lost connection would.
    await lite.query(`CREATE FUNCTION refuse_decision_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.action = 'approval.approved' THEN RAISE EXCEPTION 'audit write failed'; END IF; RETURN NEW; END $$`);
    await lite.query('CREATE TRIGGER refuse_decision_record BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_decision_record()');
    try {
      const refused = await post(ann, '/agent/approvals/call_scale', { approve: true, conversation_id: conversation, args_hash: argsHash, reason: 'now' });
      expect(refused.statusCode).toBe(500);
    } finally {
      await lite.query('DROP TRIGGER refuse_decision_record ON audit_events');
      await lite.query('DROP FUNCTION refuse_decision_record()');
    }
    // Not decided, not run, no record; the conversation is not held by a run that never started.
    const pending = (await call(ann, '/approvals/pending')).json() as { data: Array<{ conversation_id: string; call_id: string }> };
    expect(pending.data.some((item) => item.conversation_id === conversation && item.call_id === 'call_scale')).toBe(true);
    expect(engine.mcp.replicas.get('web')).toBe(2);
    expect(await list(`conversation_id=${conversation}&action=approval.*`)).toEqual([]);
    // Once the trail accepts records again, the same approval goes through with its record, and the call runs once.
    const approved = await frames(await post(ann, '/agent/approvals/call_scale', { approve: true, conversation_id: conversation, args_hash: argsHash, reason: 'now' }));
    expect(approved.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(engine.mcp.replicas.get('web')).toBe(5);
    await vi.waitFor(async () => expect((await list(`conversation_id=${conversation}`)).map((record) => record.action).reverse()).toEqual(['chat.request', 'tool.proposed', 'approval.approved', 'tool.execution_started', 'tool.executed']));
    expect((await call(admin, '/audit/verify')).json()).toMatchObject({ ok: true });
  });
});
