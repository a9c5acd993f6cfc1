/**
 * The alert queue survives a restart (issue 31, item 3). Before, queued investigations lived in the engine's memory:
 * a restart lost them without a word. Now they wait in the database (alert_queue): an engine that stops leaves them
 * there, and the next engine on the database starts them. The first engine's running investigation hangs on the
 * model (llm-sim's `hang`), so the others are still queued when it stops.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const DIAGNOSIS = 'Diagnosis: node-2 ran out of disk space.';

let firstSim: LlmSim;
let secondSim: LlmSim;
let first: TeamEngine;
let second: TestEngine | undefined;

const investigated = async () => (await first.lite.query<{ conversation_id: string }>("SELECT conversation_id FROM audit_events WHERE action = 'alert.investigated' ORDER BY sequence")).rows.map((row) => row.conversation_id);
const queuedRows = async () => (await first.lite.query<{ conversation_id: string }>('SELECT conversation_id FROM alert_queue ORDER BY id')).rows.map((row) => row.conversation_id);

beforeAll(async () => {
  firstSim = await startLlmSim({ port: 0 });
  firstSim.reset({ failures: [{ kind: 'hang' }] });
  secondSim = await startLlmSim({ port: 0 });
  secondSim.reset({ rules: [{ match: { always: true }, reply: DIAGNOSIS }] });
  first = await startTeamEngine(firstSim, { ALERT_MAX_CONCURRENT_INVESTIGATIONS: '1', LLM_MAX_RETRIES: '0' });
});

afterAll(async () => {
  await second?.close();
  await firstSim?.close();
  await first?.close();
  await secondSim?.close();
});

describe('queued alert investigations across a restart', () => {
  it('an engine that stops leaves its queued investigations in the database; the next one starts them', async () => {
    const admin = await first.engine.signUp('admin@example.com');
    const token = (await first.call(admin, 'POST', '/auth/tokens', { name: 'alertmanager', scopes: ['alerts:write'] })).json().token as string;
    const post = (index: number) => first.call(token, 'POST', '/alerts', { title: `Disk pressure on node-${index}`, description: `node-${index} has DiskPressure` });
    const running = await post(1);
    const waiting = [await post(2), await post(3)];
    expect(running.json()).toMatchObject({ status: 'investigating' });
    expect(waiting.map((answer) => answer.json().status)).toEqual(['queued', 'queued']);
    const waitingIds = waiting.map((answer) => answer.json().conversation_id as string);
    await vi.waitFor(() => expect(firstSim.calls).toHaveLength(1), { timeout: 30_000 });

    // the engine stops; its model goes away, which ends the hung investigation
    const stopping = first.engine.close();
    await firstSim.close();
    await stopping;
    const runningId = running.json().conversation_id as string;
    expect(await queuedRows()).toEqual(waitingIds);
    // only the hung one ended (without its model); the queued ones did not start
    expect(await investigated()).toEqual([runningId]);

    // the next engine on the same database starts what waited
    second = await startTestEngine({ lite: first.lite, llm: simModel(secondSim), env: { TITLE_GENERATION_ENABLED: 'false', ALERT_MAX_CONCURRENT_INVESTIGATIONS: '1' } });
    await vi.waitFor(async () => expect(await investigated()).toEqual([runningId, ...waitingIds]), { timeout: 60_000 });
    expect(await queuedRows()).toEqual([]);
    const answer = (await second.request({ method: 'GET', url: `/api/v1/conversations/${waitingIds[1]}`, token: admin })).json().messages as Array<{ type: string; segments?: Array<{ kind: string; text?: string }> }>;
    expect(answer.filter((entry) => entry.type === 'assistant').at(-1)?.segments?.find((segment) => segment.kind === 'text')?.text).toBe(DIAGNOSIS);
  });
});
