/**
 * Issue 31 (6, 7) end to end: kube-sim as the cluster, the real MCP server, llm-sim as the model, the agent routes over
 * HTTP with APPROVAL_FOUR_EYES on, the cluster read back with the real kubectl.
 *
 * - An automatic revert is a change of its own: when its inverse would need a second person (scale back to 0 is
 *   SCALE_TO_ZERO, high), the requester cannot make it run on their choice alone. The card says so before anything is
 *   decided, and when such a revert falls due anyway (a verification resumed after a restart, chosen by the requester)
 *   it does not run: the deployment keeps its replicas and the inverse waits as Undo. Chosen by someone else, it runs.
 * - An automatic revert does not overwrite an edit made since the approval: when the inverse's fresh preview differs
 *   from the diff on the card (a colleague deployed a fix while the change was being verified), it does not run, the
 *   revert's card and audit say why with the new diff, and Undo proposes it with that diff.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AgentEvent } from '@skyflo/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashToolCall } from '../../src/domain/tool-calls/core/hash-tool-call.ts';
import { createToolCallInspector } from '../../src/domain/tool-calls/core/tool-call-inspector.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createSecretBox } from '../../src/platform/crypto/secret-box.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { captureBaseline, sealBefore } from '../../src/domain/tool-calls/core/baseline.ts';
import { resumeVerifications } from '../../src/domain/tool-calls/verify/resume-verifications.ts';
import { deploymentWithImage, startLiveCluster, type LiveCluster } from '../support/live-cluster.ts';
import { find, startVerifyAgent, type VerifyAgent } from './harness.ts';

let cluster: LiveCluster;
let direct: ToolGateway;
let agent: VerifyAgent;
const fourEyes = { policy: 'self' as const, fourEyes: true };

/** Runs once the engine has been told a verification ended `regressed`, before it acts on it: when the edit happens. */
let onRegressed: (() => Promise<void>) | undefined;
const tools: ToolGateway = {
  listTools: (options) => direct.listTools(options),
  async callTool(input) {
    const outcome = await direct.callTool(input);
    if (input.name === 'verify_change' && (outcome.structured as { outcome?: string } | undefined)?.outcome === 'regressed' && onRegressed) {
      const edit = onRegressed;
      onRegressed = undefined;
      await edit();
    }
    return outcome;
  },
  preview: (input) => direct.preview(input),
  close: async () => undefined,
};

const kubectl = (...args: string[]) => cluster.kubectl(...args);
const image = (name: string) => kubectl('get', 'deployment', name, '-n', 'default', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
const replicas = (name: string) => kubectl('get', 'deployment', name, '-n', 'default', '-o', 'jsonpath={.spec.replicas}');

function script(call: { id: string; name: string; arguments: Record<string, unknown> }) {
  agent.sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [call] } },
      { match: { toolName: call.name }, reply: 'Done.' },
    ],
  });
}

beforeAll(async () => {
  cluster = await startLiveCluster({
    name: 'revert-guards',
    kubeSim: { settings: { readinessDelayMs: 20, startDelayMs: 10, crashBackoffMs: 100 } },
    prepare: async ({ apply, kubectl }) => {
      for (const [name, image, count] of [['worker', 'nginx:1.27', 2], ['batch', 'crash:1.0', 0], ['jobs', 'crash:1.0', 0], ['nightly', 'crash:1.0', 0], ['stopped', 'crash:1.0', 0]] as const) {
        await apply(deploymentWithImage(name, image, count));
        await kubectl('rollout', 'status', `deployment/${name}`, '-n', 'default', '--timeout=60s');
      }
    },
  });
  direct = cluster.engineTools();
  agent = await startVerifyAgent({ tools, approvalPolicy: fourEyes });
}, 120_000);

afterEach(() => {
  onRegressed = undefined;
});

afterAll(async () => {
  await agent?.close();
  await direct?.close();
  await cluster?.close();
});

/**
 * A scale of `name` from 0 to 2 that ran and whose verification was under way when the engine stopped, approved with
 * automatic revert by `decidedBy` (alice asked for it); resumed, it ends `regressed` (crash:1.0 crash-loops).
 */
async function resumedScale(name: string, decidedBy: string, emergencyStop?: Parameters<typeof resumeVerifications>[0]['emergencyStop']) {
  const args = { name, resource_type: 'deployment', namespace: 'default', replicas: 2 };
  const baseline = await captureBaseline(direct, { tool: 'k8s_scale', args });
  expect(baseline?.inverse).toMatchObject({ tool: 'k8s_scale', args: expect.objectContaining({ replicas: 0 }) });
  await kubectl('scale', `deployment/${name}`, '--replicas=2', '-n', 'default');
  const box = createSecretBox(randomBytes(32));
  const storage = createInMemoryStorage();
  const { id: conversationId } = await storage.conversations.create({ userId: 'alice' });
  const inverse = baseline!.inverse!;
  await storage.approvals.request({
    conversationId,
    callId: `call_${name}`,
    runId: 'dead-run',
    tool: 'k8s_scale',
    args,
    argsHash: hashToolCall('k8s_scale', args),
    resolution: [],
    risks: [],
    destructive: false,
    requestedBy: 'alice',
    beforeSealed: sealBefore(box, conversationId, `call_${name}`, { args, ...(baseline!.before ? { before: baseline!.before } : {}), inverse }),
    undo: { tool: inverse.tool, args: inverse.args, summary: inverse.summary, argsHash: hashToolCall(inverse.tool, inverse.args) },
  });
  const runId = randomUUID();
  await storage.approvals.decide({ conversationId, callId: `call_${name}`, approve: true, decidedBy, decisionRunId: runId, autoRevert: true });
  await storage.approvals.claimExecution({ conversationId, callId: `call_${name}`, runId });
  await storage.approvals.markExecuted({ conversationId, callId: `call_${name}`, ok: true });
  await storage.approvals.saveVerification({ conversationId, callId: `call_${name}`, verification: { outcome: 'verifying', summary: 'Verifying', evidence: [], startedAt: Date.now() - 1000, deadline: Date.now() + 60_000, autoRevert: true } });
  const seen: AgentEvent[] = [];
  const finished = await resumeVerifications({
    storage,
    tools: direct,
    secretBox: box,
    inspector: createToolCallInspector(),
    config: agentConfig({ verifyTimeoutSeconds: 60, verifyHoldSeconds: 1 }),
    everyRunIsDead: true,
    approvalPolicy: fourEyes,
    ...(emergencyStop ? { emergencyStop } : {}),
    observeEvent: (event) => seen.push(event),
  });
  expect(finished).toBe(1);
  return { storage, conversationId, seen };
}

describe('automatic revert under four-eyes (issue 31, 6)', () => {
  it('the card of a scale from 0 says only someone other than the requester may approve it with automatic revert (its inverse scales to 0)', async () => {
    script({ id: 'call_batch', name: 'k8s_scale', arguments: { name: 'batch', resource_type: 'deployment', replicas: 2, namespace: 'default' } });
    const first = await agent.post('/agent/chat', { messages: [{ role: 'user', content: 'start batch with 2 replicas' }] });
    const awaiting = find(first.frames, 'tool.awaiting_approval')[0]!;
    // the change itself is not destructive: four-eyes lets alice approve it herself
    expect(awaiting).toMatchObject({ destructive: false, requested_by: { id: 'alice' } });
    expect(awaiting['undo']).toMatchObject({
      tool: 'k8s_scale',
      second_person_required: expect.stringMatching(/^Four-eyes \(APPROVAL_FOUR_EYES\): the inverse is destructive and carries a high risk \(SCALE_TO_ZERO\): only someone other than the requester may approve with automatic revert\.$/),
    });
    // and a change whose inverse is harmless offers it to the requester too
    script({ id: 'call_worker_card', name: 'k8s_set_image', arguments: { resource_name: 'worker', resource_type: 'deployment', namespace: 'default', container_images: 'worker=nginx:1.28' } });
    const other = await agent.post('/agent/chat', { messages: [{ role: 'user', content: 'update worker' }] });
    const card = find(other.frames, 'tool.awaiting_approval')[0]!;
    expect(card['undo']).toMatchObject({ tool: 'k8s_set_image' });
    expect(card['undo']).not.toHaveProperty('second_person_required');
  }, 180_000);

  it('a revert falling due on the requester\'s own choice does not scale to 0 in her name: the replicas stay, the revert\'s card and row say why, Undo stays', async () => {
    const { storage, conversationId, seen } = await resumedScale('jobs', 'alice');
    expect(await replicas('jobs')).toBe('2');
    const verification = (await storage.approvals.get(conversationId, 'call_jobs'))!.verification;
    expect(verification).toMatchObject({ outcome: 'regressed' });
    // not announced as an automatic revert (which the audit records in the approver's name)
    expect(verification).not.toHaveProperty('autoRevertCallId');
    expect(seen.map((event) => `${event.type}${'call_id' in event ? ` ${String(event.call_id)}` : ''}`)).toEqual(['tool.verification call_jobs', 'tool.verification call_jobs', 'tools.pending', 'tool.error call_jobs-revert']);
    expect(seen[1]).not.toHaveProperty('auto_revert_call_id');
    const revert = await storage.approvals.get(conversationId, 'call_jobs-revert');
    expect(revert).toMatchObject({ status: 'denied', automatic: true, decidedBy: 'system', undoOf: 'call_jobs', destructive: true });
    expect(revert!.reason).toMatch(/four-eyes \(APPROVAL_FOUR_EYES\): the inverse is destructive and carries a high risk \(SCALE_TO_ZERO\), and automatic revert was chosen by alice, who asked for the change/);
    const refused = seen.find((event) => event.type === 'tool.error' && event.call_id === 'call_jobs-revert');
    expect(refused).toMatchObject({ code: 'FOUR_EYES_REQUIRED', error: expect.stringMatching(/someone other than them must approve the inverse\.\nUndo on call_jobs proposes it/) });
    // nothing was approved or executed in her name
    expect(seen.filter((event) => event.type === 'tool.approved' || event.type === 'tool.executing')).toEqual([]);
    expect(JSON.stringify((await storage.conversations.get(conversationId))!.timeline)).toMatch(/FOUR_EYES_REQUIRED/);
  }, 180_000);

  it('chosen by someone other than the requester, the same revert runs and scales back to 0', async () => {
    const { storage, conversationId, seen } = await resumedScale('nightly', 'bob');
    expect(await replicas('nightly')).toBe('0');
    expect(await storage.approvals.get(conversationId, 'call_nightly-revert')).toMatchObject({ status: 'executed', automatic: true, decidedBy: 'bob' });
    expect(seen.find((event) => event.type === 'tool.approved' && event.call_id === 'call_nightly-revert')).toMatchObject({ decided_by: 'bob', automatic: true });
  }, 180_000);
});

describe('automatic revert during the emergency stop (issue 76)', () => {
  it('does not run while the stop is on: the replicas stay, the revert is refused with EMERGENCY_STOP, Undo stays', async () => {
    const stop = { state: async () => ({ reason: 'incident 42', by: { id: 'admin', email: 'admin@example.com' }, since: new Date('2026-11-29T15:00:00Z') }) };
    const { storage, conversationId, seen } = await resumedScale('stopped', 'bob', stop);
    expect(await replicas('stopped')).toBe('2');
    expect(await storage.approvals.get(conversationId, 'call_stopped-revert')).toMatchObject({ status: 'denied', automatic: true, decidedBy: 'system', reason: expect.stringContaining('the emergency stop is on (since 2026-11-29T15:00:00.000Z, by admin@example.com: incident 42)') });
    expect(seen.find((event) => event.type === 'tool.error' && event.call_id === 'call_stopped-revert')).toMatchObject({ code: 'EMERGENCY_STOP', error: expect.stringContaining('Undo on call_stopped stays available to a person once it is lifted.') });
    expect(seen.filter((event) => event.type === 'tool.approved' || event.type === 'tool.executing')).toEqual([]);
  }, 180_000);
});

describe('automatic revert after an edit made during verification (issue 31, 7)', () => {
  it('a fix deployed by a colleague while the change was verified is not overwritten: the revert does not run, says why with its new diff, and Undo proposes it with that diff', async () => {
    script({ id: 'call_worker', name: 'k8s_set_image', arguments: { resource_name: 'worker', resource_type: 'deployment', namespace: 'default', container_images: 'worker=crash:1.0' } });
    const first = await agent.post('/agent/chat', { messages: [{ role: 'user', content: 'deploy crash:1.0 to worker' }] });
    const conversationId = String(first.frames[0]!.data['conversation_id']);
    const awaiting = find(first.frames, 'tool.awaiting_approval')[0]!;
    expect(String((awaiting['undo'] as { diff?: string }).diff)).toMatch(/\+ +(- )?image: nginx:1\.27/);
    // the colleague's fix lands after the regression was seen, before the engine acts on it
    onRegressed = async () => void (await kubectl('set', 'image', 'deployment/worker', 'worker=nginx:1.28', '-n', 'default'));
    const second = await agent.post('/agent/approvals/call_worker', { approve: true, auto_revert: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });

    const verdict = find(second.frames, 'tool.verification').filter((event) => event['call_id'] === 'call_worker').at(-1);
    expect(verdict).toMatchObject({ outcome: 'regressed' });
    expect(verdict).not.toHaveProperty('auto_revert_call_id');
    expect(await image('worker')).toBe('nginx:1.28');
    const refused = find(second.frames, 'tool.error').find((event) => event['call_id'] === 'call_worker-revert');
    expect(refused).toMatchObject({ code: 'INVERSE_CHANGED' });
    expect(String(refused!['error'])).toMatch(/^Not run automatically: the object changed since the approval \(someone else edited it during verification\), so the inverse would overwrite that edit; its preview now differs from the diff shown on the approval card:\n/);
    expect(String(refused!['error'])).toMatch(/- +(- )?image: nginx:1\.28\n\+ +(- )?image: nginx:1\.27[\s\S]*Undo on call_worker proposes it/);
    expect(find(second.frames, 'tool.executing').map((event) => event['call_id'])).toEqual(['call_worker']);
    const row = await agent.storage.approvals.get(conversationId, 'call_worker-revert');
    expect(row).toMatchObject({ status: 'denied', automatic: true, decidedBy: 'system', undoOf: 'call_worker' });
    expect(row!.diff).toMatch(/image: nginx:1\.28/);
    await agent.harness.service.idle();
    expect(agent.auditRows.find((item) => item.action === 'tool.failed' && item.subjectId === 'call_worker-revert')?.details).toMatchObject({ code: 'INVERSE_CHANGED', executed: false });
    // nothing in the audit says it was reverted automatically in alice's name
    expect(agent.auditRows.filter((item) => item.action === 'approval.auto_reverted')).toEqual([]);
    expect(agent.toolResultSentToModel('call_worker')).toMatch(/Verification: regressed[\s\S]*Not run automatically: the object changed since the approval/);

    // Undo stays: it proposes the inverse with the diff against the colleague's image, waiting for a decision
    agent.sim.reset({ rules: [{ match: { toolName: 'k8s_set_image' }, reply: 'Reverted.' }] });
    const undo = await agent.post('/agent/approvals/call_worker/undo', { conversation_id: conversationId });
    const proposed = find(undo.frames, 'tool.awaiting_approval')[0]!;
    expect(proposed).toMatchObject({ tool: 'k8s_set_image', undo_of: 'call_worker' });
    expect(String(proposed['diff'])).toMatch(/- +(- )?image: nginx:1\.28\n\+ +(- )?image: nginx:1\.27/);
    expect(await image('worker')).toBe('nginx:1.28');
  }, 180_000);
});
