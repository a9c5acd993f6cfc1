/**
 * The audit trail on both drivers: the database itself refuses UPDATE, DELETE and TRUNCATE; records are hash-chained
 * in write order, concurrent appends (two engine processes on Postgres) never fork the chain, and a record changed or
 * removed behind the trigger's back (a superuser disabling it) is reported at its position.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordIntegrationChange, recordSettingsChange } from '../../src/domain/audit/admin-audit.ts';
import { chainHashOf, GENESIS_HASH } from '../../src/domain/audit/audit-chain.ts';
import type { PlatformStorage } from '../../src/platform/ports/index.ts';
import { storageBackends, type StorageBackend } from '../storage/harness.ts';


/** Runs statements with the append-only triggers disabled, as only a superuser (or the table owner) can. */
async function behindTheTriggersBack(backend: StorageBackend, statement: string, params: unknown[] = []): Promise<void> {
  await backend.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete');
  try {
    await backend.query(statement, params);
  } finally {
    await backend.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete');
  }
}

/** What someone with the table owner's rights could do: change a record and recompute every hash after it. */
async function rewriteChain(backend: StorageBackend, change: { id: string; details: Record<string, unknown> }): Promise<void> {
  await backend.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete');
  try {
    await backend.query('UPDATE audit_events SET details = $2::jsonb WHERE id = $1', [change.id, JSON.stringify(change.details)]);
    const rows = (await backend.query('SELECT * FROM audit_events ORDER BY sequence')) as Array<Record<string, unknown>>;
    const [{ signed_from: signedFrom }] = (await backend.query('SELECT signed_from FROM audit_chain_head')) as Array<{ signed_from: string }>;
    let previous = GENESIS_HASH;
    for (const row of rows) {
      const hash = chainHashOf(
        {
          id: row['id'] as string,
          sequence: Number(row['sequence']),
          at: new Date(row['at'] as Date),
          actorId: (row['actor_id'] as string | null) ?? null,
          action: row['action'] as string,
          conversationId: (row['conversation_id'] as string | null) ?? null,
          tool: (row['tool'] as string | null) ?? null,
          subjectType: (row['subject_type'] as string | null) ?? null,
          subjectId: (row['subject_id'] as string | null) ?? null,
          details: row['details'] as Record<string, unknown>,
          ip: (row['ip'] as string | null) ?? null,
        },
        previous,
        Number(signedFrom),
      );
      await backend.query('UPDATE audit_events SET prev_hash = $2, hash = $3 WHERE id = $1', [row['id'], previous, hash]);
      previous = hash;
    }
    await backend.query('UPDATE audit_chain_head SET hash = $1', [previous]);
  } finally {
    await backend.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete');
  }
}

describe.each(Object.keys(storageBackends))('audit trail on %s', (driver) => {
  let backend: StorageBackend;
  let storage: PlatformStorage;

  beforeAll(async () => {
    backend = await storageBackends[driver]!();
    storage = backend.storage;
  });

  afterAll(async () => {
    await backend?.close();
  });

  it('refuses UPDATE, DELETE and TRUNCATE from raw SQL, and keeps the record', async () => {
    await storage.audit.record({ action: 'test.append_only', details: { n: 1 } });
    const [row] = (await backend.query(`SELECT id FROM audit_events WHERE action = 'test.append_only'`)) as Array<{ id: string }>;
    await expect(backend.query(`UPDATE audit_events SET action = 'test.rewritten' WHERE id = $1`, [row!.id])).rejects.toThrow(/append-only: UPDATE/);
    await expect(backend.query(`DELETE FROM audit_events WHERE id = $1`, [row!.id])).rejects.toThrow(/append-only: DELETE/);
    await expect(backend.query('TRUNCATE audit_events')).rejects.toThrow(/append-only: TRUNCATE/);
    const after = (await backend.query(`SELECT action FROM audit_events WHERE id = $1`, [row!.id])) as Array<{ action: string }>;
    expect(after).toEqual([{ action: 'test.append_only' }]);
  });

  it('chains each record to the one before it and verifies the whole chain', async () => {
    await storage.audit.record({ actorId: '00000000-0000-4000-8000-000000000001', action: 'test.chain', details: { nested: { b: 2, a: [1, 'x'] }, when: 'now' }, ip: '127.0.0.1' });
    await storage.audit.record({ action: 'test.chain', tool: 'k8s_scale', conversationId: '00000000-0000-4000-8000-0000000000c1', details: { replicas: 3 } });
    const rows = (await backend.query('SELECT sequence, prev_hash, hash FROM audit_events ORDER BY sequence')) as Array<{ sequence: string; prev_hash: string; hash: string }>;
    expect(rows[0]!.prev_hash).toBe('0'.repeat(64));
    for (let index = 1; index < rows.length; index += 1) expect(rows[index]!.prev_hash).toBe(rows[index - 1]!.hash);
    const report = await storage.audit.verify();
    expect(report).toMatchObject({ ok: true, recordsChecked: rows.length, legacyRecords: 0, headHash: rows[rows.length - 1]!.hash });
    expect(report.brokenAt).toBeUndefined();
  });

  it('keeps a record whose text jsonb cannot hold as is (NUL, a lone surrogate), and it still verifies', async () => {
    await storage.audit.record({ action: 'test.odd_text', details: { error: 'bad\u0000byte', half: 'x\uD800y', ['k\u0000']: 1 } });
    const [record] = await storage.audit.list({ limit: 1, action: 'test.odd_text' });
    expect(record!.details).toEqual({ error: 'bad\uFFFDbyte', half: 'x\uFFFDy', 'k\uFFFD': 1 });
    expect((await storage.audit.verify()).ok).toBe(true);
  });

  it('never forks the chain under concurrent appends (two engine processes on Postgres)', async () => {
    const writers = [storage, backend.secondProcess ?? storage];
    await Promise.all(Array.from({ length: 30 }, (_, index) => writers[index % writers.length]!.audit.record({ action: 'test.concurrent', details: { index } })));
    const report = await storage.audit.verify();
    expect(report.ok).toBe(true);
    const [{ forks }] = (await backend.query('SELECT count(*)::int - count(DISTINCT prev_hash)::int AS forks FROM audit_events')) as Array<{ forks: number }>;
    expect(forks).toBe(0);
  });

  it('commits an admin change and its record together, or neither', async () => {
    await expect(
      storage.atomically(async (tx) => {
        const added = await tx.users.addMember({ email: 'rolled-back@example.com', hashedPassword: 'h', role: 'member' });
        await tx.audit.record({ action: 'team.member_added', subjectType: 'user', subjectId: added.ok ? added.user.id : 'none', details: { email: 'rolled-back@example.com' } });
        throw new Error('the action failed after its record was written');
      }),
    ).rejects.toThrow('the action failed');
    expect(await storage.users.findByEmail('rolled-back@example.com')).toBeUndefined();
    expect((await backend.query(`SELECT 1 FROM audit_events WHERE details->>'email' = 'rolled-back@example.com'`)).length).toBe(0);

    await storage.atomically(async (tx) => {
      await tx.users.addMember({ email: 'kept@example.com', hashedPassword: 'h', role: 'member' });
      await tx.audit.record({ action: 'team.member_added', details: { email: 'kept@example.com' } });
    });
    expect(await storage.users.findByEmail('kept@example.com')).toBeDefined();
    expect((await backend.query(`SELECT 1 FROM audit_events WHERE details->>'email' = 'kept@example.com'`)).length).toBe(1);
    expect((await storage.audit.verify()).ok).toBe(true);
  });

  it('records integration and settings changes with field names, never a credential\'s value', async () => {
    const token = 'jenkins-api-token-0123456789abcdef';
    const apiKey = 'sk-proj-SETTINGS-secret-key-9876';
    await storage.atomically(async ({ audit }) => {
      await recordIntegrationChange(audit, {
        actor: { id: '00000000-0000-4000-8000-000000000001' },
        change: 'created',
        integration: { id: 'int-1', provider: 'jenkins', name: 'ci' },
        fields: { name: 'ci', api_url: 'https://jenkins.example.com', credentials: { username: 'bot', api_token: token }, api_token: token },
        tokenLast4: token,
      });
      await recordSettingsChange(audit, { actor: { id: '00000000-0000-4000-8000-000000000001' }, section: 'llm', fields: { provider: 'openai', model: 'gpt-4o', api_key: apiKey }, apiKeyLast4: apiKey });
    });
    const [integration] = await storage.audit.list({ limit: 1, action: 'integration.created' });
    expect(integration).toMatchObject({ subjectId: 'int-1', details: { provider: 'jenkins', changed: ['api_token', 'api_url', 'credentials', 'name'], values: { name: 'ci', api_url: 'https://jenkins.example.com' }, token_last4: 'cdef' } });
    const [settings] = await storage.audit.list({ limit: 1, action: 'settings.llm_updated' });
    expect(settings).toMatchObject({ details: { changed: ['api_key', 'model', 'provider'], values: { provider: 'openai', model: 'gpt-4o' }, api_key_last4: '9876' } });
    const everything = JSON.stringify(await backend.query('SELECT * FROM audit_events'));
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(apiKey);

    // an integration saved in the same transaction as its record: a failure after both leaves neither
    const id = randomUUID();
    await expect(
      storage.atomically(async (tx) => {
        await tx.integrations.create({ id, provider: 'jenkins', name: 'ci-2', apiUrl: 'https://ci.example.com', username: 'bot', credentialsSealed: 'sealed', tokenLast4: 'abcd', status: 'active' });
        await recordIntegrationChange(tx.audit, { actor: { id: '00000000-0000-4000-8000-000000000001' }, change: 'created', integration: { id, provider: 'jenkins' } });
        throw new Error('credentials check failed');
      }),
    ).rejects.toThrow('credentials check failed');
    expect(await storage.integrations.get(id)).toBeUndefined();
    expect((await backend.query('SELECT 1 FROM audit_events WHERE subject_id = $1', [id])).length).toBe(0);
  });

  it('reports a record changed behind the trigger at its position, and a removed one at the record after it', async () => {
    const rows = (await backend.query('SELECT id, sequence::int AS sequence, details FROM audit_events ORDER BY sequence')) as Array<{ id: string; sequence: number; details: unknown }>;
    const victim = rows[3]!;
    await behindTheTriggersBack(backend, `UPDATE audit_events SET details = '{"replicas": 300}'::jsonb WHERE id = $1`, [victim.id]);
    const changed = await storage.audit.verify();
    expect(changed.ok).toBe(false);
    expect(changed.brokenAt).toMatchObject({ position: 4, sequence: victim.sequence, id: victim.id });
    expect(changed.brokenAt!.reason).toMatch(/changed/);
    expect(changed.recordsChecked).toBe(3);

    // Putting the original content back restores the chain: verification is about content, not about the trigger.
    await behindTheTriggersBack(backend, 'UPDATE audit_events SET details = $2::jsonb WHERE id = $1', [victim.id, JSON.stringify(victim.details)]);
    expect((await storage.audit.verify()).ok).toBe(true);

    const removed = rows[6]!;
    const next = rows[7]!;
    await behindTheTriggersBack(backend, 'DELETE FROM audit_events WHERE id = $1', [removed.id]);
    const gap = await storage.audit.verify();
    expect(gap.ok).toBe(false);
    expect(gap.brokenAt).toMatchObject({ position: 7, sequence: next.sequence, id: next.id });
    expect(gap.brokenAt!.reason).toMatch(/removed, inserted or reordered/);
  });

  it('a head kept elsewhere catches a rewrite that recomputed every hash', async () => {
    // start from a consistent chain, and keep its head as an anchor (as an admin would, outside the database)
    const firstRow = ((await backend.query('SELECT id, details FROM audit_events ORDER BY sequence LIMIT 1')) as Array<{ id: string; details: Record<string, unknown> }>)[0]!;
    await rewriteChain(backend, firstRow);
    const before = await storage.audit.verify();
    expect(before.ok).toBe(true);
    const anchor = { sequence: before.headSequence!, hash: before.headHash! };
    expect(await storage.audit.verify(anchor)).toMatchObject({ ok: true, anchorFound: true });
    await storage.audit.record({ action: 'test.after_anchor', details: {} });
    expect(await storage.audit.verify(anchor)).toMatchObject({ ok: true, anchorFound: true });

    // the rewrite: the chain links again, but the record's signature no longer matches its content; the anchor too
    await rewriteChain(backend, { id: firstRow.id, details: { rewritten: true } });
    const plain = await storage.audit.verify();
    expect(plain).toMatchObject({ ok: false, unsignedCount: 1, unsigned: [{ id: firstRow.id, reason: expect.stringMatching(/signature does not match its content/) }] });
    expect(plain.brokenAt).toBeUndefined();
    const caught = await storage.audit.verify(anchor);
    expect(caught).toMatchObject({ ok: false, anchorFound: false, brokenAt: { sequence: anchor.sequence, reason: expect.stringMatching(/rewritten/) } });
    expect(await storage.audit.verify({ sequence: 999_999, hash: anchor.hash })).toMatchObject({ ok: false, brokenAt: { reason: expect.stringMatching(/no longer in the chain/) } });
  });

  it('reports a record appended straight into the table, with a correct prev_hash and hash, as not written by the engine', async () => {
    // The attacker from issue 31.12: may INSERT (and move the head row), knows the chain's rules, lacks the engine's key.
    await storage.audit.record({ action: 'test.before_forgery', details: {} });
    // (the test before left one rewritten record, which is reported already)
    const before = await storage.audit.verify();
    const [head] = (await backend.query('SELECT hash, signed_from FROM audit_chain_head')) as Array<{ hash: string; signed_from: string }>;
    const [{ sequence }] = (await backend.query(`SELECT nextval(pg_get_serial_sequence('audit_events', 'sequence'))::int AS sequence`)) as Array<{ sequence: number }>;
    const forged = { id: randomUUID(), sequence, at: new Date(), actorId: null, action: 'approval.approved', conversationId: null, tool: 'k8s_delete', subjectType: 'tool_call', subjectId: 'call_forged', details: { reason: 'looks legitimate' }, ip: null };
    const hash = chainHashOf(forged, head!.hash, Number(head!.signed_from));
    await backend.query(
      `INSERT INTO audit_events (id, sequence, at, action, tool, subject_type, subject_id, details, prev_hash, hash, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)`,
      [forged.id, forged.sequence, forged.at.toISOString(), forged.action, forged.tool, forged.subjectType, forged.subjectId, JSON.stringify(forged.details), head!.hash, hash, 'forged.c2lnbmF0dXJl'],
    );
    await backend.query('UPDATE audit_chain_head SET prev_hash = hash, hash = $1, sequence = $2', [hash, sequence]);
    // The engine's next record links onto the forged one: the chain itself is intact…
    await storage.audit.record({ action: 'test.after_forgery', details: {} });
    const report = await storage.audit.verify();
    expect(report.brokenAt).toBeUndefined();
    // …but the forged record is named, and the engine's records around it are not.
    expect(report).toMatchObject({ ok: false, signaturesChecked: true, unsignedCount: before.unsignedCount + 1 });
    expect(report.unsigned.slice(before.unsignedCount)).toEqual([{ position: expect.any(Number), sequence, id: forged.id, reason: expect.stringMatching(/not verifiable with this engine's audit key: signed with key forged/) }]);
    expect(report.signedRecords).toBe(before.signedRecords + 1);
  });
});
