/**
 * Issue 21 end to end: kube-sim as the cluster, the real MCP server (capture_change_baseline, verify_change), llm-sim
 * as the model, the agent routes over HTTP, the cluster read back with the real kubectl. Each test is one thing an
 * SRE notices: an approved change that breaks pods is reported `regressed` with the evidence and undone through a
 * second, gated call; a scale an HPA takes back is reported as such to the model; a healthy rollout is verified;
 * with automatic revert chosen, a crash-looping image is rolled back without a second approval.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SseFrame } from '../../src/testing/read-sse.ts';
import { deploymentWithImage, startLiveCluster, type LiveCluster } from '../support/live-cluster.ts';
import { find, startVerifyAgent, type VerifyAgent } from './harness.ts';

let cluster: LiveCluster;
let agent: VerifyAgent;
const kubectl = (...args: string[]) => cluster.kubectl(...args);

const post = async (pathname: string, body: unknown): Promise<SseFrame[]> => (await agent.post(pathname, body)).frames;
const image = (name: string) => kubectl('get', 'deployment', name, '-n', 'default', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');

/** api scales between 2 and 3 replicas on CPU */
const apiHpa = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api-hpa, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 3
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]
`;

/** The model loads the write tools, proposes `call`, and answers with text once it reads its result. */
function script(call: { id: string; name: string; arguments: Record<string, unknown> }, answer = 'Done.') {
  agent.sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [call] } },
      { match: { toolName: call.name }, reply: answer },
    ],
  });
}

beforeAll(async () => {
  cluster = await startLiveCluster({
    name: 'e2e-verify',
    kubeSim: { settings: { readinessDelayMs: 20, startDelayMs: 10, crashBackoffMs: 100, hpaSyncPeriodMs: 100, hpaDownscaleStabilizationMs: 0 } },
    prepare: async ({ apply, kubectl }) => {
      await apply(deploymentWithImage('web', 'nginx:1.27'));
      await apply(deploymentWithImage('shop', 'nginx:1.27'));
      await apply(deploymentWithImage('worker', 'nginx:1.27'));
      await apply(deploymentWithImage('api', 'nginx:1.27'));
      await apply(deploymentWithImage('batch', 'crash:1.0', 0));
      await apply(apiHpa);
      for (const name of ['web', 'shop', 'worker', 'api', 'batch']) await kubectl('rollout', 'status', `deployment/${name}`, '-n', 'default', '--timeout=60s');
    },
  });
  agent = await startVerifyAgent({ tools: cluster.engineTools() });
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await cluster?.close();
});

describe('verify, then undo (issue 21)', () => {
  it('(a) an image that cannot be pulled is regressed with the ImagePullBackOff evidence; Undo proposes the inverse, gated, and restores the old image', async () => {
    script({ id: 'call_img', name: 'k8s_set_image', arguments: { resource_name: 'web', resource_type: 'deployment', namespace: 'default', container_images: 'web=nginx:doesnotexist' } }, 'Image changed.');
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'set web to nginx:doesnotexist' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    // the card offers the inverse, shown before anything runs
    expect(awaiting['undo']).toMatchObject({ tool: 'k8s_set_image' });
    expect(String((awaiting['undo'] as { summary: string }).summary)).toMatch(/nginx:1\.27/);

    const second = await post('/agent/approvals/call_img', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    const verifications = find(second, 'tool.verification').filter((event) => event['call_id'] === 'call_img');
    expect(verifications.map((event) => event['outcome'])).toEqual(['verifying', 'regressed']);
    // while it waits, it says for how long at most (the harness's VERIFY_TIMEOUT_SECONDS, 60), not "Verifying k8s_set_image…"
    expect(verifications[0]!['summary']).toBe('up to 60 s');
    expect(JSON.stringify(verifications[1]!['evidence'])).toMatch(/ImagePullBackOff|ErrImagePull/);
    expect(find(second, 'tool.result').find((event) => event['call_id'] === 'call_img')).toMatchObject({ undo_available: true });
    // the verification event comes after the tool's result and before the model's answer
    const order = second.map((frame) => frame.event);
    expect(order.indexOf('tool.verification')).toBeGreaterThan(order.indexOf('tool.result'));
    expect(agent.toolResultSentToModel('call_img')).toMatch(/Verification: regressed/);
    expect(await image('web')).toBe('nginx:doesnotexist');

    // stored: the card in the timeline says regressed, and the conversation list marks it
    const stored = await agent.storage.conversations.get(conversationId);
    expect(JSON.stringify(stored!.timeline)).toMatch(/"outcome":"regressed"/);
    expect([...(await agent.storage.approvals.regressedConversations([conversationId]))]).toEqual([conversationId]);

    agent.sim.reset({ rules: [{ match: { toolName: 'k8s_set_image' }, reply: 'Reverted.' }] });
    const undo = await post('/agent/approvals/call_img/undo', { conversation_id: conversationId });
    const proposed = find(undo, 'tool.awaiting_approval')[0]!;
    expect(proposed).toMatchObject({ tool: 'k8s_set_image', undo_of: 'call_img' });
    expect(String(proposed['call_id'])).not.toBe('call_img');
    expect(String(proposed['diff'])).toMatch(/nginx:1\.27/);
    expect(find(undo, 'completed')[0]).toMatchObject({ status: 'completed', awaiting_approval: true });
    // nothing ran yet: the undo waits for a decision like any change
    expect(await image('web')).toBe('nginx:doesnotexist');

    const decided = await post(`/agent/approvals/${String(proposed['call_id'])}`, { approve: true, conversation_id: conversationId, args_hash: proposed['args_hash'] });
    const undoVerification = find(decided, 'tool.verification').filter((event) => event['call_id'] === proposed['call_id']);
    expect(undoVerification.at(-1)).toMatchObject({ outcome: 'verified', undo_of: 'call_img' });
    expect(await image('web')).toBe('nginx:1.27');
    // undone: the conversation is no longer marked regressed
    expect([...(await agent.storage.approvals.regressedConversations([conversationId]))]).toEqual([]);
  }, 180_000);

  it('(b) a scale the HPA takes back is reverted_by_controller, and the model reads who did it', async () => {
    script({ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'api', resource_type: 'deployment', replicas: 6, namespace: 'default' } }, 'Scaled.');
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale api to 6' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    const second = await post('/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    const final = find(second, 'tool.verification').at(-1)!;
    expect(final).toMatchObject({ call_id: 'call_scale', outcome: 'reverted_by_controller', controller: 'HorizontalPodAutoscaler default/api-hpa' });
    expect(agent.toolResultSentToModel('call_scale')).toMatch(/Verification: reverted_by_controller — .*HorizontalPodAutoscaler default\/api-hpa/);
    // the verdict may be the HPA's predicted clamp (6 is above its maxReplicas): the cluster gets there at the HPA's
    // next sync, which on a busy machine can come after this line (a CI run read 6 here)
    await vi.waitFor(async () => expect(Number(await kubectl('get', 'deployment', 'api', '-n', 'default', '-o', 'jsonpath={.spec.replicas}'))).toBeLessThan(6), { timeout: 60_000, interval: 250 });
  }, 180_000);

  it('(c) a healthy rollout is verified', async () => {
    script({ id: 'call_ok', name: 'k8s_set_image', arguments: { resource_name: 'shop', resource_type: 'deployment', namespace: 'default', container_images: 'shop=nginx:1.28' } });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'update shop' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    const second = await post('/agent/approvals/call_ok', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(second, 'tool.verification').map((event) => event['outcome'])).toEqual(['verifying', 'verified']);
    expect(agent.toolResultSentToModel('call_ok')).toMatch(/Verification: verified/);
    expect(await image('shop')).toBe('nginx:1.28');
    expect(agent.auditRows.some((row) => row.action === 'tool.verified' && row.subjectId === 'call_ok' && (row.details as { outcome?: string }).outcome === 'verified')).toBe(true);
  }, 180_000);

  it('(d) approved with automatic revert, a crash-looping image is rolled back with no second approval; both verifications streamed and audited', async () => {
    script({ id: 'call_crash', name: 'k8s_set_image', arguments: { resource_name: 'worker', resource_type: 'deployment', namespace: 'default', container_images: 'worker=crash:1.0' } }, 'It was rolled back.');
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'deploy crash:1.0 to worker' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    expect(awaiting['undo']).toBeDefined();
    const second = await post('/agent/approvals/call_crash', { approve: true, auto_revert: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(second, 'tool.approved').find((event) => event['call_id'] === 'call_crash')).toMatchObject({ auto_revert: true });
    const verifications = find(second, 'tool.verification');
    const original = verifications.filter((event) => event['call_id'] === 'call_crash').at(-1)!;
    expect(original).toMatchObject({ outcome: 'regressed', auto_revert_call_id: 'call_crash-revert' });
    const revert = verifications.filter((event) => event['call_id'] === 'call_crash-revert').at(-1)!;
    expect(revert).toMatchObject({ outcome: 'verified', undo_of: 'call_crash' });
    expect(find(second, 'tool.approved').find((event) => event['call_id'] === 'call_crash-revert')).toMatchObject({ automatic: true, decided_by: 'alice' });
    // no approval was asked for the revert
    expect(find(second, 'tool.awaiting_approval')).toEqual([]);
    expect(await image('worker')).toBe('nginx:1.27');
    expect(agent.toolResultSentToModel('call_crash')).toMatch(/Verification: regressed[\s\S]*Automatic revert ran/);
    const row = await agent.storage.approvals.get(conversationId, 'call_crash-revert');
    expect(row).toMatchObject({ status: 'executed', automatic: true, decidedBy: 'alice', undoOf: 'call_crash' });
    await agent.harness.service.idle();
    expect(agent.auditRows.filter((item) => item.action === 'approval.auto_reverted' && item.subjectId === 'call_crash-revert')).toHaveLength(1);
    expect(agent.auditRows.filter((item) => item.action === 'tool.verified' && ['call_crash', 'call_crash-revert'].includes(item.subjectId ?? '')).map((item) => (item.details as { outcome: string }).outcome)).toEqual(['regressed', 'verified']);
  }, 180_000);

  it('(e) the automatic revert records the risks of its inverse: scaling a crash-looping deployment back to 0 is flagged SCALE_TO_ZERO and destructive on its approval row', async () => {
    script({ id: 'call_batch', name: 'k8s_scale', arguments: { name: 'batch', resource_type: 'deployment', replicas: 2, namespace: 'default' } }, 'Scaled back to 0.');
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'start batch with 2 replicas' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    expect(awaiting['undo']).toMatchObject({ tool: 'k8s_scale' });
    const second = await post('/agent/approvals/call_batch', { approve: true, auto_revert: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    const verifications = find(second, 'tool.verification');
    expect(verifications.filter((event) => event['call_id'] === 'call_batch').at(-1)).toMatchObject({ outcome: 'regressed', auto_revert_call_id: 'call_batch-revert' });
    expect(verifications.filter((event) => event['call_id'] === 'call_batch-revert').at(-1)).toMatchObject({ outcome: 'verified', undo_of: 'call_batch' });
    expect(await kubectl('get', 'deployment', 'batch', '-n', 'default', '-o', 'jsonpath={.spec.replicas}')).toBe('0');
    // the revert's row carries what the gate would have flagged on its card, not an empty list
    const row = await agent.storage.approvals.get(conversationId, 'call_batch-revert');
    expect(row).toMatchObject({ status: 'executed', automatic: true, undoOf: 'call_batch', destructive: true });
    expect(row!.risks).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'SCALE_TO_ZERO', severity: 'high' })]));
    expect(find(second, 'tools.pending').flatMap((event) => event['tools'] as Array<Record<string, unknown>>).find((tool) => tool['call_id'] === 'call_batch-revert')).toMatchObject({ destructive: true });
  }, 180_000);
});
