/**
 * Alert floods (issue 31, item 3). Before, 120 alerts in 3 s from one member opened 120 conversations past
 * CONVERSATIONS_PER_MINUTE and queued 120 full model runs in memory. Now the queue is bounded (ALERT_QUEUE_LIMIT): an
 * alert past it is refused with 429 and `queued: false`, and opens nothing; and every new investigation counts
 * against its owner's CONVERSATIONS_PER_MINUTE, shared with chats. The investigation that runs hangs on the model
 * (llm-sim's `hang`), so what waits stays waiting while the test looks.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const alert = (index: number) => ({ title: `Disk pressure on node-${index}`, description: `node-${index} has DiskPressure` });
const count = async (team: TeamEngine, sql: string) => Number((await team.lite.query<{ n: number }>(sql)).rows[0]!.n);
const alertConversations = (team: TeamEngine) => count(team, "SELECT count(*)::int AS n FROM conversations WHERE title LIKE 'Alert:%'");

async function startFlooded(env: Record<string, string>) {
  const sim = await startLlmSim({ port: 0 });
  // the first investigation never gets its answer: the slot stays taken
  sim.reset({ failures: [{ kind: 'hang' }], rules: [{ match: { always: true }, reply: 'Diagnosis: the disk is full.' }] });
  const team = await startTeamEngine(sim, { ALERT_MAX_CONCURRENT_INVESTIGATIONS: '1', LLM_MAX_RETRIES: '0', ...env });
  const admin = await team.engine.signUp('admin@example.com');
  const mia = await team.member(admin, 'mia@example.com', 'member');
  const token = (await team.call(mia, 'POST', '/auth/tokens', { name: 'alertmanager', scopes: ['alerts:write'] })).json().token as string;
  return { sim, team, mia, token };
}

describe('the alert queue is bounded', () => {
  let flood: Awaited<ReturnType<typeof startFlooded>>;
  beforeAll(async () => {
    flood = await startFlooded({ ALERT_QUEUE_LIMIT: '3' });
  });
  afterAll(async () => {
    // closing the model ends the hung request, so the engine's shutdown does not wait on it
    await flood?.sim.close();
    await flood?.team.close();
  });

  it('past ALERT_QUEUE_LIMIT an alert is refused with 429 and queued: false, and opens no conversation', async () => {
    const { team, token } = flood;
    const answers = [];
    for (let index = 1; index <= 8; index++) answers.push(await team.call(token, 'POST', '/alerts', alert(index)));
    expect(answers.map((answer) => [answer.statusCode, answer.json().status, answer.json().position])).toEqual([
      [202, 'investigating', undefined],
      [202, 'queued', 0],
      [202, 'queued', 1],
      [202, 'queued', 2],
      ...Array.from({ length: 4 }, () => [429, 'refused', undefined]),
    ]);
    expect(answers[4]!.json()).toEqual({ status: 'refused', queued: false, detail: expect.stringMatching(/^3 alert investigations are already waiting \(ALERT_QUEUE_LIMIT\); this alert was not queued/) });
    expect(answers[4]!.headers['retry-after']).toBe('30');
    expect(await alertConversations(team)).toBe(4);
    expect(await count(team, 'SELECT count(*)::int AS n FROM alert_queue')).toBe(3);

    // a burst at once: nothing more is opened or queued
    const burst = await Promise.all(Array.from({ length: 20 }, (_, index) => team.call(token, 'POST', '/alerts', alert(100 + index))));
    expect(burst.map((answer) => answer.statusCode)).toEqual(burst.map(() => 429));
    expect(await alertConversations(team)).toBe(4);
    expect(await count(team, 'SELECT count(*)::int AS n FROM alert_queue')).toBe(3);
    // the model is asked once: by the investigation that runs (which never gets its answer, so asks nothing more)
    await vi.waitFor(() => expect(flood.sim.calls).toHaveLength(1), { timeout: 30_000 });
  });
});

describe('investigations count against CONVERSATIONS_PER_MINUTE', () => {
  let flood: Awaited<ReturnType<typeof startFlooded>>;
  beforeAll(async () => {
    flood = await startFlooded({ ALERT_QUEUE_LIMIT: '50', CONVERSATIONS_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await flood?.sim.close();
    await flood?.team.close();
  });

  it('a member who opened a chat may open two investigations in that minute, then gets 429 with queued: false; repeats of an open group still go in', async () => {
    const { team, mia, token } = flood;
    expect((await team.call(mia, 'POST', '/conversations', { title: 'checking the nodes' })).statusCode).toBe(201);
    const answers = [];
    for (let index = 1; index <= 5; index++) answers.push(await team.call(token, 'POST', '/alerts', alert(index)));
    expect(answers.map((answer) => [answer.statusCode, answer.json().status])).toEqual([
      [202, 'investigating'],
      [202, 'queued'],
      [429, 'refused'],
      [429, 'refused'],
      [429, 'refused'],
    ]);
    expect(answers[2]!.json()).toMatchObject({ queued: false, detail: expect.stringMatching(/CONVERSATIONS_PER_MINUTE/) });
    expect(Number(answers[2]!.headers['retry-after'])).toBeGreaterThan(0);
    expect(await alertConversations(team)).toBe(2);
    // the same group again opens no conversation and queues no run: a line on the open investigation
    const repeat = await team.call(token, 'POST', '/alerts', alert(2));
    expect(repeat.statusCode).toBe(202);
    expect(repeat.json()).toMatchObject({ status: 'noted', conversation_id: answers[1]!.json().conversation_id });
    expect(await alertConversations(team)).toBe(2);
  });
});
