/**
 * Issue 76 item 3: a declared policy or freeze is created, changed and removed once across replicas. Three engines
 * on one Postgres database read the same POLICIES_DIR and sync at the same moment; the database ends with one row per
 * declaration and the audit trail with one record per change, never three.
 */
import { mkdtempSync } from 'node:fs';
import { rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { postgresReplicas, type PostgresReplicas } from '../support/postgres-replicas.ts';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../support/test-databases.ts';

let sim: LlmSim;
let mcp: FakeMcpServer;
let database: TestPostgresDatabase;
const policiesDir = mkdtempSync(path.join(tmpdir(), 'skyflo-policies-dir-'));
let replicas: PostgresReplicas;

const declarations = (effect: string) =>
  [
    toYaml({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloPolicy', metadata: { name: 'no-scale-to-zero' }, spec: { expression: 'tool == "k8s_scale" && args.replicas == 0', effect } }),
    toYaml({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloFreeze', metadata: { name: 'weekend' }, spec: { starts_at: '2026-03-20T16:00:00+01:00', ends_at: '2026-03-23T08:00:00+01:00', recurrence: 'weekly', time_zone: 'Europe/Berlin', reason: effect === 'deny' ? 'no weekend changes' : 'weekend, reviewed' } }),
  ].join('---\n');

const syncAll = () => Promise.all(replicas.engines.map((engine) => engine.declaredGuardrails!.sync()));
const audited = async (action: string) => ((await database.query('SELECT count(*)::int AS n FROM audit_events WHERE action = $1', [action])) as Array<{ n: number }>)[0]!.n;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  mcp = await startFakeMcpServer();
  database = await createTestPostgresDatabase();
  // not listening: the test drives every sync itself
  replicas = postgresReplicas({ databaseUrl: database.url, sim, mcp, env: { POLICIES_DIR: policiesDir } });
  for (let i = 0; i < 3; i++) await replicas.start();
}, 120_000);

afterAll(async () => {
  await replicas?.closeAll();
  await database?.drop();
  await sim?.close();
  await mcp?.close();
  await rm(policiesDir, { recursive: true, force: true });
});

describe('declarations synced by three replicas at once', () => {
  it('make one row each, and each change (create, change, removal) is made and audited once', async () => {
    await writeFile(path.join(policiesDir, 'guardrails.yaml'), declarations('deny'));
    const created = await syncAll();
    expect(created.flatMap((report) => report.policies!.created)).toEqual(['file guardrails.yaml (SkyfloPolicy no-scale-to-zero)']);
    expect(created.flatMap((report) => report.freezes!.created)).toEqual(['file guardrails.yaml (SkyfloFreeze weekend)']);
    expect(await database.query('SELECT name, version, managed_by FROM policies')).toEqual([{ name: 'no-scale-to-zero', version: 1, managed_by: 'file guardrails.yaml (SkyfloPolicy no-scale-to-zero)' }]);
    expect(await audited('policy.created')).toBe(1);
    expect(await audited('freeze.created')).toBe(1);

    await writeFile(path.join(policiesDir, 'guardrails.yaml'), declarations('warn'));
    const changed = await syncAll();
    expect(changed.flatMap((report) => report.policies!.updated)).toHaveLength(1);
    expect(changed.flatMap((report) => report.freezes!.updated)).toHaveLength(1);
    expect(await database.query('SELECT effect, version FROM policies')).toEqual([{ effect: 'warn', version: 2 }]);
    expect(await database.query('SELECT reason, version FROM freezes')).toEqual([{ reason: 'weekend, reviewed', version: 2 }]);
    expect(await audited('policy.changed')).toBe(1);
    expect(await audited('freeze.changed')).toBe(1);

    await unlink(path.join(policiesDir, 'guardrails.yaml'));
    const removed = await syncAll();
    expect(removed.flatMap((report) => report.policies!.removed)).toHaveLength(1);
    expect(await database.query('SELECT name FROM policies')).toEqual([]);
    expect(await database.query('SELECT name FROM freezes')).toEqual([]);
    expect(await audited('policy.deleted')).toBe(1);
    expect(await audited('freeze.deleted')).toBe(1);
  });
});
