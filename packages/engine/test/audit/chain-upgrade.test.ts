/**
 * Migration 0011 on a trail that already has records: those written before it (hash-chained by the engine, no
 * signature) verify as before, the first signed record links onto the last of them, and a record appended straight
 * into the table afterwards in the old format is not taken for an old record.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashAuditRecord } from '../../src/domain/audit/audit-chain.ts';
import type { PlatformStorage } from '../../src/platform/ports/index.ts';
import { migrationsFolder } from '../../src/adapters/storage/migrations-folder.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { testAuditSigningKey } from '../storage/harness.ts';

const folders: string[] = [];
let lite: PGlite | undefined;
let storage: PlatformStorage | undefined;

afterAll(async () => {
  await storage?.close();
  await lite?.close();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** The migrations up to (not including) `tag`, as an installation of the previous version has them. */
function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'skyflo-migrations-'));
  folders.push(folder);
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalFile = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((entry) => entry.tag === tag));
  writeFileSync(journalFile, JSON.stringify(journal));
  return folder;
}

/** A record as the previous version appended it: hash over its fields and prev_hash, computed in the engine. */
async function appendAsBefore(db: PGlite, action: string): Promise<void> {
  const { rows: [head] } = await db.query<{ hash: string | null; sequence: number }>(`SELECT (SELECT hash FROM audit_events ORDER BY sequence DESC LIMIT 1) AS hash, nextval(pg_get_serial_sequence('audit_events', 'sequence'))::int AS sequence`);
  const fields = { id: randomUUID(), sequence: head!.sequence, at: new Date(), actorId: null, action, conversationId: null, tool: null, subjectType: null, subjectId: null, details: { n: head!.sequence }, ip: null };
  const prevHash = head!.hash ?? GENESIS_HASH;
  await db.query('INSERT INTO audit_events (id, sequence, at, action, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)', [
    fields.id, fields.sequence, fields.at.toISOString(), action, JSON.stringify(fields.details), prevHash, hashAuditRecord(fields, prevHash),
  ]);
}

describe('an audit trail upgraded to signed records (migration 0011)', () => {
  it('keeps its old records verifiable, links the first signed record onto them, and refuses old-format records after', async () => {
    lite = new PGlite();
    await lite.waitReady;
    await migrate(drizzle(lite), { migrationsFolder: migrationsBefore('0011_audit_signatures') });
    for (const action of ['old.first', 'old.second', 'old.third']) await appendAsBefore(lite, action);

    // The new version opens the same database: 0011 runs, and the engine appends signed records.
    storage = await createPgliteStorage({ lite, auditSigningKey: testAuditSigningKey });
    await storage.audit.record({ action: 'new.first', details: {} });
    await storage.audit.record({ action: 'new.second', details: {} });
    const { rows } = await lite.query<{ action: string; prev_hash: string; hash: string; signature: string | null }>('SELECT action, prev_hash, hash, signature FROM audit_events ORDER BY sequence');
    expect(rows.map((row) => row.action)).toEqual(['old.first', 'old.second', 'old.third', 'new.first', 'new.second']);
    expect(rows[3]!.prev_hash).toBe(rows[2]!.hash);
    expect(rows.map((row) => row.signature !== null)).toEqual([false, false, false, true, true]);
    expect(await storage.audit.verify()).toMatchObject({ ok: true, recordsChecked: 5, signedRecords: 2, unsignedCount: 0 });

    // Someone appending in the old format now (hash computed as before, no signature): not an old record.
    await appendAsBefore(lite, 'forged.old_format');
    const report = await storage.audit.verify();
    expect(report.ok).toBe(false);
    expect(report.brokenAt).toMatchObject({ position: 6, reason: expect.stringMatching(/does not match its hash/) });
  });
});
