/**
 * Issue 19, item 5: four-eyes (APPROVAL_FOUR_EYES) applies to every call with a high-severity risk, not only to
 * destructive ones. The reported case: an approver self-approved a helm_install whose rendered manifests grant
 * cluster-admin (CLUSTER_ADMIN_GRANT, high); only Kubernetes RBAC under impersonation stopped it.
 * The whole engine (accounts, APPROVAL_POLICY=approver, PGlite), llm-sim as the model, and a stand-in MCP server
 * whose preview_tool_call answers like ours for a chart that renders a cluster-admin ClusterRoleBinding.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from '../support/test-databases.ts';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decisionRefusal, type DecisionInput } from '../../src/domain/tool-calls/decide/decision-authority.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';

const clusterAdminRisk = { code: 'CLUSTER_ADMIN_GRANT', severity: 'high' as const, message: 'ClusterRoleBinding ops-admin grants cluster-admin to ServiceAccount ops/ops.' };

let sim: LlmSim;
let lite: PGlite;
let engine: TestEngine;
let tools: ToolGateway;
let mcpClient: Client;
let mcpServer: McpServer;
const installed: Array<Record<string, unknown>> = [];
let admin: string;
let ann: string;
let zoe: string;

async function startStandInMcp(): Promise<void> {
  mcpServer = new McpServer({ name: 'stand-in-skyflo-mcp', version: '0.0.0' });
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
  mcpServer.registerTool(
    'helm_install',
    {
      title: 'Install Helm Chart',
      description: 'Install a chart',
      inputSchema: { release_name: z.string(), chart: z.string(), namespace: z.string().optional() },
      // the catalogue's annotation says nothing about the grant: the risk comes from what the chart renders
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      _meta: { 'skyflo/toolset': 'helm', 'skyflo/tags': ['helm'], 'skyflo.ai/preview': true },
    },
    async (args) => {
      installed.push(args);
      return text(`release "${args.release_name}" installed`);
    },
  );
  mcpServer.registerTool(
    'preview_tool_call',
    {
      title: 'Preview a tool call',
      description: 'Preview a mutating call',
      inputSchema: { tool: z.string(), arguments: z.record(z.string(), z.unknown()) },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ tool, arguments: args }) => {
      const diff = '+apiVersion: rbac.authorization.k8s.io/v1\n+kind: ClusterRoleBinding\n+metadata:\n+  name: ops-admin\n+roleRef:\n+  name: cluster-admin';
      return { ...text(diff), structuredContent: { tool, previewTool: 'helm_upgrade_diff', resolved_arguments: args, resolution: [], diff, changed: true, risks: [clusterAdminRisk] } };
    },
  );
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await mcpServer.connect(serverTransport);
  mcpClient = new Client({ name: 'engine-test', version: '0.0.0' });
  await mcpClient.connect(clientTransport);
}

const call = (token: string, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => engine.request({ method, url: `/api/v1${url}`, token, ...(payload ? { payload } : {}) });
const frames = async (response: { statusCode: number; body: string }): Promise<SseFrame[]> => {
  expect(response.statusCode, response.body).toBe(200);
  return readSse(new Response(response.body));
};

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  await startStandInMcp();
  tools = createToolGateway({ client: mcpClient, cacheMs: 60_000 });
  lite = await newTestPglite();
  engine = await startTestEngine({ lite, tools, env: { TITLE_GENERATION_ENABLED: 'false', APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: 'true' }, llm: simModel(sim) });
  admin = await engine.signUp('admin@example.com');
  for (const email of ['ann@example.com', 'zoe@example.com']) {
    await call(admin, 'POST', '/team/members', { email, role: 'approver', password: `${email.split('@')[0]}-pass-4242` });
  }
  const token = async (email: string) => (await engine.login(email, `${email.split('@')[0]}-pass-4242`)).json().access_token as string;
  [ann, zoe] = [await token('ann@example.com'), await token('zoe@example.com')];
});

afterAll(async () => {
  await engine?.close();
  await tools?.close();
  await mcpClient?.close();
  await mcpServer?.close();
  await lite?.close();
  await sim?.close();
});

describe('four-eyes on high-risk calls', () => {
  it('the approver who asked for a helm_install that grants cluster-admin cannot approve it; another approver can', async () => {
    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'helm', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_install', name: 'helm_install', arguments: { release_name: 'ops', chart: 'acme/ops', namespace: 'ops' } }] } },
        { match: { toolName: 'helm_install' }, reply: 'Installed.' },
      ],
    });
    const asked = await frames(await call(ann, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'install the ops chart' }] }));
    const conversationId = String(asked[0]!.data['conversation_id']);
    const awaiting = asked.find((frame) => frame.event === 'tool.awaiting_approval')!.data;
    expect(awaiting).toMatchObject({ call_id: 'call_install', destructive: false, risks: [clusterAdminRisk] });

    // the Pending approvals page: ann may not decide her own high-risk call, zoe may
    expect((await call(ann, 'GET', '/approvals/pending')).json().data).toEqual([expect.objectContaining({ call_id: 'call_install', can_decide: false })]);
    expect((await call(zoe, 'GET', '/approvals/pending')).json().data).toEqual([expect.objectContaining({ call_id: 'call_install', can_decide: true })]);

    const self = await call(ann, 'POST', '/agent/approvals/call_install', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(self.statusCode).toBe(403);
    expect(self.json().detail).toBe(
      'Four-eyes (APPROVAL_FOUR_EYES): this call carries a high risk (CLUSTER_ADMIN_GRANT), so someone other than the person who asked for it must approve or deny it.',
    );
    expect(installed).toEqual([]);

    const approved = await frames(await call(zoe, 'POST', '/agent/approvals/call_install', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'], reason: 'reviewed the binding' }));
    expect(approved.find((frame) => frame.event === 'tool.approved')?.data).toMatchObject({ decided_by_email: 'zoe@example.com', reason: 'reviewed the binding' });
    expect(approved.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(installed).toEqual([{ release_name: 'ops', chart: 'acme/ops', namespace: 'ops' }]);
  });
});

describe('the four-eyes rule', () => {
  const base: DecisionInput = { policy: 'approver', fourEyes: true, actor: { id: 'ann', role: 'approver' }, conversationOwnerId: 'ann', reach: { actorScope: undefined, conversationCluster: undefined }, requestedBy: 'ann', destructive: false, risks: [] };
  it.each<[string, Partial<DecisionInput>, RegExp | undefined]>([
    ['a high risk on a non-destructive call', { risks: [{ code: 'CLUSTER_ADMIN_GRANT', severity: 'high' }] }, /carries a high risk \(CLUSTER_ADMIN_GRANT\)/],
    ['several high risks are named once each', { risks: [{ code: 'PRIVILEGED_POD', severity: 'high' }, { code: 'PRIVILEGED_POD', severity: 'high' }, { code: 'HOST_PATH', severity: 'high' }] }, /\(PRIVILEGED_POD, HOST_PATH\)/],
    ['a destructive call', { destructive: true }, /this call is destructive/],
    ['only medium and low risks: the requester decides', { risks: [{ code: 'MANAGED_BY_CONTROLLER', severity: 'medium' }, { code: 'NODE_CORDON', severity: 'low' }] }, undefined],
    ['another approver decides the high-risk call', { risks: [{ code: 'CLUSTER_ADMIN_GRANT', severity: 'high' }], actor: { id: 'zoe', role: 'approver' } }, undefined],
    ['four-eyes off', { fourEyes: false, risks: [{ code: 'CLUSTER_ADMIN_GRANT', severity: 'high' }] }, undefined],
  ])('%s', (_name, patch, reason) => {
    const refusal = decisionRefusal({ ...base, ...patch });
    if (!reason) expect(refusal).toBeUndefined();
    else expect(refusal?.reason).toMatch(reason);
  });
});
