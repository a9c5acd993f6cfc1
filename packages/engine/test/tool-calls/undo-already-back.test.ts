/**
 * Issue 37 item 8: Undo of a change that is already back. kube-sim as the cluster, the real MCP server, llm-sim as
 * the model, the agent routes over HTTP. An approved image change runs and is verified; then the live object is set
 * back outside Skyflo (as a controller or a colleague would). Undo then says the change is already back instead of
 * asking anyone to approve an empty change, and nothing runs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import { find, startVerifyAgent, type VerifyAgent } from './harness.ts';

const run = promisify(execFile);
let directory: string;
let kubeconfig: string;
let kube: KubeSim;
let mcp: McpHttpServer;
let agent: VerifyAgent;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } });
  return stdout.trim();
}
const image = () => kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-undo-back-'));
  kubeconfig = path.join(directory, 'kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig, settings: { readinessDelayMs: 20, startDelayMs: 10 } });
  const file = path.join(directory, 'web.yaml');
  await writeFile(
    file,
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
`,
  );
  await kubectl('apply', '-f', file);
  await kubectl('rollout', 'status', 'deployment/web', '-n', 'default', '--timeout=60s');
  mcp = await startMcpHttpServer({ port: 0, authToken: 'engine-mcp-token', settings: { kubeconfigPath: kubeconfig, kubectlPath } });
  agent = await startVerifyAgent({ tools: createToolGateway({ url: mcp.url, authToken: 'engine-mcp-token' }) });
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await mcp?.close();
  await kube?.close();
  await rm(directory, { recursive: true, force: true });
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
