/**
 * End-to-end with the real pieces: kube-sim as the cluster, the real MCP server over Streamable HTTP (the
 * engine's remote mode), llm-sim through the AI SDK client, and the agent routes over HTTP. The cluster state
 * is read back with the real kubectl.
 */
import { startMcpHttpServer } from '@skyflo/mcp-server';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import { startLiveCluster, type LiveCluster } from '../support/live-cluster.ts';
import { find, startSimAgent, streamAs, type SimAgent } from '../support/sim-agent.ts';

let cluster: LiveCluster;
let agent: SimAgent;
const kubectl = (...args: string[]) => cluster.kubectl(...args);
const post = streamAs(() => agent.harness.url);

beforeAll(async () => {
  cluster = await startLiveCluster({ name: 'e2e-real', prepare: async ({ apply }) => apply(deploymentYaml('web')) });
  agent = await startSimAgent(cluster.engineTools());
});

afterAll(async () => {
  await agent?.close();
  await cluster?.close();
});

describe('agent with the real MCP server and kube-sim', () => {
  it('read-only turn: the model reads the cluster through k8s_get', async () => {
    agent.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_get', name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'default' } }] } },
        { match: { toolName: 'k8s_get' }, reply: 'web is there.' },
      ],
    });
    const frames = await post('/agent/chat', { messages: [{ role: 'user', content: 'list deployments' }] });
    const result = find(frames, 'tool.result')[0]!;
    expect((result['result'] as Array<{ text: string }>)[0]!.text).toMatch(/web/);
    expect(find(frames, 'completed')[0]).toMatchObject({ status: 'completed' });
    // the default toolset is small: read-only kubectl tools plus load_toolset, no helm/argo/jenkins, no writes
    const offered = agent.sim.calls[0]!.toolNames;
    expect(offered).toContain('load_toolset');
    expect(offered).toContain('k8s_get');
    expect(offered).not.toContain('k8s_scale');
    expect(offered.some((name) => name.startsWith('helm_') || name.startsWith('jenkins_'))).toBe(false);
  });

  it('mutating turn: diff at approval time, approve, the cluster changes, the model verifies', async () => {
    agent.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        {
          match: { toolName: 'load_toolset' },
          reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 4, namespace: 'default' } }] },
        },
        { match: { toolName: 'k8s_scale' }, reply: { toolCalls: [{ id: 'call_check', name: 'k8s_get', arguments: { resource_type: 'deployment', name: 'web', namespace: 'default', output: 'json' } }] } },
        { match: { toolName: 'k8s_get' }, reply: 'Verified: web has 4 replicas.' },
      ],
    });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 4' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ call_id: 'call_scale', tool: 'k8s_scale' });
    // k8s_scale carries destructiveHint, but a scale from 2 to 4 loses nothing: not destructive, said in plain words (issue 19)
    expect(awaiting).toMatchObject({ destructive: false, policy_reason: 'Changes the cluster: scales deployment default/web to 4 replicas' });
    expect(String(awaiting['diff'])).toMatch(/^-\s+replicas: 2$/m);
    expect(String(awaiting['diff'])).toMatch(/^\+\s+replicas: 4$/m);
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('2');

    const second = await post('/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(second, 'tool.result')[0]).toMatchObject({ call_id: 'call_scale' });
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('4');
    // the verification read saw the new state
    const verify = find(second, 'tool.result')[1]!;
    expect((verify['result'] as Array<{ text: string }>)[0]!.text).toMatch(/"replicas": 4/);
    expect(find(second, 'completed')[0]).toMatchObject({ status: 'completed' });
  });

  it('a rollback to "previous" is approved as an absolute revision and refused when the deployment moved on (issue 7)', async () => {
    // checkout: revision 1 = nginx:1.26 (good), revision 2 = nginx:1.27 (current)
    await kubectl('create', 'deployment', 'checkout', '--image=nginx:1.26');
    await kubectl('rollout', 'status', 'deployment/checkout', '--timeout=30s');
    await kubectl('set', 'image', 'deployment/checkout', 'nginx=nginx:1.27');
    await kubectl('rollout', 'status', 'deployment/checkout', '--timeout=30s');
    agent.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load3', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_undo', name: 'k8s_rollout_undo', arguments: { name: 'checkout', resource_type: 'deployment', namespace: 'default' } }] } },
        { match: { toolName: 'k8s_rollout_undo' }, reply: 'The deployment changed; I will look again.' },
      ],
    });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'roll checkout back' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    // the approver is asked about revision 1 (nginx:1.26), not about "previous"
    expect(awaiting['args']).toMatchObject({ name: 'checkout', to_revision: 1 });
    expect((awaiting['resolution'] as string[]).join('\n')).toMatch(/to_revision: previous → 1 \(image nginx:1\.26\)/);

    // Before the approval a crash-looping image is rolled out: "previous" now means nginx:1.27.
    await kubectl('set', 'image', 'deployment/checkout', 'nginx=nginx:1.99-broken');
    const second = await post('/agent/approvals/call_undo', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(second, 'tool.error')[0]).toMatchObject({ call_id: 'call_undo', code: 'TARGET_CHANGED' });
    expect(find(second, 'tool.executing')).toHaveLength(0);
    expect(await kubectl('get', 'deployment', 'checkout', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('nginx:1.99-broken');
  });

  it('deny: the cluster stays as it was', async () => {
    agent.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load2', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_delete', name: 'k8s_delete', arguments: { name: 'web', resource_type: 'deployment', namespace: 'default' } }] } },
        { match: { toolResultContains: 'denied' }, reply: 'I will leave web alone.' },
      ],
    });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'delete web' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    expect(find(first, 'tool.awaiting_approval')[0]).toMatchObject({ tool: 'k8s_delete' });
    const second = await post('/agent/approvals/call_delete', { approve: false, conversation_id: conversationId, reason: 'production' });
    expect(find(second, 'tool.denied')).toHaveLength(1);
    expect(find(second, 'tool.executing')).toHaveLength(0);
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.metadata.name}')).toBe('web');
  });
});

describe('tool gateway against a token-protected MCP server', () => {
  it('sends MCP_AUTH_TOKEN as a bearer token; without it the catalogue cannot be read', async () => {
    const secured = await startMcpHttpServer({ port: 0, authToken: 'mcp-secret-token', settings: { kubeconfigPath: cluster.kubeconfig, kubectlPath } });
    const withToken = createToolGateway({ url: secured.url, authToken: 'mcp-secret-token' });
    const withoutToken = createToolGateway({ url: secured.url });
    try {
      const listed = await withToken.listTools();
      expect(listed.find((tool) => tool.name === 'k8s_scale')).toMatchObject({ toolset: 'k8s', annotations: { readOnlyHint: false }, preview: { tool: 'k8s_diff' } });
      const result = await withToken.callTool({ name: 'k8s_get', args: { resource_type: 'deployment', name: 'web', namespace: 'default' } });
      expect(result).toMatchObject({ isError: false });
      expect(result.text).toContain('web');
      await expect(withoutToken.listTools()).rejects.toThrow();
    } finally {
      await withToken.close();
      await withoutToken.close();
      await secured.close();
    }
  });
});
