/**
 * Alerts from Debian's real Alertmanager 0.25 (issue 78 item 8), not hand-written payloads: Alertmanager groups the
 * alerts a test posts to its API, delivers them to the engine's webhook with a bearer API token, and repeats them on
 * its own timers (group_interval 1 s, repeat_interval 2 s here). A group of 101 alerts opens one investigation (it was
 * refused with a 400 that Alertmanager never retries); its repeats add lines without a model run; a new alert in the
 * group is investigated again with the change named.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startRealAlertmanager, type RealAlertmanager } from '@skyflo/testkit/services';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

let sim: LlmSim;
let team: TeamEngine;
let mia: string;
let alertmanager: RealAlertmanager;

const investigated = async () => (await team.lite.query<{ conversation_id: string }>("SELECT conversation_id FROM audit_events WHERE action = 'alert.investigated' ORDER BY sequence")).rows.map((row) => row.conversation_id);
const received = async () => (await team.lite.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_events WHERE action = 'alert.received'")).rows[0]!.n;
const alertEntries = async (conversationId: string) =>
  ((await team.call(mia, 'GET', `/conversations/${conversationId}`)).json().messages as Array<{ type: string; alert?: Record<string, any> }>).filter((entry) => entry.type === 'alert').map((entry) => entry.alert!);
const pod = (name: string) => ({ labels: { alertname: 'KubePodCrashLooping', namespace: 'prod', pod: name, severity: 'warning' }, annotations: { summary: `Pod prod/${name} is crash looping` } });

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [{ match: { always: true }, reply: 'Diagnosis: the pods crash on start.' }] });
  team = await startTeamEngine(sim);
  const admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  const token = (await team.call(mia, 'POST', '/auth/tokens', { name: 'alertmanager', scopes: ['alerts:write'] })).json().token as string;
  alertmanager = await startRealAlertmanager({ webhookUrl: `${team.baseUrl}/api/v1/alerts/alertmanager`, bearerToken: token });
}, 120_000);

afterAll(async () => {
  await alertmanager?.close();
  await team?.close();
  await sim?.close();
});

describe('the real Alertmanager delivering to the engine', () => {
  it('a group of 101 opens one investigation; repeats add lines, not runs; a new alert in the group runs it again', async () => {
    await alertmanager.fire(Array.from({ length: 101 }, (_, index) => pod(`web-${index}`)));
    await vi.waitFor(async () => expect(await investigated()).toHaveLength(1), { timeout: 60_000, interval: 200 });
    const [conversationId] = await investigated();
    const [card] = await alertEntries(conversationId!);
    expect(card).toMatchObject({ title: 'KubePodCrashLooping', count: 101, truncated_alerts: 1, receiver: 'skyflo' });

    // Alertmanager repeats the unchanged group every repeat_interval: each is a line on the card, no model run
    await vi.waitFor(async () => expect(((await alertEntries(conversationId!))[0]!['notes'] ?? []).length).toBeGreaterThanOrEqual(2), { timeout: 60_000, interval: 200 });
    expect((await alertEntries(conversationId!))[0]!['notes'][0].text).toBe('Fired again: the same 101 alerts firing.');
    expect(await investigated()).toEqual([conversationId]);

    // one more pod crash-loops: the group changed, so it is investigated again and told what changed
    const before = await received();
    await alertmanager.fire([pod('web-new')]);
    await vi.waitFor(async () => expect(await investigated()).toEqual([conversationId, conversationId]), { timeout: 60_000, interval: 200 });
    const cards = await alertEntries(conversationId!);
    expect(cards).toHaveLength(2);
    expect(cards[1]).toMatchObject({ count: 102, truncated_alerts: 2 });
    expect(cards[1]!['notes'][0].text).toBe('Changed since the last investigation: 1 started firing: pod=web-new (102 firing now).');
    expect(await received()).toBeGreaterThan(before);
  });
});
