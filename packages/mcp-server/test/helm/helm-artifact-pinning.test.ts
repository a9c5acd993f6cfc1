/**
 * Issue 7 items 1, 4 and 13 with the real helm against kube-sim and a real chart repository on 127.0.0.1:
 * - the reproduction: `acme/app` is previewed (a ConfigMap), the tarball is replaced in the repository under the
 *   same name and version by one that binds cluster-admin, then the approved call runs → exactly the previewed
 *   archive is installed (checked with the real kubectl); a tampered or deleted cache entry is refused;
 * - the replaced chart, previewed afresh, carries CLUSTER_ADMIN_GRANT from its rendered manifests;
 * - previews render against the cluster (issue 19 item 4), yet a chart's `lookup` of a Secret never puts its value in
 *   the preview;
 * - read-only tools contact only allowed hosts: an oci:// reference to another host reaches nobody.
 */
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import { createCommandRunner } from '../../src/exec/create-command-runner.ts';
import { allTools } from '../../src/catalogue.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import type { PreviewToolCallResult } from '@skyflo/protocol';
import { runTool } from '../../src/tools/run-tool.ts';
import type { ToolOutput } from '../../src/contract/tool-definition.ts';
import { chartsDir, createHelmHome, type HelmTestEnv } from '../support/helm-test-env.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
let helmHome: HelmTestEnv;
let deps: ToolDeps;
let repository: { url: string; directory: string; close(): Promise<void> };
let work: string;
const runner = createCommandRunner();

const call = (name: string, input: Record<string, unknown>, callDeps: ToolDeps = deps): Promise<ToolOutput> =>
  runTool(allTools.find((tool) => tool.name === name)!, input, callDeps, { signal: new AbortController().signal });
const preview = (tool: string, args: Record<string, unknown>, callDeps: ToolDeps = deps) => call('preview_tool_call', { tool, arguments: args }, callDeps);
const structuredOf = (result: ToolOutput) => result.structured as unknown as PreviewToolCallResult;

async function kubectl(args: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return runner.run({ binary: kubectlPath, args: ['--kubeconfig', harness.kubeconfigPath, ...args], timeoutMs: 30_000 });
}

async function helm(args: string[]): Promise<string> {
  const result = await runner.run({ binary: helmPath, args, env: helmHome.helmEnv, timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(`helm ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Writes chart "app" 1.0.0 with the given templates and packages it with the real helm into `into`. */
async function packageApp(label: string, templates: Record<string, string>, into: string): Promise<void> {
  const chart = path.join(work, label, 'app');
  await mkdir(path.join(chart, 'templates'), { recursive: true });
  await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: app\nversion: 1.0.0\nappVersion: "1.0"\n');
  for (const [file, content] of Object.entries(templates)) await writeFile(path.join(chart, 'templates', file), content);
  await helm(['package', chart, '--destination', into]);
}

const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\ndata:\n  mode: safe\n';
const adminBinding =
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {{ .Release.Name }}-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n- kind: ServiceAccount\n  name: default\n  namespace: {{ .Release.Namespace }}\n';

/** A chart repository: index.yaml and the archives in `directory`, served over HTTP on 127.0.0.1. */
async function startRepository(): Promise<typeof repository> {
  const directory = await mkdtemp(path.join(work, 'repo-'));
  const server = http.createServer(async (request, response) => {
    const file = path.join(directory, path.basename(new URL(request.url ?? '/', 'http://x').pathname));
    try {
      response.writeHead(200).end(await readFile(file));
    } catch {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, directory, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Replaces what the repository serves for app 1.0.0, and its index, as the attacker did. */
async function publish(label: string, templates: Record<string, string>): Promise<void> {
  for (const file of await readdir(repository.directory)) await rm(path.join(repository.directory, file));
  await packageApp(label, templates, repository.directory);
  await helm(['repo', 'index', repository.directory, '--url', repository.url]);
}

/** A loopback server standing in for an arbitrary host: counts TCP connections (TLS or not) and requests. */
async function startCatcher() {
  let connections = 0;
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    response.writeHead(404).end();
  });
  server.on('connection', () => (connections += 1));
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen: () => ({ connections, requests }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  harness = await startKubeHarness();
  helmHome = await createHelmHome();
  work = await mkdtemp(path.join(helmHome.home, 'work-'));
  deps = harness.depsWith({ helmEnv: helmHome.helmEnv, helmChartDirs: [chartsDir], helmChartCacheDir: path.join(helmHome.home, 'chart-cache') });
  expect((await kubectl(['create', 'namespace', 'team'])).exitCode).toBe(0);
  repository = await startRepository();
  await publish('benign', { 'configmap.yaml': configMap });
  const added = await call('helm_repo_add', { name: 'acme', url: repository.url });
  expect(added.isError, added.text).toBeFalsy();
}, 60_000);

afterAll(async () => {
  await repository?.close();
  await harness?.close();
  await helmHome?.cleanup();
});

describe('a chart replaced after approval is not installed (issue 7 item 1)', () => {
  let approved: PreviewToolCallResult;

  it('the preview resolves the latest version and pins the archive by its sha-256', async () => {
    const result = await preview('helm_upgrade', { release_name: 'app', chart: 'acme/app', namespace: 'team', wait: false });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toMatch(/^\+\s*kind: ConfigMap$/m);
    expect(result.text).not.toContain('ClusterRoleBinding');
    approved = structuredOf(result);
    expect(approved.artifact_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(approved.resolved_arguments).toEqual({ release_name: 'app', chart: 'acme/app', namespace: 'team', wait: false, version: '1.0.0', chart_digest: approved.artifact_digest });
    expect(approved.resolution).toEqual(['version: latest → 1.0.0', `chart: acme/app 1.0.0 pinned to the archive ${approved.artifact_digest}`]);
    expect(approved.risks.map((risk) => risk.code)).not.toContain('CLUSTER_ADMIN_GRANT');
    // the pinned file is named by its own digest
    const cached = await readFile(path.join(helmHome.home, 'chart-cache', `${approved.artifact_digest!.slice(7)}.tgz`));
    expect(cached.length).toBeGreaterThan(0);
  });

  it('the same name and version now serve a chart that binds cluster-admin; the fresh preview flags it', async () => {
    await publish('evil', { 'configmap.yaml': configMap, 'binding.yaml': adminBinding });
    await helm(['repo', 'update', 'acme']);
    const fresh = await preview('helm_upgrade', { release_name: 'app', chart: 'acme/app', namespace: 'team', wait: false });
    expect(fresh.isError, fresh.text).toBeFalsy();
    expect(fresh.text).toMatch(/^\+\s*kind: ClusterRoleBinding$/m);
    expect(structuredOf(fresh).artifact_digest).not.toBe(approved.artifact_digest);
    expect(structuredOf(fresh).risks).toContainEqual(expect.objectContaining({ code: 'CLUSTER_ADMIN_GRANT', severity: 'high', message: expect.stringContaining('binds cluster-admin to ServiceAccount team/default') }));
    // re-running the approved preview (what the engine does before executing) still renders the pinned archive
    const again = await preview('helm_upgrade', approved.resolved_arguments);
    expect(again.text).not.toContain('ClusterRoleBinding');
    expect(structuredOf(again).resolved_arguments).toEqual(approved.resolved_arguments);
  });

  it('the approved call installs exactly the previewed archive', async () => {
    const result = await call('helm_upgrade', approved.resolved_arguments);
    expect(result.isError, result.text).toBeFalsy();
    const binding = await kubectl(['get', 'clusterrolebinding', 'app-admin']);
    expect(binding.exitCode).not.toBe(0);
    expect(binding.stderr).toMatch(/NotFound|not found/);
    const settings = await kubectl(['get', 'configmap', 'app-settings', '--namespace', 'team', '-o', 'jsonpath={.data.mode}']);
    expect(settings.stdout).toBe('safe');
  });

  it('refuses a cached archive that changed or disappeared, and installs nothing', async () => {
    const file = path.join(helmHome.home, 'chart-cache', `${approved.artifact_digest!.slice(7)}.tgz`);
    const args = { ...approved.resolved_arguments, release_name: 'app2' };
    // swap the cached file for the malicious archive (same name and version)
    const evil = (await readdir(repository.directory)).find((entry) => entry.endsWith('.tgz'))!;
    await writeFile(file, await readFile(path.join(repository.directory, evil)));
    const changed = await call('helm_upgrade', args);
    expect(changed.isError).toBe(true);
    expect(changed.structured).toMatchObject({ error: { code: 'ARTIFACT_CHANGED' } });
    expect(changed.text).toMatch(/approved chart artifact .* is different from the archive that was previewed/);
    expect(changed.text).toMatch(/previewed and approved again/);
    const previewOfChanged = await preview('helm_upgrade', args);
    expect(previewOfChanged.isError).toBe(true);

    await rm(file);
    const missing = await call('helm_install', { release_name: 'app3', chart: 'acme/app', namespace: 'team', wait: false, version: '1.0.0', chart_digest: approved.artifact_digest });
    expect(missing.isError).toBe(true);
    expect(missing.structured).toMatchObject({ error: { code: 'ARTIFACT_MISSING' } });
    expect(missing.text).toMatch(/is gone from the chart cache/);
    expect((await kubectl(['get', 'clusterrolebinding', 'app2-admin'])).exitCode).not.toBe(0);
    expect((await kubectl(['get', 'clusterrolebinding', 'app3-admin'])).exitCode).not.toBe(0);
    const releases = await helm(['list', '--all-namespaces', '--kubeconfig', harness.kubeconfigPath, '--short']);
    expect(releases.split('\n').filter(Boolean).sort()).toEqual(['app']);
  });

  it('refuses a digest that names another chart than the call says', async () => {
    const pinned = structuredOf(await preview('helm_install', { release_name: 'demo', chart: path.join(chartsDir, 'demo-app'), namespace: 'team', wait: false }));
    const result = await call('helm_install', { release_name: 'demo', chart: 'acme/app', namespace: 'team', wait: false, chart_digest: pinned.artifact_digest });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/is chart "demo-app", not "app"/);
  });
});

describe('the chart cache stays bounded', () => {
  it('pinning removes archives unused for 14 days, and keeps the others', async () => {
    const cache = path.join(helmHome.home, 'chart-cache');
    const stale = path.join(cache, `${'0'.repeat(64)}.tgz`);
    const recent = path.join(cache, `${'1'.repeat(64)}.tgz`);
    await writeFile(stale, 'old');
    await writeFile(recent, 'new');
    const fifteenDaysAgo = new Date(Date.now() - 15 * 24 * 60 * 60 * 1000);
    await utimes(stale, fifteenDaysAgo, fifteenDaysAgo);
    const result = await preview('helm_install', { release_name: 'cache-check', chart: path.join(chartsDir, 'demo-app'), namespace: 'team', wait: false });
    expect(result.isError, result.text).toBeFalsy();
    const files = await readdir(cache);
    expect(files).not.toContain(path.basename(stale));
    expect(files).toContain(path.basename(recent));
    expect(files).toContain(`${structuredOf(result).artifact_digest!.slice(7)}.tgz`);
  });
});

describe('hooks are previewed and assessed like templates', () => {
  it('a cluster-admin binding hidden in a pre-install hook shows in the diff and as CLUSTER_ADMIN_GRANT', async () => {
    const chart = path.join(work, 'hooked', 'app');
    await mkdir(path.join(chart, 'templates'), { recursive: true });
    await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: app\nversion: 2.0.0\n');
    await writeFile(path.join(chart, 'templates', 'configmap.yaml'), configMap);
    await writeFile(path.join(chart, 'templates', 'hook.yaml'), adminBinding.replace('metadata:\n', 'metadata:\n  annotations:\n    "helm.sh/hook": pre-install,pre-upgrade\n'));
    const hookDeps = { ...deps, settings: { ...deps.settings, helmChartDirs: [chartsDir, work] } };
    const result = await preview('helm_install', { release_name: 'hooked', chart, namespace: 'team', wait: false }, hookDeps);
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toMatch(/^\+\s*# Source: app\/templates\/hook\.yaml$/m);
    expect(result.text).toMatch(/^\+\s*kind: ClusterRoleBinding$/m);
    expect(structuredOf(result).risks).toContainEqual(expect.objectContaining({ code: 'CLUSTER_ADMIN_GRANT' }));
    // installed, the same hook is on both sides: previewing it again shows no change
    expect((await call('helm_install', structuredOf(result).resolved_arguments, hookDeps)).isError).toBeFalsy();
    const again = await preview('helm_upgrade', { release_name: 'hooked', chart, namespace: 'team', wait: false }, hookDeps);
    expect(again.text).toMatch(/^No changes/);
  });
});

describe('previews render with the cluster but never show a looked-up Secret (issue 7 item 4, issue 19 item 4)', () => {
  const SECRET = 'lookup-leak-9f8e7d6c5b';

  it("a chart's lookup of a Secret never puts its value in the preview", async () => {
    const created = await kubectl(['create', 'secret', 'generic', 'db-credentials', '--namespace', 'team', `--from-literal=password=${SECRET}`]);
    expect(created.exitCode, created.stderr).toBe(0);
    const chart = path.join(chartsDir, 'lookup-app');
    const diff = await call('helm_upgrade_diff', { release_name: 'probe', namespace: 'team', chart });
    expect(diff.isError, diff.text).toBeFalsy();
    expect(diff.text).toMatch(/^\+\s*kind: ConfigMap$/m);
    // lookup found the Secret (rendered with the cluster), and its value is redacted where the template copied it
    expect(diff.text).toMatch(/^\+\s*note: "\[REDACTED\]"$/m);
    expect(diff.text).not.toContain(SECRET);
    const viaPreview = await preview('helm_install', { release_name: 'probe', chart, namespace: 'team', wait: false });
    expect(viaPreview.isError, viaPreview.text).toBeFalsy();
    expect(JSON.stringify(viaPreview)).not.toContain(SECRET);
  });
});

describe('read-only tools contact only allowed hosts (issue 7 item 4)', () => {
  const refusals: Array<[string, string, (host: string) => Record<string, unknown>]> = [
    ['helm_template', 'helm_template', (host) => ({ release_name: 'x', chart: `oci://${host}/leak/secret-data-in-path` })],
    ['helm_show_values', 'helm_show_values', (host) => ({ chart: `oci://${host}/leak/chart` })],
    ['helm_upgrade_diff', 'helm_upgrade_diff', (host) => ({ release_name: 'x', chart: `oci://${host}/leak/chart` })],
    ['preview_tool_call (resolution of helm_install)', 'preview_tool_call', (host) => ({ tool: 'helm_install', arguments: { release_name: 'x', chart: `oci://${host}/leak/chart` } })],
  ];

  it.each(refusals)('%s: an oci:// reference to another host is refused before helm runs', async (_label, tool, input) => {
    const catcher = await startCatcher();
    try {
      const result = await call(tool, input(catcher.host));
      expect(result.isError).toBe(true);
      expect(result.text).toContain('HELM_ALLOWED_REGISTRIES');
      expect(result.text).toContain(`${catcher.host}, which this server may not contact`);
      expect(catcher.seen()).toEqual({ connections: 0, requests: [] });
    } finally {
      await catcher.close();
    }
  });

  it('a host listed in HELM_ALLOWED_REGISTRIES is contacted (so the refusal above is the allow-list at work)', async () => {
    const catcher = await startCatcher();
    try {
      const allowed = { ...deps, settings: { ...deps.settings, helmAllowedRegistries: [catcher.host] } };
      const result = await call('helm_show_values', { chart: `oci://${catcher.host}/leak/chart` }, allowed);
      expect(result.isError).toBe(true);
      expect(result.text).not.toContain('HELM_ALLOWED_REGISTRIES');
      expect(catcher.seen().connections).toBeGreaterThan(0);
    } finally {
      await catcher.close();
    }
  });

  it('a chart from an added repository is allowed; an unknown repository name is refused clearly', async () => {
    const values = await call('helm_show_values', { chart: 'acme/app' });
    expect(values.isError, values.text).toBeFalsy();
    const unknown = await call('helm_template', { release_name: 'x', chart: 'elsewhere/app' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/No chart repository named "elsewhere" is configured on this server \(configured: acme\)/);
  });
});
