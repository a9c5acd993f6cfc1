/**
 * Issue 34 × 21: Undo, automatic revert and Helm rollback on a cluster that enforces approvals. The engine
 * (SKYFLO_APPROVAL_ENFORCEMENT=cluster) + the real MCP server in-process on a read-only identity + kube-sim (TLS, RBAC,
 * the SkyfloApproval CRD, the webhook) + the real executor, kubectl and helm. Each inverse runs under its own
 * `skyflo-approval-*` account for exactly the inverse's objects, gone afterwards; an automatic revert's approval is
 * bound to the human approval "with automatic revert" of its change, and one without such an approval mints nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { grantedAccessAnnotation, type ApprovedAccess, type SkyfloApprovalSpec, type SkyfloApprovalStatus } from '@skyflo/protocol';
import { approvalObjectName } from '@skyflo/protocol/approval-hashes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import type { SseFrame } from '../../src/testing/read-sse.ts';
import { simModel, sseThrough, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';
import { oneCallScript } from '../support/sim-agent.ts';
import { signApproval } from '@skyflo/operator/executor';
import { profileRules } from '@skyflo/operator';
import { approvalsCrd, installNamespace, mcpUser, startEnforcedCluster, type EnforcedCluster } from './support/enforced-cluster.ts';

const callerToken = 'engine-executor-undo-token';
let cluster: EnforcedCluster;
let llm: LlmSim;
let lite: PGlite;
let inner: ToolGateway;
let engine: TestEngine;
let token: string;
/** runs with the credential of each approved call while it is in flight (the test's probe of what it may do) */
let duringCall: ((input: { name: string; token: string }) => Promise<void>) | undefined;

const kubectlWith = (kubeconfig: string, args: string[], input?: string) => cluster.kubectlWith(kubeconfig, args, input);
const kubectl = (...args: string[]) => cluster.kubectl(...args);
const helm = (...args: string[]) => cluster.helm(...args);
const apply = (objects: unknown[]) => cluster.apply(objects);
const replicasOf = (name: string) => kubectl('get', 'deployment', name, '-n', 'default', '-o', 'jsonpath={.spec.replicas}');
const approvalJson = async (name: string) => JSON.parse(await kubectl('get', 'skyfloapproval', name, '-n', installNamespace, '-o', 'json')) as { metadata: { annotations?: Record<string, string> }; spec: SkyfloApprovalSpec; status: SkyfloApprovalStatus };
/** What the executor computed the approved call writes and granted, recorded on its SkyfloApproval (issue 73). */
const grantOf = (approval: { metadata: { annotations?: Record<string, string> } }): ApprovedAccess[] => JSON.parse(approval.metadata.annotations?.[grantedAccessAnnotation] ?? '[]') as ApprovedAccess[];
const accountGone = (name: string) => expect(kubectl('get', 'serviceaccount', `skyflo-approval-${name}`, '-n', installNamespace)).rejects.toThrow(/NotFound|not found/);
const accountOf = (name: string) => `system:serviceaccount:${installNamespace}:skyflo-approval-${name}`;
const writesTo = (since: number, prefix: string) =>
  cluster.kube.calls.slice(since).filter((call) => ['create', 'update', 'patch', 'delete'].includes(call.verb ?? '') && call.path.startsWith(prefix) && call.query['dryRun'] !== 'All' && call.status < 300);

const frames = sseThrough(() => engine);

/** Asks for one call; returns the conversation and its approval card. */
async function propose(callId: string, toolset: 'k8s' | 'helm', name: string, args: Record<string, unknown>) {
  llm.reset(oneCallScript({ id: callId, name, arguments: args }, { toolset }));
  const asked = await frames({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { messages: [{ role: 'user', content: `please run ${name}` }] } });
  const awaiting = asked.find((frame) => frame.event === 'tool.awaiting_approval' && frame.data['call_id'] === callId);
  expect(awaiting, JSON.stringify(asked.map((frame) => [frame.event, frame.data['error'] ?? '']))).toBeDefined();
  return { conversationId: String(asked[0]!.data['conversation_id']), awaiting: awaiting!.data };
}
const decide = (conversationId: string, callId: string, argsHash: unknown, extra: Record<string, unknown> = {}) =>
  frames({ method: 'POST', url: `/api/v1/agent/approvals/${callId}`, token, payload: { approve: true, conversation_id: conversationId, args_hash: argsHash, ...extra } });
const errorsOf = (decided: SseFrame[]) => JSON.stringify(decided.filter((frame) => frame.event === 'tool.error').map((frame) => frame.data));

async function executorApi(method: string, pathname: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${cluster.executor!.url}${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${callerToken}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  cluster = await startEnforcedCluster({
    name: 'enforced-undo',
    callerToken,
    settings: { startDelayMs: 10, readinessDelayMs: 20, crashBackoffMs: 100 },
    crds: [approvalsCrd],
    prepare: async ({ kubectl, apply }) => {
      await kubectl('create', 'namespace', 'shop');
      await kubectl('create', 'deployment', 'web', '-n', 'default', '--image=nginx:1.27', '--replicas=2');
      // two pods of 3 CPUs each fill the two 4-CPU workers: a third stays Pending, so a scale-up to 3 ends `regressed`
      await apply([
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'worker', namespace: 'default' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'worker' } },
            template: { metadata: { labels: { app: 'worker' } }, spec: { containers: [{ name: 'worker', image: 'nginx:1.27', resources: { requests: { cpu: '3' } } }] } },
          },
        },
      ]);
      await kubectl('rollout', 'status', 'deployment/worker', '-n', 'default', '--timeout=60s');
      const rbac = 'rbac.authorization.k8s.io';
      // The MCP server's standing identity: the `read-only` profile an enforced install grants. Helm reads a release from
      // its storage Secrets, so here it may also read Secrets in the release's namespace (still no write anywhere).
      await apply([
        { apiVersion: `${rbac}/v1`, kind: 'ClusterRole', metadata: { name: 'skyflo-mcp-read-only' }, rules: profileRules('read-only') },
        { apiVersion: `${rbac}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'skyflo-mcp-read-only' }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'skyflo-mcp-read-only' }, subjects: [{ kind: 'User', name: mcpUser, apiGroup: rbac }] },
        { apiVersion: `${rbac}/v1`, kind: 'Role', metadata: { name: 'mcp-read-releases', namespace: 'shop' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }] },
        { apiVersion: `${rbac}/v1`, kind: 'RoleBinding', metadata: { name: 'mcp-read-releases', namespace: 'shop' }, roleRef: { apiGroup: rbac, kind: 'Role', name: 'mcp-read-releases' }, subjects: [{ kind: 'User', name: mcpUser, apiGroup: rbac }] },
      ]);
    },
  });
  const { dir } = cluster;

  // Two releases in `shop` installed by an administrator: `shop` at revision 2 (to roll back), `other` beside it.
  const chart = path.join(dir, 'chart');
  mkdirSync(path.join(chart, 'templates'), { recursive: true });
  writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: shop\nversion: 0.1.0\n');
  writeFileSync(path.join(chart, 'values.yaml'), 'mode: safe\n');
  writeFileSync(path.join(chart, 'templates', 'config.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  mode: {{ .Values.mode | quote }}\n');
  await helm('install', 'shop', chart, '--namespace', 'shop');
  await helm('upgrade', 'shop', chart, '--namespace', 'shop', '--set', 'mode=fast');
  await helm('install', 'other', chart, '--namespace', 'shop');

  llm = await startLlmSim({ port: 0 });
  ({ lite } = await createTestPglite());
  inner = createToolGateway({ embedded: { kubeconfigPath: cluster.mcpKubeconfig } });
  // The engine's tool gateway, with a probe that may use an approved call's credential while the call is in flight.
  const tools: ToolGateway = {

    listTools: (options) => inner.listTools(options),
    preview: (input) => inner.preview(input),
    close: () => inner.close(),
    async callTool(input) {
      if (input.credential && duringCall) await duringCall({ name: input.name, token: input.credential.token });
      return inner.callTool(input);
    },
  };
  engine = await startTestEngine({
    lite,
    tools,
    llm: simModel(llm),
    env: {
      TITLE_GENERATION_ENABLED: 'false',
      SKYFLO_APPROVAL_ENFORCEMENT: 'cluster',
      SKYFLO_EXECUTOR_URL: cluster.executor!.url,
      SKYFLO_EXECUTOR_TOKEN: callerToken,
      SKYFLO_APPROVAL_SIGNING_KEY: cluster.privateKeyPem,
      VERIFY_TIMEOUT_SECONDS: '20',
      VERIFY_HOLD_SECONDS: '1',
    },
  });
  token = await engine.signUp('admin@example.com');
}, 180_000);

afterAll(async () => {
  await engine?.close();
  await inner?.close();
  await lite?.close();
  await cluster?.close();
  await llm?.close();
});

describe('undo and automatic revert on a cluster that enforces approvals', () => {
  it('approved with automatic revert, a regressed scale is reverted by its own approval account, bound to the human approval', async () => {
    const { conversationId, awaiting } = await propose('call_scale_worker', 'k8s', 'k8s_scale', { name: 'worker', resource_type: 'deployment', replicas: 3, namespace: 'default' });
    expect(awaiting['undo']).toBeDefined();
    const before = cluster.kube.calls.length;
    const decided = await decide(conversationId, 'call_scale_worker', awaiting['args_hash'], { auto_revert: true });
    const verifications = decided.filter((frame) => frame.event === 'tool.verification').map((frame) => frame.data);
    expect(verifications.filter((event) => event['call_id'] === 'call_scale_worker').at(-1), errorsOf(decided)).toMatchObject({ outcome: 'regressed', auto_revert_call_id: 'call_scale_worker-revert' });
    expect(String(verifications.find((event) => event['outcome'] === 'regressed')?.['summary'])).toMatch(/Pending/);
    expect(verifications.filter((event) => event['call_id'] === 'call_scale_worker-revert').at(-1)).toMatchObject({ outcome: 'verified', undo_of: 'call_scale_worker' });
    const approvedFrames = decided.filter((frame) => frame.event === 'tool.approved').map((frame) => frame.data);
    const original = String(approvedFrames.find((event) => event['call_id'] === 'call_scale_worker')?.['approval_object']);
    const revert = String(approvedFrames.find((event) => event['call_id'] === 'call_scale_worker-revert')?.['approval_object']);
    expect(original).toMatch(/^a-/);
    expect(revert).toMatch(/^r-/);
    // no second approval was asked; the revert ran and brought the replicas back
    expect(decided.some((frame) => frame.event === 'tool.awaiting_approval')).toBe(false);
    expect(decided.find((frame) => frame.event === 'tool.result' && frame.data['call_id'] === 'call_scale_worker-revert'), errorsOf(decided)).toBeDefined();
    expect(await replicasOf('worker')).toBe('2');
    // who wrote: the change by its approval's account, the revert by its own
    const writes = writesTo(before, '/apis/apps/v1/namespaces/default/deployments/worker');
    expect(writes.map((call) => [call.verb, call.path, call.user])).toEqual([
      ['patch', '/apis/apps/v1/namespaces/default/deployments/worker/scale', accountOf(original)],
      ['patch', '/apis/apps/v1/namespaces/default/deployments/worker/scale', accountOf(revert)],
    ]);
    await accountGone(original);
    await accountGone(revert);
    // kubectl shows the binding: the revert names the human approval, which records automatic revert
    const originalObject = await approvalJson(original);
    const revertObject = await approvalJson(revert);
    expect(originalObject.status).toMatchObject({ decision: 'approved', autoRevert: true });
    expect(revertObject.spec.revertOf).toEqual({ approval: original, callId: 'call_scale_worker' });
    expect(revertObject.status).toMatchObject({ decision: 'approved', automatic: true, decidedBy: { id: originalObject.status.decidedBy?.id } });
    // what the executor computed the revert writes (issue 73), recorded on its approval
    expect(grantOf(revertObject).map((entry) => [entry.resource, entry.subresource, entry.namespace, entry.name, entry.verbs])).toEqual([['deployments', 'scale', 'default', 'worker', ['patch']]]);
  }, 180_000);

  it('a signed "automatic revert" of a change approved without automatic revert, or naming none, mints nothing', async () => {
    const { conversationId, awaiting } = await propose('call_scale_web', 'k8s', 'k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'default' });
    const decided = await decide(conversationId, 'call_scale_web', awaiting['args_hash']);
    const original = String(decided.find((frame) => frame.event === 'tool.approved')?.data['approval_object']);
    expect(await replicasOf('web')).toBe('3');
    const human = await approvalJson(original);
    expect(human.status.autoRevert).toBeUndefined();
    // what the engine's key could sign for the "revert": the same scale (its arguments hash to the signed argsHash)
    const scaleArguments = { name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'default', context: 'kube-sim' };
    const forge = async (name: string, revertOf?: { approval: string; callId: string }) => {
      const spec: SkyfloApprovalSpec = { ...human.spec, callId: 'call_scale_web-revert', ...(revertOf ? { revertOf } : {}) };
      const status = { decision: 'approved' as const, decidedBy: human.status.decidedBy!, decidedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 300_000).toISOString(), automatic: true };
      expect((await executorApi('POST', '/v1/approvals', { name, spec, status: { ...status, signature: await signApproval(cluster.privateKeyPem, name, spec, status) } })).status).toBe(201);
      return executorApi('POST', `/v1/approvals/${name}/credential`, { arguments: scaleArguments });
    };
    const revertName = approvalObjectName(conversationId, 'call_scale_web-revert', 'revert');
    const unbound = await forge(revertName, { approval: original, callId: 'call_scale_web' });
    expect(unbound).toMatchObject({ status: 403, json: { code: 'NOT_APPROVED' } });
    expect(String(unbound.json['message'])).toMatch(/not approved with automatic revert/);
    // an `r-` approval that names no change is not named for its own call (a revert's name says it reverts something)
    const nameless = await forge('r-forged-unbound');
    expect(nameless).toMatchObject({ status: 403, json: { code: 'NOT_APPROVED' } });
    expect(String(nameless.json['message'])).toMatch(/is not named for its own call/);
    await accountGone(revertName);
    await accountGone('r-forged-unbound');
    expect(await replicasOf('web')).toBe('3');
  }, 120_000);

  it('Undo through the API proposes the inverse, gated; approved, it runs under its own approval account', async () => {
    const { conversationId, awaiting } = await propose('call_scale_web_2', 'k8s', 'k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 4, namespace: 'default' });
    await decide(conversationId, 'call_scale_web_2', awaiting['args_hash']);
    expect(await replicasOf('web')).toBe('4');
    llm.reset({ rules: [{ match: { toolName: 'k8s_scale' }, reply: 'Undone.' }] });
    const undo = await frames({ method: 'POST', url: '/api/v1/agent/approvals/call_scale_web_2/undo', token, payload: { conversation_id: conversationId } });
    const proposed = undo.find((frame) => frame.event === 'tool.awaiting_approval')?.data;
    expect(proposed, JSON.stringify(undo.map((frame) => frame.event))).toMatchObject({ tool: 'k8s_scale', undo_of: 'call_scale_web_2' });
    expect(await replicasOf('web')).toBe('4');
    const before = cluster.kube.calls.length;
    const decided = await decide(conversationId, String(proposed!['call_id']), proposed!['args_hash']);
    const name = String(decided.find((frame) => frame.event === 'tool.approved')?.data['approval_object']);
    expect(decided.find((frame) => frame.event === 'tool.result')?.data, errorsOf(decided)).toMatchObject({ call_id: proposed!['call_id'] });
    expect(await replicasOf('web')).toBe('3');
    expect(writesTo(before, '/apis/apps/v1/namespaces/default/deployments/web').map((call) => [call.path, call.user])).toEqual([['/apis/apps/v1/namespaces/default/deployments/web/scale', accountOf(name)]]);
    await accountGone(name);
    expect(grantOf(await approvalJson(name)).map((entry) => [entry.resource, entry.subresource, entry.name, entry.verbs])).toEqual([['deployments', 'scale', 'web', ['patch']]]);
  }, 120_000);

  it('a Helm rollback runs with exactly the release’s revision Secrets, and its credential cannot write another release’s', async () => {
    const { conversationId, awaiting } = await propose('call_rollback', 'helm', 'helm_rollback', { release_name: 'shop', namespace: 'shop', revision: 1 });
    const probes: string[] = [];
    duringCall = async ({ name, token: credential }) => {
      if (name !== 'helm_rollback') return;
      const asApproval = path.join(cluster.dir, 'approval.kubeconfig');
      writeFileSync(
        asApproval,
        toYaml({
          apiVersion: 'v1',
          kind: 'Config',
          'current-context': 'a',
          clusters: [{ name: 'sim', cluster: { server: cluster.kube.url, 'insecure-skip-tls-verify': true } }],
          users: [{ name: 'a', user: { token: credential } }],
          contexts: [{ name: 'a', context: { cluster: 'sim', user: 'a', namespace: 'shop' } }],
        }),
      );
      for (const args of [
        ['annotate', 'secret', 'sh.helm.release.v1.other.v1', 'probe=1'],
        ['delete', 'secret', 'sh.helm.release.v1.other.v1'],
        ['annotate', 'configmap', 'other-config', 'probe=1'],
      ]) {
        probes.push(await kubectlWith(asApproval, [...args, '-n', 'shop']).then(() => 'written', (error: Error) => (/forbidden/i.test(error.message) ? 'forbidden' : error.message)));
      }
    };
    const before = cluster.kube.calls.length;
    let decided: SseFrame[];
    try {
      decided = await decide(conversationId, 'call_rollback', awaiting['args_hash']);
    } finally {
      duringCall = undefined;
    }
    expect(decided.find((frame) => frame.event === 'tool.result')?.data, errorsOf(decided)).toMatchObject({ call_id: 'call_rollback' });
    expect(probes).toEqual(['forbidden', 'forbidden', 'forbidden']);
    expect(await kubectl('get', 'configmap', 'shop-config', '-n', 'shop', '-o', 'jsonpath={.data.mode}')).toBe('safe');
    expect(JSON.parse(await helm('history', 'shop', '--namespace', 'shop', '--output', 'json')).map((entry: { revision: number; status: string }) => [entry.revision, entry.status])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'deployed'],
    ]);
    const name = String(decided.find((frame) => frame.event === 'tool.approved')?.data['approval_object']);
    const secrets = grantOf(await approvalJson(name)).filter((entry) => entry.resource === 'secrets').map((entry) => [entry.name, entry.verbs]);
    expect(secrets).toEqual([
      ['sh.helm.release.v1.shop.v3', ['create', 'update', 'patch']],
      ['sh.helm.release.v1.shop.v2', ['update', 'patch']],
    ]);
    const helmWrites = writesTo(before, '/api/v1/namespaces/shop/secrets').map((call) => [call.verb, call.user]);
    expect(helmWrites.length).toBeGreaterThan(0);
    expect(new Set(helmWrites.map(([, user]) => user))).toEqual(new Set([accountOf(name)]));
    await accountGone(name);
    expect(await kubectl('get', 'secret', 'sh.helm.release.v1.other.v1', '-n', 'shop', '-o', 'jsonpath={.metadata.annotations.probe}')).toBe('');
  }, 180_000);
});
