/**
 * Issue 19 item 4: Helm `lookup` made the preview lie. The fixture chart cluster-probe renders a lone ConfigMap
 * offline, and a ClusterRoleBinding to cluster-admin when `lookup` finds its watched namespace (kube-system by
 * default). With the real helm against kube-sim:
 * - the preview renders with the cluster's state: the binding is in the diff, flagged CLUSTER_ADMIN_GRANT (high),
 *   and the chart carries LIVE_CLUSTER_TEMPLATE (medium);
 * - the structured result binds `manifest_digest` (sha-256 of the full unredacted manifest), and it changes when
 *   the live cluster changes what a template renders (what the engine re-checks before executing);
 * - Secret values stay hidden: a Secret's own data and a live Secret value a template copies into a ConfigMap.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import path from 'node:path';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer } from '../../src/create-mcp-server.ts';
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
let work: string;
const runner = createCommandRunner();
const probeChart = path.join(chartsDir, 'cluster-probe');

const call = (name: string, input: Record<string, unknown>, callDeps: ToolDeps = deps): Promise<ToolOutput> =>
  runTool(allTools.find((tool) => tool.name === name)!, input, callDeps, { signal: new AbortController().signal });
const preview = (tool: string, args: Record<string, unknown>, callDeps: ToolDeps = deps) => call('preview_tool_call', { tool, arguments: args }, callDeps);
const structuredOf = (result: ToolOutput) => result.structured as unknown as PreviewToolCallResult;

async function kubectl(args: string[]) {
  return runner.run({ binary: kubectlPath, args: ['--kubeconfig', harness.kubeconfigPath, ...args], timeoutMs: 30_000 });
}

beforeAll(async () => {
  harness = await startKubeHarness();
  helmHome = await createHelmHome();
  work = await mkdtemp(path.join(helmHome.home, 'work-'));
  deps = harness.depsWith({ helmEnv: helmHome.helmEnv, helmChartDirs: [chartsDir, work], helmChartCacheDir: path.join(helmHome.home, 'chart-cache') });
  expect((await kubectl(['create', 'namespace', 'team'])).exitCode).toBe(0);
}, 60_000);

afterAll(async () => {
  await harness?.close();
  await helmHome?.cleanup();
});

describe('helm previews render with the live cluster (issue 19 item 4)', () => {
  it('the chart renders a lone ConfigMap offline (the old preview), so the difference below is the live cluster', async () => {
    const offline = await runner.run({ binary: helmPath, args: ['template', 'probe', probeChart, '--namespace', 'team'], env: helmHome.helmEnv });
    expect(offline.exitCode, offline.stderr).toBe(0);
    expect(offline.stdout).toContain('kind: ConfigMap');
    expect(offline.stdout).not.toContain('ClusterRoleBinding');
  });

  it('previewing helm_install shows the ClusterRoleBinding lookup turns on, flags it, and flags the live-cluster template', async () => {
    const result = await preview('helm_install', { release_name: 'probe', chart: probeChart, namespace: 'team', wait: false });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toMatch(/^\+\s*kind: ConfigMap$/m);
    expect(result.text).toMatch(/^\+\s*kind: ClusterRoleBinding$/m);
    expect(result.text).toMatch(/^\+\s*name: cluster-admin$/m);
    const structured = structuredOf(result);
    expect(structured.risks).toContainEqual(expect.objectContaining({ code: 'CLUSTER_ADMIN_GRANT', severity: 'high' }));
    const live = structured.risks.find((risk) => risk.code === 'LIVE_CLUSTER_TEMPLATE');
    expect(live).toMatchObject({ severity: 'medium' });
    expect(live?.message).toContain('templates/escalate.yaml (lookup)');
    expect(live?.message).not.toContain('configmap.yaml');
  });

  it('manifest_digest is the sha-256 of the full rendered manifest helm installs, and stable for an unchanged cluster', async () => {
    const args = { release_name: 'probe', chart: probeChart, namespace: 'team', wait: false };
    const first = structuredOf(await preview('helm_install', args));
    const second = structuredOf(await preview('helm_install', args));
    expect(first.manifest_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second.manifest_digest).toBe(first.manifest_digest);
    expect(second.diff).toBe(first.diff);

    const installed = await call('helm_install', first.resolved_arguments);
    expect(installed.isError, installed.text).toBeFalsy();
    // what helm stored as the release manifest is exactly what the digest covered
    const stored = await runner.run({ binary: helmPath, args: ['get', 'manifest', 'probe', '--namespace', 'team', '--kubeconfig', harness.kubeconfigPath], env: helmHome.helmEnv });
    expect(`sha256:${createHash('sha256').update(stored.stdout.replace(/\n$/, '')).digest('hex')}`).toBe(first.manifest_digest);
    const binding = await kubectl(['get', 'clusterrolebinding', 'probe-everything', '-o', 'jsonpath={.roleRef.name}']);
    expect(binding.stdout).toBe('cluster-admin');
    expect((await call('helm_uninstall', { release_name: 'probe', namespace: 'team' })).isError).toBeFalsy();
  });

  it('the digest changes when the live cluster changes what a template renders (the engine refuses with TARGET_CHANGED)', async () => {
    const args = { release_name: 'watcher', chart: probeChart, namespace: 'team', wait: false, values: 'watchNamespace: monitoring\n' };
    const approved = structuredOf(await preview('helm_install_with_values', args));
    expect(approved.diff).not.toContain('ClusterRoleBinding');
    expect(approved.risks.map((risk) => risk.code)).not.toContain('CLUSTER_ADMIN_GRANT');

    expect((await kubectl(['create', 'namespace', 'monitoring'])).exitCode).toBe(0);
    const recheck = structuredOf(await preview('helm_install_with_values', approved.resolved_arguments));
    expect(recheck.manifest_digest).not.toBe(approved.manifest_digest);
    expect(recheck.diff).toContain('kind: ClusterRoleBinding');
    expect(recheck.risks).toContainEqual(expect.objectContaining({ code: 'CLUSTER_ADMIN_GRANT' }));
  });
});

describe('Secret values stay hidden in a preview rendered against the cluster', () => {
  const LIVE_SECRET = 'lookup-copied-7a6b5c4d3e';
  const CHART_SECRET = 'chart-own-secret-1f2e3d4c';

  it("a chart's own Secret data and a live Secret value copied by lookup are redacted; the digest still covers them", async () => {
    expect((await kubectl(['create', 'secret', 'generic', 'upstream-api', '--namespace', 'team', `--from-literal=key=${LIVE_SECRET}`])).exitCode).toBe(0);
    const chart = path.join(work, 'copier');
    await mkdir(path.join(chart, 'templates'), { recursive: true });
    await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: copier\nversion: 0.1.0\n');
    await writeFile(
      path.join(chart, 'templates', 'objects.yaml'),
      [
        '{{- $upstream := lookup "v1" "Secret" .Release.Namespace "upstream-api" }}',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: copier-settings',
        'data:',
        '  endpoint: "https://api.example.test/?k={{ index $upstream.data "key" | b64dec }}"',
        '  encoded: "{{ index $upstream.data "key" }}"',
        '---',
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: copier-own',
        'stringData:',
        `  opaque: "${CHART_SECRET}"`,
        '',
      ].join('\n'),
    );
    const result = await preview('helm_install', { release_name: 'copier', chart, namespace: 'team', wait: false });
    expect(result.isError, result.text).toBeFalsy();
    // rendered with the cluster: the lookup found the Secret (its value is there, redacted)
    expect(result.text).toMatch(/endpoint: "https:\/\/api\.example\.test\/\?k=\[REDACTED\]"/);
    expect(result.text).toMatch(/encoded: "\[REDACTED\]"/);
    const everything = JSON.stringify(result);
    expect(everything).not.toContain(LIVE_SECRET);
    expect(everything).not.toContain(Buffer.from(LIVE_SECRET).toString('base64'));
    expect(everything).not.toContain(CHART_SECRET);
    expect(structuredOf(result).risks).toContainEqual(expect.objectContaining({ code: 'LIVE_CLUSTER_TEMPLATE' }));

    // the digest is of the unredacted manifest: another live value gives another digest, though the diff reads the same
    expect((await kubectl(['delete', 'secret', 'upstream-api', '--namespace', 'team'])).exitCode).toBe(0);
    expect((await kubectl(['create', 'secret', 'generic', 'upstream-api', '--namespace', 'team', '--from-literal=key=rotated-value-0a9b8c7d'])).exitCode).toBe(0);
    const rotated = structuredOf(await preview('helm_install', structuredOf(result).resolved_arguments));
    expect(rotated.diff).toBe(structuredOf(result).diff);
    expect(rotated.manifest_digest).not.toBe(structuredOf(result).manifest_digest);
  });

  it('a subchart that uses .Capabilities is flagged too (templates of the local chart, subcharts included)', async () => {
    const chart = path.join(work, 'parent');
    await mkdir(path.join(chart, 'templates'), { recursive: true });
    await mkdir(path.join(chart, 'charts', 'child', 'templates'), { recursive: true });
    await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: parent\nversion: 0.1.0\n');
    await writeFile(path.join(chart, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\ndata:\n  a: b\n');
    await writeFile(path.join(chart, 'charts', 'child', 'Chart.yaml'), 'apiVersion: v2\nname: child\nversion: 0.1.0\n');
    await writeFile(
      path.join(chart, 'charts', 'child', 'templates', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\ndata:\n  kube: "{{ .Capabilities.KubeVersion.Version }}"\n',
    );
    // previewed through the pinned archive (preview_tool_call pins local charts too), so the archive reader runs
    const result = await preview('helm_install', { release_name: 'parent', chart, namespace: 'team', wait: false });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toContain('kube: "v1.32.3"');
    const live = structuredOf(result).risks.find((risk) => risk.code === 'LIVE_CLUSTER_TEMPLATE');
    expect(live?.message).toContain('charts/child/templates/cm.yaml (.Capabilities)');

    // the same subchart as an archive in charts/ (what `helm dependency update` leaves there)
    const packaged = path.join(work, 'parent-packaged');
    await mkdir(path.join(packaged, 'templates'), { recursive: true });
    await mkdir(path.join(packaged, 'charts'), { recursive: true });
    await writeFile(path.join(packaged, 'Chart.yaml'), 'apiVersion: v2\nname: parent-packaged\nversion: 0.1.0\n');
    await writeFile(path.join(packaged, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent-packaged\ndata:\n  a: b\n');
    const packagedChild = await runner.run({ binary: helmPath, args: ['package', path.join(chart, 'charts', 'child'), '--destination', path.join(packaged, 'charts')], env: helmHome.helmEnv });
    expect(packagedChild.exitCode, packagedChild.stderr).toBe(0);
    const fromArchive = await preview('helm_install', { release_name: 'parent-packaged', chart: packaged, namespace: 'team', wait: false });
    expect(fromArchive.isError, fromArchive.text).toBeFalsy();
    expect(structuredOf(fromArchive).risks.find((risk) => risk.code === 'LIVE_CLUSTER_TEMPLATE')?.message).toContain('charts/child/templates/cm.yaml (.Capabilities)');
  });
});

describe('a chart that generates values on every render', () => {
  it('is flagged GENERATED_VALUES before approval, since its digest cannot match at the re-check', async () => {
    const chart = path.join(work, 'random');
    await mkdir(path.join(chart, 'templates'), { recursive: true });
    await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: random\nversion: 0.1.0\n');
    await writeFile(path.join(chart, 'templates', 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: random-admin\nstringData:\n  password: {{ randAlphaNum 24 | quote }}\n');
    const first = await preview('helm_install', { release_name: 'random', chart, namespace: 'team', wait: false });
    expect(first.isError, first.text).toBeFalsy();
    const flag = structuredOf(first).risks.find((risk) => risk.code === 'GENERATED_VALUES');
    expect(flag?.message).toContain('templates/secret.yaml (random values)');
    const second = structuredOf(await preview('helm_install', structuredOf(first).resolved_arguments));
    // the shown diff is the same (the value is redacted); the digest is not, which is why the flag says so up front
    expect(second.diff).toBe(structuredOf(first).diff);
    expect(second.manifest_digest).not.toBe(structuredOf(first).manifest_digest);
    // the cluster-probe chart generates nothing
    const probe = structuredOf(await preview('helm_install', { release_name: 'probe2', chart: probeChart, namespace: 'team', wait: false }));
    expect(probe.risks.map((risk) => risk.code)).not.toContain('GENERATED_VALUES');
  });
});

describe('a direct client confirms through elicitation: the manifest it accepted is the one installed', () => {
  /** A direct (untrusted) MCP client whose human accepts; `meanwhile` runs while the human is deciding. */
  async function installConfirmed(release: string, values: string, meanwhile: () => Promise<void>) {
    const server = createMcpServer({ deps });
    const client = new Client({ name: 'ide', version: '1' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      await meanwhile();
      return { action: 'accept', content: {} };
    });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    await client.connect(clientTransport);
    try {
      const result = await client.callTool({ name: 'helm_install_with_values', arguments: { release_name: release, chart: probeChart, namespace: 'team', values, wait: false } });
      return { result, text: (result.content as Array<{ text: string }>)[0]!.text, asked };
    } finally {
      await client.close();
      await server.close();
    }
  }
  const releaseExists = async (release: string) =>
    (await runner.run({ binary: helmPath, args: ['status', release, '--namespace', 'team', '--kubeconfig', harness.kubeconfigPath], env: helmHome.helmEnv })).exitCode === 0;

  it('the cluster changes while the human decides: refused with TARGET_CHANGED, nothing installed', async () => {
    const { result, text, asked } = await installConfirmed('drift', 'watchNamespace: observability\n', async () => {
      expect((await kubectl(['create', 'namespace', 'observability'])).exitCode).toBe(0);
    });
    expect(asked).toHaveLength(1);
    expect(asked[0]).not.toContain('ClusterRoleBinding');
    expect(asked[0]).toContain("The chart's templates read the live cluster");
    expect(result.isError).toBe(true);
    expect(text).toMatch(/TARGET_CHANGED: the target of helm_install_with_values changed while the user was deciding/);
    expect(await releaseExists('drift')).toBe(false);
    expect((await kubectl(['get', 'clusterrolebinding', 'drift-everything'])).exitCode).not.toBe(0);
  });

  it('nothing changes while the human decides: the accepted manifest is installed', async () => {
    const { result, text } = await installConfirmed('steady', 'watchNamespace: no-such-namespace\n', async () => {});
    expect(result.isError, text).toBeFalsy();
    expect(await releaseExists('steady')).toBe(true);
    expect((await kubectl(['get', 'configmap', 'steady-probe', '--namespace', 'team'])).exitCode).toBe(0);
  });
});
