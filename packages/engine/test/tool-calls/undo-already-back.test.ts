/**
 * Issue 37 item 8: Undo of a change that is already back. kube-sim as the cluster, the real MCP server, llm-sim as
 * the model, the agent routes over HTTP. An approved image change runs and is verified; then the live object is set
 * back outside Skyflo (as a controller or a colleague would). Undo then says the change is already back instead of
 * asking anyone to approve an empty change, and nothing runs.
 */
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveCluster, type LiveCluster } from '../support/live-cluster.ts';
import { find, startVerifyAgent, type VerifyAgent } from './harness.ts';

let cluster: LiveCluster;
let agent: VerifyAgent;
const kubectl = (...args: string[]) => cluster.kubectl(...args);
const image = () => kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');

beforeAll(async () => {
  cluster = await startLiveCluster({
    name: 'undo-back',
    kubeSim: { settings: { readinessDelayMs: 20, startDelayMs: 10 } },
    prepare: async ({ apply, kubectl }) => {
      await apply(deploymentYaml('web', 1));
      await kubectl('rollout', 'status', 'deployment/web', '-n', 'default', '--timeout=60s');
    },
  });
  agent = await startVerifyAgent({ tools: cluster.engineTools() });
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await cluster?.close();
});

describe('Undo of a change already set back (issue 37 item 8)', () => {
  it('says it is already back instead of asking to approve an empty change, and runs nothing', async () => {
    agent.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_img', name: 'k8s_set_image', arguments: { resource_name: 'web', resource_type: 'deployment', namespace: 'default', container_images: 'web=nginx:1.28' } }] } },
        { match: { toolName: 'k8s_set_image' }, reply: 'Done.' },
      ],
    });
    const first = await agent.post('/agent/chat', { messages: [{ role: 'user', content: 'set web to nginx:1.28' }] });
    const conversationId = String(first.frames[0]!.data['conversation_id']);
    const awaiting = find(first.frames, 'tool.awaiting_approval')[0]!;
    const approved = await agent.post('/agent/approvals/call_img', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(approved.frames, 'tool.result').find((event) => event['call_id'] === 'call_img')).toMatchObject({ undo_available: true });
    expect(await image()).toBe('nginx:1.28');

    // set back outside Skyflo, as a GitOps controller's self-heal or a colleague would
    await kubectl('set', 'image', 'deployment/web', 'web=nginx:1.27', '-n', 'default');
    expect(await image()).toBe('nginx:1.27');

    agent.sim.reset({ rules: [{ match: { toolName: 'k8s_set_image' }, reply: 'It was already back.' }] });
    const undo = await agent.post('/agent/approvals/call_img/undo', { conversation_id: conversationId });
    expect(find(undo.frames, 'tool.awaiting_approval')).toEqual([]);
    const refused = find(undo.frames, 'tool.error')[0]!;
    expect(refused).toMatchObject({ tool: 'k8s_set_image', code: 'ALREADY_BACK' });
    expect(String(refused['error'])).toMatch(/^Already back: .*nothing to undo/);
    expect(await image()).toBe('nginx:1.27');
  }, 180_000);
});
