/**
 * Issue 76 item 7: the emergency stop "ends running verifications and automatic reverts". kube-sim as the cluster
 * (its pods take minutes to become Ready, so a scale's verification keeps watching), the real MCP server's
 * verify_change, llm-sim, the agent routes over HTTP. The stop is engaged while the verification watches: it ends at
 * once as `stopped` (said to the model, stored on the card, never `timed_out`), no automatic revert runs though one was
 * chosen, and the run itself goes on (the model still answers). A stop the database does not hold ends nothing,
 * whatever the bus says.
 */
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { emergencyStopChannel, type EmergencyStopState } from '../../src/domain/emergency-stop/emergency-stop.ts';
import { watchEmergencyStop, type EmergencyStopSignal } from '../../src/domain/emergency-stop/stop-signal.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import type { SseFrame } from '../../src/testing/read-sse.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { startLiveCluster, type LiveCluster } from '../support/live-cluster.ts';
import { startSimAgent, streamAs, type SimAgent } from '../support/sim-agent.ts';

let cluster: LiveCluster;
let agent: SimAgent;
let stopSignal: EmergencyStopSignal;
const bus = createMemoryEventBus();
const storage = createInMemoryStorage();
/** the stop as "the database" holds it: what the watcher reads */
let stored: EmergencyStopState | undefined;

const kubectl = (...args: string[]) => cluster.kubectl(...args);
const events = (frames: SseFrame[], event: string, callId: string) => frames.filter((frame) => frame.event === event && frame.data['call_id'] === callId).map((frame) => frame.data);

const post = streamAs(() => agent.harness.url);

function scaleScript(callId: string, name: string) {
  agent.sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: `${callId}_load`, name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: callId, name: 'k8s_scale', arguments: { name, resource_type: 'deployment', replicas: 2, namespace: 'default' } }] } },
      { match: { toolName: 'k8s_scale' }, reply: 'Scaled; I could not see how it went.' },
    ],
  });
}

/** Proposes the scale, approves it, and engages the stop once its verification is watching; the approval's frames. */
async function approveThenStopWhileVerifying(callId: string, name: string, options: { autoRevert?: boolean } = {}) {
  scaleScript(callId, name);
  const first = await post('/agent/chat', { messages: [{ role: 'user', content: `scale ${name} to 2` }] });
  const conversationId = String(first[0]!.data['conversation_id']);
  const awaiting = events(first, 'tool.awaiting_approval', callId)[0]!;
  const decided = post('/agent/approvals/' + callId, { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'], ...(options.autoRevert ? { auto_revert: true } : {}) });
  await vi.waitFor(async () => expect((await storage.approvals.get(conversationId, callId))?.verification?.outcome).toBe('verifying'), { timeout: 60_000, interval: 50 });
  stored = { reason: 'INC-7 cascading failure', by: { id: 'zoe', email: 'zoe@example.com' }, since: new Date() };
  // the announcement every replica hears (engage() publishes it): a prompt to read the database, nothing more
  await bus.publish(emergencyStopChannel, 'emergency_stop.changed', { active: true, reason: 'forged' });
  return { conversationId, frames: await decided };
}

beforeAll(async () => {
  cluster = await startLiveCluster({
    name: 'stop-verify',
    // new pods become Ready only after ten minutes: a scale's verification keeps watching for its whole budget
    kubeSim: { settings: { readinessDelayMs: 600_000, startDelayMs: 10 } },
    prepare: async ({ apply }) => {
      for (const name of ['web', 'api', 'batch']) await apply(deploymentYaml(name, 0));
    },
  });
  stopSignal = watchEmergencyStop({ stop: { read: async () => stored }, bus });
  agent = await startSimAgent(cluster.engineTools(), {
    storage,
    bus,
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, verifyTimeoutSeconds: 300, verifyHoldSeconds: 1 }),
    emergencyStop: { state: async () => stored },
    emergencyStopSignal: stopSignal,
  });
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await stopSignal?.close();
  await cluster?.close();
});

describe('the emergency stop ends verifications in progress (issue 76)', () => {
  it('a scale whose pods are not Ready yet: engaged while it is verified, the verification ends as stopped, the run goes on', async () => {
    stored = undefined;
    const { conversationId, frames } = await approveThenStopWhileVerifying('call_web', 'web');
    expect(events(frames, 'tool.verification', 'call_web').map((event) => event['outcome'])).toEqual(['verifying', 'stopped']);
    const last = events(frames, 'tool.verification', 'call_web').at(-1)!;
    expect(last['summary']).toMatch(/^the emergency stop was engaged while it was checked \(since .*, by zoe@example\.com: INC-7 cascading failure\)\. The change had been made; how it went was not checked/);
    // the change was made (the stop cannot unsend it); the record and the model both say the verification was stopped
    expect(await kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
    expect((await storage.approvals.get(conversationId, 'call_web'))?.verification?.outcome).toBe('stopped');
    // the run was not ended: the model read the result and answered
    expect(frames.at(-1)).toMatchObject({ event: 'completed', data: expect.objectContaining({ status: 'completed' }) });
    expect(agent.sim.calls.at(-1)?.messages.some((message) => message.role === 'tool' && JSON.stringify(message.content).includes('Verification: stopped'))).toBe(true);
  }, 180_000);

  it('with automatic revert chosen, no revert runs once the stop has ended the verification', async () => {
    stored = undefined;
    const { conversationId, frames } = await approveThenStopWhileVerifying('call_api', 'api', { autoRevert: true });
    expect(events(frames, 'tool.verification', 'call_api').at(-1)).toMatchObject({ outcome: 'stopped' });
    expect(events(frames, 'tool.verification', 'call_api').at(-1)?.['auto_revert_call_id']).toBeUndefined();
    expect(frames.some((frame) => String(frame.data['call_id'] ?? '').startsWith('call_api-revert'))).toBe(false);
    expect(await storage.approvals.get(conversationId, 'call_api-revert')).toBeUndefined();
    expect(await kubectl('get', 'deployment', 'api', '-n', 'default', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
  }, 180_000);

  it("the attacker's spelling: an announcement on the bus with no stop in the database ends nothing", async () => {
    stored = undefined;
    scaleScript('call_batch', 'batch');
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale batch to 2' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = events(first, 'tool.awaiting_approval', 'call_batch')[0]!;
    const decided = post('/agent/approvals/call_batch', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    await vi.waitFor(async () => expect((await storage.approvals.get(conversationId, 'call_batch'))?.verification?.outcome).toBe('verifying'), { timeout: 60_000, interval: 50 });
    await bus.publish(emergencyStopChannel, 'emergency_stop.changed', { active: true, reason: 'forged' });
    await stopSignal.sync();
    expect(stopSignal.current().aborted).toBe(false);
    // still watching (a real stop then ends it: the verification was alive until now)
    expect((await storage.approvals.get(conversationId, 'call_batch'))?.verification?.outcome).toBe('verifying');
    stored = { reason: 'now for real', by: { id: 'zoe', email: 'zoe@example.com' }, since: new Date() };
    await stopSignal.sync();
    expect(events(await decided, 'tool.verification', 'call_batch').at(-1)).toMatchObject({ outcome: 'stopped', summary: expect.stringContaining('now for real') });
    stored = undefined;
    await stopSignal.sync();
    expect(stopSignal.current().aborted).toBe(false); // lifted: what verifies next is not ended
  }, 180_000);
});
