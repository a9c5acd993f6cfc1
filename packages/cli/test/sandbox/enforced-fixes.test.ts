/**
 * Issue 73 item 6: in the sandbox (which always enforces approvals) every kind of fix the product offers previews
 * through the executor and runs under enforcement. The engine is built as `skyflo sandbox` builds it — its env handed
 * over as configuration, not this process's environment — with the read-only MCP identity, one executor with its
 * webhook, and the scripted model. A k8s_patch, a k8s_rollout_undo, the Undo of a restart and a Helm upgrade are each
 * approved and each written by that approval's own ServiceAccount, as kube-sim's request log shows; the MCP server's
 * identity writes nothing (not even a dry-run: those went to the executor). A Helm preview reads the release's storage
 * Secrets, which the read-only identity may not: the executor renders it as its own identity (POST /v1/helm/render)
 * and answers without Secret values, and mints the approved upgrade's credential from its own render.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { helmPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxEngine, type Frame, type SandboxEngine } from './harness.ts';

let box: SandboxEngine;
let llm: LlmSim;
/** where the Helm test's local chart lives (the engine's HELM_CHART_DIRS) */
let charts: string;

const mcpUser = 'system:serviceaccount:skyflo:skyflo-mcp';
const kubectl = (...args: string[]) => box.kubectl(...args);
const stream = (pathname: string, payload: unknown) => box.stream(pathname, payload);
const sim = () => box.sandbox.clusters[0]!.sim;
/** Real writes (no dry-runs) under `prefix` since `mark`, as [user, verb, path]. */
const writesSince = (mark: number, prefix: string) =>
  sim()
    .calls.filter((call) => call.sequence > mark && ['create', 'update', 'patch', 'delete'].includes(call.verb ?? '') && call.path.startsWith(prefix) && call.query['dryRun'] !== 'All' && call.status < 300)
    .map((call) => [call.user, call.verb, call.path]);
const mark = () => sim().calls.at(-1)?.sequence ?? 0;

const errorsOf = (frames: Frame[]) => JSON.stringify(frames.filter((frame) => frame.event === 'tool.error' || frame.event === 'error').map((frame) => frame.data));

/** The model proposes one call; the card is awaited; a person approves it. Returns the decision's frames. */
async function approveOne(callId: string, toolset: 'k8s' | 'helm', tool: string, args: Record<string, unknown>, options: { runs?: boolean } = {}) {
  llm.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: `${callId}_load`, name: 'load_toolset', arguments: { toolset, include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: callId, name: tool, arguments: args }] } },
      { match: { toolName: tool }, reply: 'Done.' },
    ],
  });
  const asked = await stream('/api/v1/agent/chat', { messages: [{ role: 'user', content: `please run ${tool}` }] });
  const awaiting = asked.find((frame) => frame.event === 'tool.awaiting_approval' && frame.data['call_id'] === callId);
  expect(awaiting, JSON.stringify(asked.map((frame) => [frame.event, frame.data['error'] ?? frame.data['risks'] ?? '']))).toBeDefined();
  // the preview ran: a diff is on the card (no "approve without a preview" on an enforcing cluster)
  expect(String(awaiting!.data['diff'] ?? ''), JSON.stringify(awaiting!.data)).not.toBe('');
  const conversationId = String(asked[0]!.data['conversation_id']);
  const decided = await stream(`/api/v1/agent/approvals/${callId}`, { approve: true, conversation_id: conversationId, args_hash: awaiting!.data['args_hash'] });
  const approval = String(decided.find((frame) => frame.event === 'tool.approved')?.data['approval_object'] ?? '');
  if (options.runs !== false) expect(decided.find((frame) => frame.event === 'tool.result' && frame.data['call_id'] === callId), errorsOf(decided)).toBeDefined();
  return { conversationId, approval, decided };
}

beforeAll(async () => {
  llm = await startLlmSim({ port: 0 });
  // as `skyflo sandbox` runs the engine: its env is configuration, this process's environment has none of it
  expect(process.env['SKYFLO_DRY_RUN_URL']).toBeUndefined();
  charts = mkdtempSync(path.join(tmpdir(), 'skyflo-sandbox-charts-'));
  box = await startSandboxEngine({ HELM_CHART_DIRS: charts, LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: llm.url, LLM_MAX_RETRIES: '2', LLM_RETRY_BASE_DELAY_MS: '10', TITLE_GENERATION_ENABLED: 'false' });
}, 180_000);

afterAll(async () => {
  await box?.close();
  await llm?.close();
  if (charts) rmSync(charts, { recursive: true, force: true });
});

/** the real helm as the sandbox's admin (what someone did before Skyflo was asked) */
function adminHelm(args: string[]): Promise<string> {
  const home = path.join(charts, '.helm-home');
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') };
  return new Promise((resolve, reject) => {
    execFile(helmPath, [...args, '--kubeconfig', box.sandbox.kubeconfigPath], { env, timeout: 60_000 }, (error, stdout, stderr) => (error ? reject(new Error(`helm ${args[0]}: ${stderr}`)) : resolve(String(stdout))));
  });
}

describe('every kind of fix runs under enforcement in the sandbox', () => {
  it('a k8s_patch: previewed through the executor, written by its approval account', async () => {
    const before = mark();
    const { approval } = await approveOne('call_patch', 'k8s', 'k8s_patch', { name: 'checkout', resource_type: 'deployment', namespace: 'prod', patch: '{"metadata":{"labels":{"fixed-by":"skyflo"}}}', patch_type: 'merge' });
    expect(await kubectl('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.metadata.labels.fixed-by}')).toBe('skyflo');
    expect(writesSince(before, '/apis/apps/v1/namespaces/prod/deployments/checkout')).toEqual([[`system:serviceaccount:skyflo:skyflo-approval-${approval}`, 'patch', '/apis/apps/v1/namespaces/prod/deployments/checkout']]);
    // the MCP server's read-only identity sent no write to it at all, not even the preview's dry-run (the executor did)
    const toCheckout = (user: string) => sim().calls.filter((call) => call.sequence > before && call.user === user && call.path.startsWith('/apis/apps/v1/namespaces/prod/deployments/checkout') && call.method === 'PATCH');
    expect(toCheckout(mcpUser)).toEqual([]);
    expect(toCheckout('system:serviceaccount:skyflo:skyflo-executor').map((call) => call.query['dryRun'])).toContain('All');
  }, 120_000);

  it('a k8s_rollout_undo: back to the previous revision, written by its approval account', async () => {
    const image = await kubectl('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
    const before = mark();
    const { approval } = await approveOne('call_undo', 'k8s', 'k8s_rollout_undo', { name: 'checkout', resource_type: 'deployment', namespace: 'prod' });
    expect(await kubectl('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).not.toBe(image);
    expect(writesSince(before, '/apis/apps/v1/namespaces/prod/deployments/checkout').map(([user, verb]) => [user, verb])).toEqual([[`system:serviceaccount:skyflo:skyflo-approval-${approval}`, 'patch']]);
  }, 120_000);

  it('the Undo of a restart: the restart and its inverse each run under their own approval account', async () => {
    const before = mark();
    const restart = await approveOne('call_restart', 'k8s', 'k8s_rollout_restart', { name: 'payments', namespace: 'prod' });
    expect(await kubectl('get', 'deployment', 'payments', '-n', 'prod', '-o', "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}")).not.toBe('');
    llm.reset({ rules: [{ match: { toolName: 'k8s_rollout_undo' }, reply: 'Undone.' }, { match: {}, reply: 'Undone.' }] });
    const undo = await stream('/api/v1/agent/approvals/call_restart/undo', { conversation_id: restart.conversationId });
    const proposed = undo.find((frame) => frame.event === 'tool.awaiting_approval')?.data;
    expect(proposed, JSON.stringify(undo.map((frame) => [frame.event, frame.data['error'] ?? '']))).toMatchObject({ undo_of: 'call_restart' });
    const decided = await stream(`/api/v1/agent/approvals/${String(proposed!['call_id'])}`, { approve: true, conversation_id: restart.conversationId, args_hash: proposed!['args_hash'] });
    const undoApproval = String(decided.find((frame) => frame.event === 'tool.approved')?.data['approval_object'] ?? '');
    expect(decided.find((frame) => frame.event === 'tool.result'), errorsOf(decided)).toBeDefined();
    const users = writesSince(before, '/apis/apps/v1/namespaces/prod/deployments/payments').map(([user]) => user);
    expect(users).toEqual([`system:serviceaccount:skyflo:skyflo-approval-${restart.approval}`, `system:serviceaccount:skyflo:skyflo-approval-${undoApproval}`]);
    expect(undoApproval).not.toBe(restart.approval);
  }, 180_000);

  it('a Helm upgrade: previewed by the executor, written by its approval account', async () => {
    // a small local chart with a ConfigMap and a Secret, installed by the admin (revision 1)
    const chart = path.join(charts, 'shop');
    mkdirSync(path.join(chart, 'templates'), { recursive: true });
    writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: shop\nversion: 0.1.0\n');
    writeFileSync(path.join(chart, 'values.yaml'), 'mode: safe\npassword: installed-s3cret\n');
    writeFileSync(path.join(chart, 'templates', 'config.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\ndata:\n  mode: {{ .Values.mode | quote }}\n');
    writeFileSync(path.join(chart, 'templates', 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-credentials\nstringData:\n  password: {{ .Values.password | quote }}\n');
    await adminHelm(['install', 'shop', chart, '--namespace', 'prod']);
    const before = mark();
    const { approval, decided } = await approveOne('call_helm_upgrade', 'helm', 'helm_upgrade', { release_name: 'shop', chart, namespace: 'prod', values: 'mode: fast\npassword: upgraded-s3cret\n' });
    // the cluster changed: the ConfigMap holds the new value, the release is at revision 2
    expect(await kubectl('get', 'configmap', 'shop-config', '-n', 'prod', '-o', 'jsonpath={.data.mode}')).toBe('fast');
    expect(await kubectl('get', 'secrets', '-n', 'prod', '-l', 'owner=helm,name=shop', '-o', 'jsonpath={.items[*].metadata.labels.status}')).toBe('superseded deployed');
    const account = `system:serviceaccount:skyflo:skyflo-approval-${approval}`;
    // the object and the release's storage Secret were written by the approval's account, and only by it
    expect(writesSince(before, '/api/v1/namespaces/prod/configmaps/shop-config')).toEqual([[account, expect.stringMatching(/^(patch|update)$/), '/api/v1/namespaces/prod/configmaps/shop-config']]);
    const storageWrites = writesSince(before, '/api/v1/namespaces/prod/secrets');
    expect(storageWrites.map(([, , where]) => where)).toEqual(expect.arrayContaining(['/api/v1/namespaces/prod/secrets', '/api/v1/namespaces/prod/secrets/sh.helm.release.v1.shop.v2']));
    expect(new Set(storageWrites.map(([user]) => user))).toEqual(new Set([account]));
    // the MCP server's identity neither wrote nor read any Secret: the executor read the release storage for the preview
    expect(sim().calls.filter((call) => call.sequence > before && call.user === mcpUser && call.path.includes('/secrets'))).toEqual([]);
    expect(sim().calls.some((call) => call.sequence > before && call.user === 'system:serviceaccount:skyflo:skyflo-executor' && call.path.startsWith('/api/v1/namespaces/prod/secrets') && call.method === 'GET')).toBe(true);
    // what the conversation saw holds no Secret value (the preview's diff shows the ConfigMap change)
    expect(JSON.stringify(decided)).not.toContain('installed-s3cret');
  }, 180_000);

  it('a SkyfloPolicy applied with kubectl stops an approved change at the executor, even though the engine never heard of it', async () => {
    const policy = path.join(charts, 'no-scale-to-zero.yaml');
    writeFileSync(policy, 'apiVersion: skyflo.ai/v1alpha1\nkind: SkyfloPolicy\nmetadata: {name: no-scale-to-zero, namespace: skyflo}\nspec:\n  expression: tool == "k8s_scale" && args.replicas == 0\n  effect: deny\n  message: prod keeps at least one checkout pod\n');
    await kubectl('apply', '-f', policy);
    try {
      const replicas = await kubectl('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.spec.replicas}');
      const before = mark();
      const { decided } = await approveOne('call_scale_zero', 'k8s', 'k8s_scale', { name: 'checkout', resource_type: 'deployment', namespace: 'prod', replicas: 0 }, { runs: false });
      const refused = decided.find((frame) => frame.event === 'tool.error' && frame.data['call_id'] === 'call_scale_zero');
      expect(String(refused?.data['error'] ?? ''), errorsOf(decided)).toMatch(/no-scale-to-zero/);
      expect(String(refused?.data['error'] ?? '')).toMatch(/prod keeps at least one checkout pod/);
      // nothing was written, by anyone
      expect(writesSince(before, '/apis/apps/v1/namespaces/prod/deployments/checkout')).toEqual([]);
      expect(await kubectl('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.spec.replicas}')).toBe(replicas);
    } finally {
      await kubectl('delete', '-f', policy);
    }
  }, 180_000);
});
