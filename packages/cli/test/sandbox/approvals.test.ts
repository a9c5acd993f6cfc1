/**
 * `skyflo sandbox` runs cluster-enforced approvals (issue 34) against its two simulated clusters, read back with the real
 * kubectl as a newcomer would: the MCP server's kubeconfig is read-only (kube-sim answers 403 to its writes), the
 * executor runs in-process per cluster under its own identity with its webhook registered, the engine's signing key and
 * caller token are kept 0600 in the state dir, an approval signed with that key is mirrored as a SkyfloApproval that
 * `kubectl get skyfloapprovals` shows, and the approved scale is written by that approval's own ServiceAccount.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { approvalSigningInput, canonicalJson, normaliseForAdmission, type SkyfloApprovalSpec, type SkyfloApprovalStatus } from '@skyflo/protocol';
import { approvalObjectName, toolCallHash } from '@skyflo/protocol/approval-hashes';
import { CompactSign, importPKCS8 } from 'jose';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import { allTools, createToolDeps, runTool } from '@skyflo/mcp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxIdentities, startSandboxApprovals, type SandboxApprovals } from '../../src/sandbox-approvals.ts';
import { startSandboxClusters, type SandboxClusters } from '../../src/sandbox-clusters.ts';

const run = promisify(execFile);
let directory: string;
let sandbox: SandboxClusters;
let approvals: SandboxApprovals;

async function kubectl(kubeconfig: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
const admin = (...args: string[]) => kubectl(sandbox.kubeconfigPath, ...args);
const asMcp = (...args: string[]) => kubectl(approvals.mcpKubeconfigPath, ...args);

/** What the engine does (packages/protocol's contract): the admission hash of a dry-run, an EdDSA JWS with a detached payload. */
const contentHash = (object: Record<string, unknown>) => createHash('sha256').update(canonicalJson(normaliseForAdmission(object))).digest('hex');
async function signApproval(privateKeyPem: string, name: string, spec: SkyfloApprovalSpec, status: Omit<SkyfloApprovalStatus, 'signature'>): Promise<string> {
  const jws = await new CompactSign(new TextEncoder().encode(approvalSigningInput(name, spec, status))).setProtectedHeader({ alg: 'EdDSA' }).sign(await importPKCS8(privateKeyPem.trim(), 'EdDSA'));
  const [header, , signature] = jws.split('.');
  return `${header}..${signature}`;
}

async function executorApi(url: string, method: string, pathname: string, body?: unknown, token = readFileSync(approvals.env.SKYFLO_EXECUTOR_TOKEN_FILE!, 'utf8')) {
  const response = await fetch(`${url}${pathname}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'skyflo-sandbox-approvals-'));
  const identities = sandboxIdentities();
  sandbox = await startSandboxClusters({ count: 2, kubeconfigPath: path.join(directory, 'data', 'sandbox.kubeconfig'), users: identities.users, tls: true, webhookToken: identities.admissionToken });
  approvals = await startSandboxApprovals(sandbox, identities, path.join(directory, 'data'));
}, 120_000);

afterAll(async () => {
  await approvals?.close();
  await sandbox?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('skyflo sandbox: cluster-enforced approvals', () => {
  it('gives the engine the enforcement env, one executor per cluster, and keeps the key and token 0600 in the state dir', async () => {
    expect(approvals.env.SKYFLO_APPROVAL_ENFORCEMENT).toBe('cluster');
    expect(JSON.parse(approvals.env.SKYFLO_EXECUTORS!)).toEqual({ 'sandbox-a': approvals.executors[0]!.url, 'sandbox-b': approvals.executors[1]!.url });
    expect(approvals.env.SKYFLO_EXECUTOR_URL).toBe(approvals.executors[0]!.url);
    expect(approvals.env.KUBECONFIG).toBe(approvals.mcpKubeconfigPath);
    for (const file of [approvals.env.SKYFLO_APPROVAL_SIGNING_KEY_FILE!, approvals.env.SKYFLO_EXECUTOR_TOKEN_FILE!, approvals.env.SKYFLO_DRY_RUN_TOKEN_FILE!, approvals.mcpKubeconfigPath]) {
      expect(path.dirname(file)).toBe(path.join(directory, 'data', 'sandbox-approvals'));
      expect(statSync(file).mode & 0o777, file).toBe(0o600);
    }
    for (const { url } of approvals.executors) expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // issue 73: the MCP server's token is its own and opens the dry-run proxy only; the engine's opens no dry-run
    expect(readFileSync(approvals.env.SKYFLO_DRY_RUN_TOKEN_FILE!, 'utf8')).not.toBe(readFileSync(approvals.env.SKYFLO_EXECUTOR_TOKEN_FILE!, 'utf8'));
    const mcpToken = readFileSync(approvals.env.SKYFLO_DRY_RUN_TOKEN_FILE!, 'utf8');
    const executor = approvals.executors[0]!.url;
    for (const [method, pathname] of [['GET', '/v1/approver-keys'], ['POST', '/v1/approvals'], ['DELETE', '/v1/approvals/any/credential'], ['POST', '/v1/admission']]) {
      expect((await executorApi(executor, method!, pathname!, method === 'GET' ? undefined : {}, mcpToken)).status, `${method} ${pathname}`).toBe(403);
    }
    expect((await executorApi(executor, 'POST', '/v1/dry-run', { method: 'PATCH', path: '/apis/apps/v1/namespaces/prod/deployments/checkout', body: {} })).status).toBe(403);
    // the webhook answers only the simulated API servers, which present the admission token as kube-apiserver would
    expect((await fetch(`${executor}/v1/admission`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request: { uid: 'x' } }) })).status).toBe(401);
    expect(approvals.lines.join('\n')).toContain(`kubectl --kubeconfig ${sandbox.kubeconfigPath} get skyfloapprovals -n skyflo`);
  });

  it("the MCP server's own identity reads and cannot write, in both clusters", async () => {
    for (const context of ['sandbox-a', 'sandbox-b']) {
      expect((await asMcp('--context', context, 'get', 'deployments', '-A', '-o', 'name')).stdout, context).toContain('deployment.apps/');
      expect((await asMcp('--context', context, 'auth', 'can-i', 'patch', 'deployments', '-n', 'prod')).stdout.trim(), context).toBe('no');
      const webhooks = await admin('--context', context, 'get', 'validatingwebhookconfigurations', '-o', 'name');
      expect(webhooks.stdout, context).toContain('validatingwebhookconfiguration.admissionregistration.k8s.io/skyflo-approvals-skyflo');
    }
    const scaled = await asMcp('scale', 'deployment', 'checkout', '-n', 'prod', '--replicas=3');
    expect(scaled.code).not.toBe(0);
    expect(scaled.stderr).toContain('is forbidden: User "system:serviceaccount:skyflo:skyflo-mcp"');
    expect((await admin('get', 'skyfloapprovals', '-n', 'skyflo')).stderr).toContain('No resources found');
  });

  it('an approval signed with the engine key is listed by kubectl and its scale is written by its own ServiceAccount', async () => {
    const before = (await admin('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.spec.replicas}')).stdout;
    const replicas = Number(before) + 1;
    const dryRun = await admin('patch', 'deployment', 'checkout', '-n', 'prod', '--subresource=scale', '--type=merge', '-p', JSON.stringify({ spec: { replicas } }), '--dry-run=server', '-o', 'json');
    const access = [{ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'prod', name: 'checkout', verbs: ['patch' as const], contentHash: contentHash(JSON.parse(dryRun.stdout)) }];
    // what the engine signs: the call's arguments by hash; the executor computes what they write (issue 73)
    const scaleArguments = { name: 'checkout', resource_type: 'deployment', replicas, namespace: 'prod' };
    const cluster = { name: 'sandbox-a', server: sandbox.clusters[0]!.sim.url };
    const spec = { conversationId: 'c-1', callId: 'call-1', tool: 'k8s_scale', cluster, argsHash: toolCallHash('k8s_scale', scaleArguments, cluster), requestedBy: { id: 'u-1', email: 'newcomer@example.com' }, requestedAt: new Date().toISOString() };
    const name = approvalObjectName('c-1', 'call-1');
    const status = { decision: 'approved' as const, decidedBy: { id: 'u-1', email: 'newcomer@example.com' }, decidedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 10 * 60_000).toISOString() };
    const signature = await signApproval(readFileSync(approvals.env.SKYFLO_APPROVAL_SIGNING_KEY_FILE!, 'utf8'), name, spec, status);
    const executor = approvals.executors[0]!.url;
    expect((await executorApi(executor, 'POST', '/v1/approvals', { name, spec, status: { ...status, signature } })).status).toBe(201);

    const listed = (await admin('get', 'skyfloapprovals', '-n', 'skyflo')).stdout.split('\n');
    expect(listed[0]).toMatch(/^NAME\s+TOOL\s+TARGET\s+DECISION\s+BY\s+AGE/);
    expect(listed.find((row) => row.startsWith(name))?.split(/\s+/).slice(0, 5)).toEqual([name, 'k8s_scale', 'sandbox-a', 'approved', 'newcomer@example.com']);

    const minted = await executorApi(executor, 'POST', `/v1/approvals/${name}/credential`, { arguments: scaleArguments });
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    expect(minted.body.access).toEqual(access);
    const sim = sandbox.clusters[0]!.sim;
    const server = sim.url;
    const tokenKubeconfig = path.join(directory, 'approval.kubeconfig');
    writeFileSync(tokenKubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'a', clusters: [{ name: 'a', cluster: { server, 'insecure-skip-tls-verify': true } }], users: [{ name: 'a', user: { token: minted.body.token } }], contexts: [{ name: 'a', context: { cluster: 'a', user: 'a' } }] }), { mode: 0o600 });
    const wrong = await kubectl(tokenKubeconfig, 'scale', 'deployment', 'checkout', '-n', 'prod', `--replicas=${replicas + 5}`);
    expect(wrong.stderr).toContain('admission webhook "approvals.executor.skyflo.ai" denied the request');
    expect((await kubectl(tokenKubeconfig, 'scale', 'deployment', 'checkout', '-n', 'prod', `--replicas=${replicas}`)).code).toBe(0);
    const writes = sim.calls.filter((call) => call.method === 'PATCH' && call.path === '/apis/apps/v1/namespaces/prod/deployments/checkout/scale' && !call.query.dryRun);
    // the request log: the MCP server's own attempt (403, RBAC), the approval's other content (403, admission), the approved one
    expect(writes.map((call) => [call.user, call.status])).toEqual([
      ['system:serviceaccount:skyflo:skyflo-mcp', 403],
      [`system:serviceaccount:skyflo:skyflo-approval-${name}`, 403],
      [`system:serviceaccount:skyflo:skyflo-approval-${name}`, 200],
    ]);
    expect((await executorApi(executor, 'DELETE', `/v1/approvals/${name}/credential`)).status).toBe(204);
    expect((await admin('get', 'serviceaccount', `skyflo-approval-${name}`, '-n', 'skyflo', '--ignore-not-found', '-o', 'name')).stdout).toBe('');
  });

  it("the MCP server's read-only identity previews a patch through the executor's dry-run proxy, and the approved patch is admitted", async () => {
    const sim = sandbox.clusters[0]!.sim;
    const patch = JSON.stringify({ metadata: { labels: { previewed: 'approved' } } });
    // What the engine's MCP server gets from `skyflo sandbox`: the dry-run proxy's settings, as configuration.
    const deps = createToolDeps({ kubeconfigPath: approvals.mcpKubeconfigPath, kubectlPath, helmPath, dryRunProxyEnv: { SKYFLO_DRY_RUN_URL: approvals.env.SKYFLO_DRY_RUN_URL, SKYFLO_DRY_RUN_URLS: approvals.env.SKYFLO_DRY_RUN_URLS, SKYFLO_DRY_RUN_TOKEN_FILE: approvals.env.SKYFLO_DRY_RUN_TOKEN_FILE } });
    const preview = await runTool(allTools.find((tool) => tool.name === 'preview_tool_call')!, { tool: 'k8s_patch', arguments: { name: 'checkout', resource_type: 'deployment', namespace: 'prod', patch, patch_type: 'merge' } }, deps, { signal: new AbortController().signal });
    expect(preview.isError, preview.text).toBeFalsy();
    const dryRun = await admin('patch', 'deployment', 'checkout', '-n', 'prod', '--type=merge', '-p', patch, '--dry-run=server', '-o', 'json');
    const access = [{ apiGroup: 'apps', resource: 'deployments', namespace: 'prod', name: 'checkout', verbs: ['patch' as const], contentHash: contentHash(JSON.parse(dryRun.stdout)) }];
    expect(preview.structured?.['access']).toEqual(access);
    // The dry-run ran as the executor, forced to dryRun=All; the MCP identity sent no write and nothing changed.
    const patches = sim.calls.filter((call) => call.method === 'PATCH' && call.path === '/apis/apps/v1/namespaces/prod/deployments/checkout');
    expect(patches.filter((call) => call.user === 'system:serviceaccount:skyflo:skyflo-executor').map((call) => call.query.dryRun)).toContain('All');
    expect(patches.filter((call) => call.user !== 'system:serviceaccount:skyflo:skyflo-executor' && !call.query.dryRun)).toEqual([]);
    expect((await admin('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.metadata.labels.previewed}')).stdout).toBe('');

    // The approval of exactly that preview: its own ServiceAccount writes the patch, admission compares the hash.
    const patchArguments = { name: 'checkout', resource_type: 'deployment', namespace: 'prod', patch, patch_type: 'merge' };
    const cluster = { name: 'sandbox-a', server: sim.url };
    const spec = { conversationId: 'c-2', callId: 'call-2', tool: 'k8s_patch', cluster, argsHash: toolCallHash('k8s_patch', patchArguments, cluster), requestedBy: { id: 'u-1', email: 'newcomer@example.com' }, requestedAt: new Date().toISOString() };
    const name = approvalObjectName('c-2', 'call-2');
    const status = { decision: 'approved' as const, decidedBy: { id: 'u-1', email: 'newcomer@example.com' }, decidedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 10 * 60_000).toISOString() };
    const signature = await signApproval(readFileSync(approvals.env.SKYFLO_APPROVAL_SIGNING_KEY_FILE!, 'utf8'), name, spec, status);
    const executor = approvals.executors[0]!.url;
    expect((await executorApi(executor, 'POST', '/v1/approvals', { name, spec, status: { ...status, signature } })).status).toBe(201);
    const minted = await executorApi(executor, 'POST', `/v1/approvals/${name}/credential`, { arguments: patchArguments });
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    // the executor's own computation agrees with what the preview showed people
    expect(minted.body.access).toEqual(access);
    const tokenKubeconfig = path.join(directory, 'patch-approval.kubeconfig');
    writeFileSync(tokenKubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'a', clusters: [{ name: 'a', cluster: { server: sim.url, 'insecure-skip-tls-verify': true } }], users: [{ name: 'a', user: { token: minted.body.token } }], contexts: [{ name: 'a', context: { cluster: 'a', user: 'a' } }] }), { mode: 0o600 });
    const applied = await kubectl(tokenKubeconfig, 'patch', 'deployment', 'checkout', '-n', 'prod', '--type=merge', '-p', patch);
    expect(applied.stderr).toBe('');
    expect((await admin('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.metadata.labels.previewed}')).stdout).toBe('approved');
    expect((await executorApi(executor, 'DELETE', `/v1/approvals/${name}/credential`)).status).toBe(204);
  });
});
