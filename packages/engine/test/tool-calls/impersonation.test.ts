/**
 * EXECUTE_AS_APPROVER (issue 8): an approved mutation runs on the cluster as the human who approved it (Kubernetes
 * impersonation: their email, and the groups of their Skyflo role), so the cluster's own RBAC decides. Against
 * kube-sim with the real MCP server in-process and the real kubectl: an approver the cluster does not allow to
 * scale gets the cluster's 403, clearly reported, and nothing changes; once their group is bound, the same change
 * runs. Also: a caller other than the engine cannot borrow an identity or hand over Jenkins credentials.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { createMcpServer, createToolDeps } from '@skyflo/mcp-server';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import type { SseFrame } from '../../src/testing/read-sse.ts';
import { oneCallScript } from '../support/sim-agent.ts';
import { simModel, sseThrough, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const run = promisify(execFile);
let dir: string;
let kubeconfig: string;
let kube: KubeSim;
let llm: LlmSim;
let lite: PGlite;
let tools: ToolGateway;
let engine: TestEngine;
const tokens: Record<string, string> = {};

const kubectl = async (...args: string[]) => (await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(dir, 'cache') } })).stdout.trim();
const frames = sseThrough(() => engine);
/** The args_hash the awaiting card showed: what the approver's client echoes. */
const argsHashOf = (shown: SseFrame[]) => shown.find((frame) => frame.event === 'tool.awaiting_approval')?.data['args_hash'];
const scaleScript = (callId: string, replicas: number) => oneCallScript({ id: callId, name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas, namespace: 'default' } });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'skyflo-impersonation-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig, settings: { startDelayMs: 20, readinessDelayMs: 50 } });
  writeFileSync(path.join(dir, 'web.yaml'), deploymentYaml('web'));
  await kubectl('apply', '-f', path.join(dir, 'web.yaml'));
  llm = await startLlmSim({ port: 0 });
  ({ lite } = await createTestPglite());
  tools = createToolGateway({ embedded: { kubeconfigPath: kubeconfig } });
  engine = await startTestEngine({
    lite,
    tools,
    llm: simModel(llm),
    env: {
      TITLE_GENERATION_ENABLED: 'false',
      APPROVAL_POLICY: 'approver',
      EXECUTE_AS_APPROVER: 'true',
      IMPERSONATION_GROUPS: JSON.stringify({ admin: ['skyflo:admins'], approver: ['skyflo:approvers'], member: ['skyflo:members'] }),
    },
  });
  tokens.admin = await engine.signUp('admin@example.com');
  for (const [email, role] of [['mia@example.com', 'member'], ['ann@example.com', 'approver']] as const) {
    await engine.request({ method: 'POST', url: '/api/v1/team/members', token: tokens.admin, payload: { email, role, password: `${role}-initial-pass-42` } });
    tokens[role] = (await engine.login(email, `${role}-initial-pass-42`)).json().access_token as string;
  }
});

afterAll(async () => {
  await engine?.close();
  await tools?.close();
  await lite?.close();
  await kube?.close();
  await llm?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('EXECUTE_AS_APPROVER on kube-sim', () => {
  it("runs the approved call as the approver: the cluster's RBAC refuses it with its own 403, and nothing changes", async () => {
    llm.reset(scaleScript('call_scale_1', 3));
    const asked = await frames({ method: 'POST', url: '/api/v1/agent/chat', token: tokens.member, payload: { messages: [{ role: 'user', content: 'scale web to 3' }] } });
    const conversationId = String(asked[0]!.data['conversation_id']);
    expect(asked.some((frame) => frame.event === 'tool.awaiting_approval')).toBe(true);

    const decided = await frames({ method: 'POST', url: '/api/v1/agent/approvals/call_scale_1', token: tokens.approver, payload: { approve: true, conversation_id: conversationId, args_hash: argsHashOf(asked) } });
    const error = decided.find((frame) => frame.event === 'tool.error' && frame.data['call_id'] === 'call_scale_1');
    expect(String(error?.data['error'])).toMatch(/forbidden/i);
    expect(String(error?.data['error'])).toContain('User "ann@example.com" cannot');
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
  });

  it('once the approvers group may edit, the same kind of call runs, as the approver', async () => {
    await kubectl('create', 'rolebinding', 'approvers-edit', '--clusterrole=edit', '--group=skyflo:approvers', '-n', 'default');
    llm.reset(scaleScript('call_scale_2', 3));
    const asked = await frames({ method: 'POST', url: '/api/v1/agent/chat', token: tokens.member, payload: { messages: [{ role: 'user', content: 'scale web to 3' }] } });
    const conversationId = String(asked[0]!.data['conversation_id']);
    const decided = await frames({ method: 'POST', url: '/api/v1/agent/approvals/call_scale_2', token: tokens.approver, payload: { approve: true, conversation_id: conversationId, args_hash: argsHashOf(asked) } });
    expect(decided.find((frame) => frame.event === 'tool.result')?.data).toMatchObject({ call_id: 'call_scale_2', tool: 'k8s_scale' });
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
  });
});

describe('the engine-only _meta keys', () => {
  let jenkins: JenkinsSim;
  let untrusted: Client;
  let trusted: Client;

  beforeAll(async () => {
    jenkins = await startJenkinsSim({ token: 'jenkins-token-for-meta-test' });
    const connect = async (trustedCaller: boolean) => {
      const server = createMcpServer({ deps: createToolDeps({ kubeconfigPath: kubeconfig }), trustedCaller });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      const client = new Client({ name: trustedCaller ? 'engine' : 'someone-else', version: '1.0.0' });
      await client.connect(clientSide);
      return client;
    };
    untrusted = await connect(false);
    trusted = await connect(true);
  });

  afterAll(async () => {
    await untrusted?.close();
    await trusted?.close();
    await jenkins?.close();
  });

  const whoami = (client: Client) =>
    client.callTool({
      name: 'jenkins_whoami',
      arguments: { credentials_ref: 'skyflo/integration' },
      _meta: { 'skyflo.ai/jenkins-credentials': { api_url: jenkins.url, username: jenkins.user, api_token: 'jenkins-token-for-meta-test' } },
    }) as Promise<{ isError?: boolean; content: Array<{ text: string }> }>;

  it('refuses Jenkins credentials and impersonation from a caller that is not the engine, before doing anything', async () => {
    const refused = await whoami(untrusted);
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toMatch(/only the Skyflo engine's own connection may do/);
    expect(jenkins.calls).toEqual([]);

    const borrowed = (await untrusted.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 5, namespace: 'default' }, _meta: { 'skyflo.ai/impersonate': { user: 'admin@example.com', groups: ['system:masters'] } } })) as {
      isError?: boolean;
      content: Array<{ text: string }>;
    };
    expect(borrowed.isError).toBe(true);
    expect(borrowed.content[0]!.text).toMatch(/asked to act as "admin@example.com", which only the Skyflo engine's own connection may do/);
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
  });

  it("uses the engine's credentials for the call when the engine sends them", async () => {
    const answered = await whoami(trusted);
    expect(answered.isError).toBeFalsy();
    expect(answered.content[0]!.text).toContain(jenkins.user);
    expect(jenkins.calls.some((call) => call.user === jenkins.user && call.status === 200)).toBe(true);
  });
});
