/**
 * Issue 81: a schedule runs once per tick across replicas. Three engines on one Postgres database, each with the same
 * injected clock (no waiting for real minutes): an every-minute schedule driven for five minutes makes five runs and
 * five conversations, not fifteen, though every replica looks at every tick and one replica is stopped half-way.
 * Ticks missed while no engine ran run once when an engine starts, never once per missed tick.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Engine } from '../../src/create-engine.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { postgresReplicas, type PostgresReplicas } from '../support/postgres-replicas.ts';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../support/test-databases.ts';

let sim: LlmSim;
let mcp: FakeMcpServer;
let database: TestPostgresDatabase;
const start = Date.parse('2026-11-30T08:00:30Z');
let clock = start;
const minute = 60_000;

let replicas: PostgresReplicas;

async function startEngine(): Promise<{ engine: Engine; url: string }> {
  // a beat of an hour: after the one at listen, the test drives every tick itself
  const engine = await replicas.start({ now: () => clock, scheduleBeatMs: 3_600_000 });
  return { engine, url: await engine.listen() };
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [], fallback: 'Checked prod.\n\n- web-1 is Pending' });
  mcp = await startFakeMcpServer();
  database = await createTestPostgresDatabase();
  replicas = postgresReplicas({ databaseUrl: database.url, sim, mcp, env: { ALLOW_REGISTRATION: 'true' } });
});

afterAll(async () => {
  await replicas?.closeAll();
  await database?.drop();
  await sim?.close();
  await mcp?.close();
});

describe('a schedule across three replicas on one Postgres', () => {
  it('runs each tick once in all, survives a replica stopping, and runs ticks missed while down once', async () => {
    const replicas = [await startEngine(), await startEngine(), await startEngine()];
    const base = replicas[0]!.url;
    const email = 'ops@example.test';
    const password = 'correct horse battery';
    await fetch(`${base}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    const token = ((await (await fetch(`${base}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: email, password }) })).json()) as { access_token: string }).access_token;
    const created = await fetch(`${base}/api/v1/schedules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'every minute', schedule: '* * * * *', time_zone: 'UTC', prompt: 'Anything pending in prod?', mode: 'read_only' }),
    });
    expect(created.status).toBe(201);
    const schedule = (await created.json()) as { id: string; next_run_at: string };
    expect(schedule.next_run_at).toBe('2026-11-30T08:01:00.000Z');

    const runsIn = async () => (await database.query('SELECT tick, status, conversation_id FROM schedule_runs WHERE schedule_id = $1 ORDER BY tick', [schedule.id])) as Array<{ tick: Date; status: string; conversation_id: string | null }>;
    const live = [...replicas];
    // The created minute's own tick (08:00, before the schedule existed) never runs.
    await Promise.all(live.map(({ engine }) => engine.schedules.tick()));
    expect(await runsIn()).toEqual([]);

    for (let step = 1; step <= 5; step += 1) {
      clock = start + step * minute;
      // every replica looks at the tick at the same moment; the lease gives it to one
      const claimed = await Promise.all(live.map(({ engine }) => engine.schedules.tick()));
      expect(claimed.flat()).toHaveLength(1);
      await Promise.all(live.map(({ engine }) => engine.schedules.idle()));
      if (step === 2) {
        // a replica goes away; the others go on
        const gone = live.shift()!;
        await gone.engine.close();
      }
    }
    const runs = await runsIn();
    expect(runs.map((run) => run.tick.toISOString())).toEqual(['08:01', '08:02', '08:03', '08:04', '08:05'].map((time) => `2026-11-30T${time}:00.000Z`));
    expect(runs.every((run) => run.status === 'completed')).toBe(true);
    const conversations = (await database.query("SELECT id, title FROM conversations WHERE title LIKE 'Schedule: every minute%'")) as Array<{ id: string }>;
    expect(conversations).toHaveLength(5);
    expect(new Set(runs.map((run) => run.conversation_id))).toEqual(new Set(conversations.map((conversation) => conversation.id)));

    // Every engine stops; three ticks pass; one engine starts: the newest missed tick runs once, at start.
    for (const { engine } of live) await engine.close();
    clock = start + 8 * minute;
    const restarted = await startEngine();
    await vi.waitFor(async () => expect((await runsIn()).length).toBe(6), { timeout: 20_000 });
    await restarted.engine.schedules.idle();
    const second = await startEngine();
    expect([...(await restarted.engine.schedules.tick()), ...(await second.engine.schedules.tick())]).toEqual([]);
    const after = await runsIn();
    expect(after).toHaveLength(6);
    expect(after.at(-1)).toMatchObject({ status: 'completed' });
    expect(after.at(-1)!.tick.toISOString()).toBe('2026-11-30T08:08:00.000Z');

    // the runs are attributed to the schedule in the audit trail
    const audited = (await database.query("SELECT details FROM audit_events WHERE action = 'schedule.completed'")) as Array<{ details: Record<string, unknown> }>;
    expect(audited).toHaveLength(6);
    expect(audited[0]!.details).toMatchObject({ attributed_to: 'schedule: every minute' });
    const requests = (await database.query("SELECT details FROM audit_events WHERE action = 'chat.request'")) as Array<{ details: Record<string, unknown> }>;
    expect(requests.filter((request) => request.details['via'] === 'schedule: every minute')).toHaveLength(6);
  }, 120_000);
});
