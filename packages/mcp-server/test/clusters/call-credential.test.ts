/**
 * Issue 34: a tools/call carrying `_meta["skyflo.ai/credential"]` (the per-approval token the cluster's executor minted)
 * runs kubectl/helm and API requests with that token for that one call — from the engine's own connection only. The
 * token never reaches argv (/proc/<pid>/cmdline): kubectl/helm get a 0600 kubeconfig in a private 0700 directory,
 * gone when the call ends. An expired credential, or one from any other client, runs nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mcpMetaKeys, type ToolCallCredential } from '@skyflo/protocol';
import { connectInProcess } from '../../src/connect-in-process.ts';
import { createCommandRunner } from '../../src/exec/create-command-runner.ts';
import type { CommandRequest, CommandRunner } from '../../src/exec/command-runner.ts';
import { startMcpHttpServer, type McpHttpServer } from '../../src/start-mcp-http-server.ts';
import { chartsDir, createHelmHome, demoChartDir, type HelmTestEnv } from '../support/helm-test-env.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { createToolDeps } from '../../src/create-tool-deps.ts';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';

const approvalToken = 'per-approval-token-7f3a9c';
const readOnlyUser = 'skyflo-mcp-read-only';
const readOnlyToken = 'standing-read-only-token';
const approvalUser = 'system:serviceaccount:skyflo:skyflo-approval-conv1-call1';

let harness: KubeHarness;
let helmHome: HelmTestEnv;
let httpServer: McpHttpServer;
/** every command the server ran, with what its kubeconfig file looked like while it ran */
const commands: Array<{ request: CommandRequest; kubeconfig?: { path: string; mode: number; directoryMode: number; text: string } }> = [];

function recordingRunner(inner: CommandRunner): CommandRunner {
  return {
    ...inner,
    run: async (request) => {
      const index = request.args.indexOf('--kubeconfig');
      const file = index >= 0 ? request.args[index + 1] : undefined;
      const kubeconfig = file && existsSync(file) ? { path: file, mode: statSync(file).mode & 0o777, directoryMode: statSync(path.dirname(file)).mode & 0o777, text: readFileSync(file, 'utf8') } : undefined;
      commands.push({ request, ...(kubeconfig ? { kubeconfig } : {}) });
      return inner.run(request);
    },
    start: (request) => inner.start(request),
  };
}

const credential = (overrides: Partial<ToolCallCredential> = {}): ToolCallCredential => ({ token: approvalToken, expiresAt: new Date(Date.now() + 5 * 60_000).toISOString(), approval: 'conv1-call1', ...overrides });
const writesBy = (user: string) => harness.sim.calls.filter((call) => call.user === user && ['create', 'update', 'patch', 'delete'].includes(call.verb ?? ''));
const replicas = (name: string) => harness.sim.cluster.store.get(harness.sim.cluster.registry.byResource('apps', 'deployments')!, 'default', name)?.spec.replicas;

beforeAll(async () => {
  // TLS: kubectl, helm and client-go send bearer tokens only over HTTPS
  harness = await startKubeHarness({ tls: true, users: [{ name: approvalUser, token: approvalToken }, { name: readOnlyUser, token: readOnlyToken }] });
  helmHome = await createHelmHome();
  // the approval's identity may do what the test needs (RBAC narrowing is the executor's, tested there)
  const bound = await harness.call('k8s_apply', {
    content: `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: approval-bot}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: "${approvalUser}"}]\n`,
  });
  expect(bound.isError, bound.text).toBeFalsy();
  const viewer = await harness.call('k8s_apply', {
    content: `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: read-only-mcp}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: User, name: "${readOnlyUser}"}]\n`,
  });
  expect(viewer.isError, viewer.text).toBeFalsy();
  const created = await harness.call('k8s_apply', {
    content: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: main, image: "nginx:1.27"}]}\n',
  });
  expect(created.isError, created.text).toBeFalsy();
  httpServer = await startMcpHttpServer({ deps: harness.deps, clientToken: 'direct-client-token', authToken: 'engine-token' });
});

afterAll(async () => {
  await httpServer?.close();
  await harness?.close();
  await helmHome?.cleanup();
});

describe('a call run with an approval credential', () => {
  it('writes as the approval identity through the API (k8s_scale), nothing as the server identity', async () => {
    const server = await connectInProcess({ deps: harness.deps });
    try {
      const before = harness.sim.calls.length;
      const result = await server.client.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 3 }, _meta: { [mcpMetaKeys.credential]: credential() } });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      expect(replicas('web')).toBe(3);
      const during = harness.sim.calls.slice(before);
      expect(during.filter((call) => call.verb === 'patch').map((call) => [call.path, call.user])).toEqual([['/apis/apps/v1/namespaces/default/deployments/web/scale', approvalUser]]);
      // every request of the call (reads too) used the approval's token
      expect(new Set(during.filter((call) => call.user).map((call) => call.user))).toEqual(new Set([approvalUser]));
    } finally {
      await server.close();
    }
  });

  it('runs helm with a private temporary kubeconfig holding the token, never on argv, gone after the call', async () => {
    const deps = harness.depsWith({ helmEnv: helmHome.helmEnv, helmChartDirs: [chartsDir], runner: recordingRunner(createCommandRunner()) });
    const server = await connectInProcess({ deps });
    try {
      commands.length = 0;
      const before = harness.sim.calls.length;
      const result = await server.client.callTool({ name: 'helm_install', arguments: { release_name: 'shop', chart: demoChartDir, namespace: 'store', create_namespace: true, wait: false }, _meta: { [mcpMetaKeys.credential]: credential() } });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      const helmRuns = commands.filter((command) => command.request.args.includes('install'));
      expect(helmRuns).toHaveLength(1);
      const [run] = helmRuns;
      expect(run!.request.args.join(' ')).not.toContain(approvalToken);
      expect(JSON.stringify(run!.request.env ?? {})).not.toContain(approvalToken);
      expect(run!.kubeconfig?.path).not.toBe(harness.kubeconfigPath);
      expect(run!.kubeconfig?.mode).toBe(0o600);
      expect(run!.kubeconfig?.directoryMode).toBe(0o700);
      expect(run!.kubeconfig?.text).toContain(approvalToken);
      expect(run!.kubeconfig?.text).toContain(harness.sim.url);
      expect(existsSync(run!.kubeconfig!.path)).toBe(false);
      expect(existsSync(path.dirname(run!.kubeconfig!.path))).toBe(false);
      const writes = harness.sim.calls.slice(before).filter((call) => ['create', 'update', 'patch', 'delete'].includes(call.verb ?? ''));
      expect(writes.length).toBeGreaterThan(3);
      expect(new Set(writes.map((call) => call.user))).toEqual(new Set([approvalUser]));
    } finally {
      await server.close();
    }
  });

  it('refuses an expired credential before running anything', async () => {
    const server = await connectInProcess({ deps: harness.deps });
    try {
      const before = writesBy(approvalUser).length;
      const result = await server.client.callTool({
        name: 'k8s_scale',
        arguments: { name: 'web', resource_type: 'deployment', replicas: 5 },
        _meta: { [mcpMetaKeys.credential]: credential({ expiresAt: new Date(Date.now() - 1000).toISOString() }) },
      });
      expect(result.isError).toBe(true);
      expect((result.content as Array<{ text: string }>)[0]!.text).toMatch(/credential of approval "conv1-call1" expired .*nothing was run/);
      expect(replicas('web')).toBe(3);
      expect(writesBy(approvalUser).length).toBe(before);
    } finally {
      await server.close();
    }
  });

  it('refuses a credential from a client other than the engine (HTTP client token)', async () => {
    const client = new Client({ name: 'direct', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(httpServer.url), { requestInit: { headers: { Authorization: 'Bearer direct-client-token' } } }));
    try {
      const before = harness.sim.calls.filter((call) => call.verb === 'patch').length;
      const result = await client.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 7 }, _meta: { [mcpMetaKeys.credential]: credential() } });
      expect(result.isError).toBe(true);
      expect((result.content as Array<{ text: string }>)[0]!.text).toContain("only the Skyflo engine's own connection may do");
      expect(replicas('web')).toBe(3);
      expect(harness.sim.calls.filter((call) => call.verb === 'patch').length).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('accepts the same credential from the engine over HTTP (its auth token)', async () => {
    const client = new Client({ name: 'engine', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(httpServer.url), { requestInit: { headers: { Authorization: 'Bearer engine-token' } } }));
    try {
      const before = writesBy(approvalUser).length;
      const result = await client.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 2 }, _meta: { [mcpMetaKeys.credential]: credential() } });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      expect(replicas('web')).toBe(2);
      expect(writesBy(approvalUser).length).toBe(before + 1);
    } finally {
      await client.close();
    }
  });

  it('a read-only standing identity (dry-runs refused by RBAC) still previews the access of a scale, a delete and a restart', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-read-only-'));
    try {
      const kubeconfigPath = path.join(directory, 'kubeconfig');
      harness.sim.writeKubeconfig(kubeconfigPath, { user: readOnlyUser });
      const deps = createToolDeps({ kubeconfigPath, kubectlPath, helmPath });
      const preview = async (tool: string, args: Record<string, unknown>) => {
        const result = await harness.call('preview_tool_call', { tool, arguments: args }, deps);
        expect(result.isError, result.text).toBeFalsy();
        return result.structured?.['access'];
      };
      const scaleAccess = await preview('k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 4 });
      expect(scaleAccess).toEqual([{ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'default', name: 'web', verbs: ['patch'], contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
      // the same content hash the API server's dry-run gives (what admission compares)
      const admin = await harness.call('preview_tool_call', { tool: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 4 } });
      expect(admin.structured?.['access']).toEqual(scaleAccess);
      expect(await preview('k8s_delete', { name: 'web', resource_type: 'deployment' })).toEqual([{ apiGroup: 'apps', resource: 'deployments', namespace: 'default', name: 'web', verbs: ['delete'] }]);
      expect(await preview('k8s_rollout_restart', { name: 'web', resource_type: 'deployment' })).toEqual([{ apiGroup: 'apps', resource: 'deployments', namespace: 'default', name: 'web', verbs: ['patch'] }]);
      // the refused dry-runs wrote nothing
      expect(writesBy(readOnlyUser).filter((call) => call.status < 300)).toEqual([]);
      expect(harness.sim.calls.some((call) => call.user === readOnlyUser && call.status === 403)).toBe(true);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
