/**
 * Alert group dedupe holds across engine processes (issue 24): Alertmanager (or a load balancer) delivers the same new
 * alert group to two engines on one database at the same time; exactly one investigation conversation is opened and
 * both answers name it (the first to store the group wins, the other adds to it).
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

let sim: LlmSim;
let first: TeamEngine;
let second: TestEngine;

const group = (namespace: string) => ({
  version: '4',
  groupKey: `{}:{alertname="KubePodCrashLooping", namespace="${namespace}"}`,
  status: 'firing',
  receiver: 'skyflo',
  groupLabels: { alertname: 'KubePodCrashLooping' },
  commonLabels: { alertname: 'KubePodCrashLooping', namespace, pod: 'cart-1', severity: 'warning' },
  commonAnnotations: { summary: `Pod ${namespace}/cart-1 is crash looping` },
  alerts: [{ status: 'firing', labels: { alertname: 'KubePodCrashLooping', namespace, pod: 'cart-1' }, annotations: { description: `Pod ${namespace}/cart-1 is restarting.` }, startsAt: '2026-11-22T23:00:00Z' }],
});
const namespaces = ['shop', 'cart', 'pay', 'auth', 'search'];

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [{ match: { always: true }, reply: 'The container exits with code 1 at start-up.' }] });
  first = await startTeamEngine(sim);
  second = await startTestEngine({ lite: first.lite, llm: simModel(sim), env: { TITLE_GENERATION_ENABLED: 'false' } });
});

afterAll(async () => {
  await second?.close();
  await first?.close();
  await sim?.close();
});

describe('alert groups across engines', () => {
  it('each new group posted to two engines at once opens one investigation', async () => {
    const admin = await first.engine.signUp('admin@example.com');
    const token = (await first.call(admin, 'POST', '/auth/tokens', { name: 'alertmanager', scopes: ['alerts:write'] })).json().token as string;
    const send = (engine: TestEngine, namespace: string) => engine.request({ method: 'POST', url: '/api/v1/alerts/alertmanager', token, payload: group(namespace) });
    // every group to both engines at once: the reads and writes of the two interleave
    const answers = await Promise.all(namespaces.flatMap((namespace) => [send(first.engine, namespace), send(second, namespace)]));
    expect(answers.map((answer) => answer.statusCode)).toEqual(namespaces.flatMap(() => [202, 202]));
    for (const [index, namespace] of namespaces.entries()) {
      const pair = answers.slice(index * 2, index * 2 + 2);
      expect(new Set(pair.map((answer) => String(answer.json().conversation_id))).size, `${namespace}: ${pair.map((answer) => answer.body).join(' | ')}`).toBe(1);
    }
    // one conversation per group in the database, each the one both engines named
    const conversations = (await first.lite.query<{ id: string }>("SELECT id FROM conversations WHERE title LIKE 'Alert:%'")).rows;
    expect(conversations.map((row) => row.id).sort()).toEqual(namespaces.map((_, index) => String(answers[index * 2]!.json().conversation_id)).sort());
  });
});
