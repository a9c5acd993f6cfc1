/**
 * Several clusters (issue 22): two kube-sims behind one kubeconfig with contexts alpha (current) and beta, plus a
 * third (gamma) that is stopped. Every Kubernetes, Helm and Argo call runs on exactly the cluster its `context`
 * names (real kubectl and helm included), an unknown cluster is an error that changes nothing anywhere, and
 * list_clusters says which cluster answers and why one does not.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installArgoRolloutsCrds, startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import { createToolDeps } from '../../src/create-tool-deps.ts';
import { listToolCatalogue } from '../../src/create-mcp-server.ts';
import { allTools } from '../../src/catalogue.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import type { ToolOutput } from '../../src/contract/tool-definition.ts';
import { demoChartDir, chartsDir } from '../support/helm-test-env.ts';

let alpha: KubeSim;
let beta: KubeSim;
let gamma: KubeSim;
let directory: string;
let kubeconfig: string;
let deps: ToolDeps;

const call = (name: string, input: Record<string, unknown>, callDeps: ToolDeps = deps): Promise<ToolOutput> => {
  const tool = allTools.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  return runTool(tool, input, callDeps, { signal: new AbortController().signal });
};

const replicasOf = (sim: KubeSim, name: string, namespace = 'default') =>
  sim.cluster.store.get(sim.cluster.registry.byResource('apps', 'deployments')!, namespace, name)?.spec?.replicas;

const deploymentYaml = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: web, image: 'nginx:1.27'}]}
`;

function clusterYaml(entries: Array<{ name: string; sim: KubeSim }>, current: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `current-context: ${current}`,
    'clusters:',
    ...entries.flatMap(({ name, sim }) => [`- name: ${name}`, '  cluster:', `    server: ${sim.url}`, '    insecure-skip-tls-verify: true']),
    'users:',
    ...entries.flatMap(({ name, sim }) => [`- name: ${name}-admin`, `  user: {token: ${sim.adminToken}}`]),
    'contexts:',
    ...entries.flatMap(({ name }) => [`- name: ${name}`, `  context: {cluster: ${name}, user: ${name}-admin, namespace: default}`]),
    '',
  ].join('\n');
}

function depsFor(kubeconfigPath: string): ToolDeps {
  return createToolDeps({
    kubeconfigPath,
    kubectlPath,
    helmPath,
    helmEnv: { HELM_CACHE_HOME: path.join(directory, 'helm-cache'), HELM_CONFIG_HOME: path.join(directory, 'helm-config'), HELM_DATA_HOME: path.join(directory, 'helm-data') },
    helmChartDirs: [chartsDir],
    helmChartCacheDir: path.join(directory, 'chart-cache'),
    clusterLabels: { beta: 'prod' },
  });
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'skyflo-clusters-'));
  // kubectl caches discovery per cluster; a fresh cache keeps this suite independent
  process.env.KUBECACHEDIR = path.join(directory, 'kube-cache');
  const settings = { readinessDelayMs: 10, startDelayMs: 5 };
  [alpha, beta, gamma] = await Promise.all([startKubeSim({ settings }), startKubeSim({ settings }), startKubeSim({ settings })]);
  installArgoRolloutsCrds(beta.cluster);
  kubeconfig = path.join(directory, 'kubeconfig');
  await writeFile(kubeconfig, clusterYaml([{ name: 'alpha', sim: alpha }, { name: 'beta', sim: beta }, { name: 'gamma', sim: gamma }], 'alpha'));
  deps = depsFor(kubeconfig);
  // different apps: web (2 replicas) in alpha; web (3 replicas) and api in beta
  for (const [context, content] of [
    ['alpha', deploymentYaml('web', 2)],
    ['beta', `${deploymentYaml('web', 3)}---\n${deploymentYaml('api', 1)}`],
  ] as const) {
    const applied = await call('k8s_apply', { content, context });
    expect(applied.isError, applied.text).toBeFalsy();
  }
  await gamma.close();
}, 60_000);

afterAll(async () => {
  await Promise.all([alpha?.close(), beta?.close(), gamma?.close()]);
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('context on every Kubernetes, Helm and Argo tool', () => {
  it('is in the schema of every k8s/helm/argo tool and of none of the Jenkins or observability tools', () => {
    const catalogue = listToolCatalogue();
    for (const tool of catalogue.filter((entry) => entry.toolset === 'k8s' || entry.toolset === 'helm' || entry.toolset === 'argo')) {
      expect((tool.inputSchema['properties'] as Record<string, unknown>)['context'], tool.name).toMatchObject({ type: 'string' });
    }
    // Jenkins has no cluster; Prometheus and Loki are the data sources of the conversation's cluster, which the engine hands over
    for (const tool of catalogue.filter((entry) => entry.toolset === 'jenkins' || entry.toolset === 'observability')) {
      expect((tool.inputSchema['properties'] as Record<string, unknown>)['context'], tool.name).toBeUndefined();
    }
  });

  it('k8s_scale with context beta scales only in beta', async () => {
    const result = await call('k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 5, context: 'beta' });
    expect(result.isError, result.text).toBeFalsy();
    expect(replicasOf(beta, 'web')).toBe(5);
    expect(replicasOf(alpha, 'web')).toBe(2);
    // and back, so the preview test below sees beta's own state
    await call('k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 3, context: 'beta' });
    expect(replicasOf(beta, 'web')).toBe(3);
  });

  it('without context the kubeconfig current context (alpha) is used', async () => {
    const list = await call('k8s_get', { resource_type: 'deployments' });
    expect(list.text).toContain('web');
    expect(list.text).not.toContain('api');
  });

  it('k8s_get (API) and k8s_describe (real kubectl, --context) read the named cluster', async () => {
    const inBeta = await call('k8s_get', { resource_type: 'deployments', context: 'beta' });
    expect(inBeta.text).toContain('api');
    const described = await call('k8s_describe', { resource_type: 'deployment', name: 'api', context: 'beta' });
    expect(described.isError, described.text).toBeFalsy();
    expect(described.text).toMatch(/Name:\s+api/);
    const notInAlpha = await call('k8s_get', { resource_type: 'deployment', name: 'api', context: 'alpha' });
    expect(notInAlpha.isError).toBe(true);
  });

  it('helm installs and lists in the named cluster only (real helm, --kube-context)', async () => {
    const installed = await call('helm_install', { release_name: 'shop', chart: demoChartDir, namespace: 'default', wait: false, context: 'beta' });
    expect(installed.isError, installed.text).toBeFalsy();
    expect(replicasOf(beta, 'shop-web')).toBeDefined();
    expect(replicasOf(alpha, 'shop-web')).toBeUndefined();
    expect((await call('helm_list_releases', { all_namespaces: true, context: 'beta' })).text).toContain('shop');
    expect((await call('helm_list_releases', { all_namespaces: true, context: 'alpha' })).text).not.toContain('shop');
  });

  it('argo tools read the named cluster', async () => {
    const rollout = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: checkout}
spec:
  replicas: 1
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec: {containers: [{name: app, image: 'nginx:1.27'}]}
  strategy: {canary: {steps: [{setWeight: 50}, {pause: {}}]}}
`;
    const applied = await call('k8s_apply', { content: rollout, context: 'beta' });
    expect(applied.isError, applied.text).toBeFalsy();
    const inBeta = await call('argo_list_rollouts', { namespace: 'default', context: 'beta' });
    expect(inBeta.isError, inBeta.text).toBeFalsy();
    expect(inBeta.text).toContain('checkout');
    // alpha has no Argo Rollouts at all
    const inAlpha = await call('argo_list_rollouts', { namespace: 'default', context: 'alpha' });
    expect(inAlpha.text).not.toContain('checkout');
  });

  it('an unknown context is an error naming it and the known clusters, and changes nothing anywhere', async () => {
    const result = await call('k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 9, context: 'delta' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('Unknown cluster "delta"');
    expect(result.text).toContain('"alpha", "beta", "gamma"');
    expect(replicasOf(alpha, 'web')).toBe(2);
    expect(replicasOf(beta, 'web')).toBe(3);
    const helm = await call('helm_uninstall', { release_name: 'shop', namespace: 'default', context: 'delta' });
    expect(helm.isError).toBe(true);
    expect(helm.text).toContain('Unknown cluster "delta"');
    expect(replicasOf(beta, 'shop-web')).toBeDefined();
    const preview = await call('preview_tool_call', { tool: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 9, context: 'delta' } });
    expect(preview.isError).toBe(true);
    expect(preview.text).toContain('Unknown cluster "delta"');
  });

  it('a preview of a call for beta is rendered against beta and keeps the context in resolved_arguments', async () => {
    const preview = await call('preview_tool_call', { tool: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 4, context: 'beta' } });
    expect(preview.isError, preview.text).toBeFalsy();
    expect(preview.structured?.['diff']).toContain('-  replicas: 3');
    expect(preview.structured?.['diff']).toContain('+  replicas: 4');
    expect(preview.structured?.['resolved_arguments']).toMatchObject({ context: 'beta' });
    const inAlpha = await call('preview_tool_call', { tool: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 4 } });
    expect(inAlpha.structured?.['diff']).toContain('-  replicas: 2');
    expect(replicasOf(beta, 'web')).toBe(3);
  });
});

describe('list_clusters and unreachable clusters', () => {
  it('reports each cluster: the stopped one unreachable and named, the others reachable with identity and version', async () => {
    const result = await call('list_clusters', {});
    expect(result.isError, result.text).toBeFalsy();
    const clusters = result.structured?.['clusters'] as Array<Record<string, unknown>>;
    expect(clusters.map((cluster) => cluster['name'])).toEqual(['alpha', 'beta', 'gamma']);
    const [a, b, g] = clusters;
    expect(a).toMatchObject({ name: 'alpha', server: alpha.url, current: true, reachable: true, default_namespace: 'default' });
    expect(a!['identity']).toEqual(expect.any(String));
    expect(a!['version']).toMatch(/^v\d+\.\d+/);
    expect(b).toMatchObject({ name: 'beta', label: 'prod', current: false, reachable: true });
    expect(g).toMatchObject({ name: 'gamma', reachable: false });
    expect(g!['error']).toContain(`kubeconfig ${kubeconfig}: context gamma`);
    expect(g!['error']).toContain('ECONNREFUSED');
  });

  it('a tool error for the stopped cluster names it, while the other clusters keep answering', async () => {
    const failed = await call('k8s_get', { resource_type: 'pods', context: 'gamma' });
    expect(failed.isError).toBe(true);
    expect(failed.text).toContain(`Cluster "gamma" (${gamma.url})`);
    const viaKubectl = await call('k8s_describe', { resource_type: 'deployment', name: 'web', context: 'gamma' });
    expect(viaKubectl.isError).toBe(true);
    expect(viaKubectl.text).toContain('Cluster "gamma"');
    const viaHelm = await call('helm_list_releases', { all_namespaces: true, context: 'gamma' });
    expect(viaHelm.isError).toBe(true);
    expect(viaHelm.text).toContain(`Cluster "gamma" (${gamma.url}): The Kubernetes cluster is unreachable`);
    expect((await call('k8s_get', { resource_type: 'deployments', context: 'beta' })).isError).toBeFalsy();
  });
});

describe('a kubeconfig edited in place after start', () => {
  it('kubectl and helm still reach the API server loaded for the context, as the API clients and list_clusters do', async () => {
    // The attack (or the accident: `aws eks update-kubeconfig`): the file now says alpha is beta's server. kubectl and
    // helm re-read the file on every call; without the pinned server a write approved for alpha's server lands on beta.
    const file = path.join(directory, 'kubeconfig-edited');
    await writeFile(file, clusterYaml([{ name: 'alpha', sim: alpha }, { name: 'beta', sim: beta }], 'alpha'));
    const editedDeps = depsFor(file);
    // the MCP server as started: its clusters loaded (what list_clusters reports and the engine's approvals bind)
    expect((await call('list_clusters', {}, editedDeps)).text).toContain(alpha.url);
    await writeFile(file, clusterYaml([{ name: 'alpha', sim: beta }, { name: 'beta', sim: beta }], 'alpha'));

    // helm (install, upgrade, rollback, uninstall) is the writer that runs as a child process
    const installed = await call('helm_install', { release_name: 'pinned', chart: demoChartDir, namespace: 'default', wait: false, context: 'alpha' }, editedDeps);
    expect(installed.isError, installed.text).toBeFalsy();
    expect(replicasOf(alpha, 'pinned-web')).toBeDefined();
    expect(replicasOf(beta, 'pinned-web')).toBeUndefined();
    const listed = await call('helm_list_releases', { namespace: 'default', context: 'alpha' }, editedDeps);
    expect(listed.text).toContain('pinned');
    const uninstalled = await call('helm_uninstall', { release_name: 'pinned', namespace: 'default', context: 'alpha' }, editedDeps);
    expect(uninstalled.isError, uninstalled.text).toBeFalsy();
    expect(replicasOf(alpha, 'pinned-web')).toBeUndefined();
  });
});

describe('kubeconfig files', () => {
  it('KUBECONFIG listing two files merges their contexts (first current-context wins), for the API and for kubectl/helm', async () => {
    const first = path.join(directory, 'alpha.yaml');
    const second = path.join(directory, 'beta.yaml');
    await writeFile(first, clusterYaml([{ name: 'alpha', sim: alpha }], 'alpha'));
    await writeFile(second, clusterYaml([{ name: 'beta', sim: beta }], 'beta'));
    const merged = depsFor(`${first}${path.delimiter}${second}`);
    const clusters = (await call('list_clusters', {}, merged)).structured?.['clusters'] as Array<Record<string, unknown>>;
    expect(clusters.map((cluster) => [cluster['name'], cluster['current'], cluster['reachable']])).toEqual([
      ['alpha', true, true],
      ['beta', false, true],
    ]);
    // kubectl (describe) and helm get KUBECONFIG with both files and --context
    const described = await call('k8s_describe', { resource_type: 'deployment', name: 'api', context: 'beta' }, merged);
    expect(described.isError, described.text).toBeFalsy();
    expect((await call('helm_list_releases', { all_namespaces: true, context: 'beta' }, merged)).text).toContain('shop');
    const scaled = await call('k8s_scale', { name: 'api', resource_type: 'deployment', replicas: 2, context: 'beta' }, merged);
    expect(scaled.isError, scaled.text).toBeFalsy();
    expect(replicasOf(beta, 'api')).toBe(2);
    expect((await call('k8s_get', { resource_type: 'deployments' }, merged)).text).not.toContain('api');
  });

  it('a missing kubeconfig file is a clear error naming the file, not the skipTLSVerify message', async () => {
    const missing = path.join(directory, 'nope', 'config');
    const result = await call('k8s_get', { resource_type: 'pods' }, depsFor(missing));
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`The kubeconfig ${missing} does not exist`);
    expect(result.text).not.toContain('skipTLSVerify');
    const listed = await call('list_clusters', {}, depsFor(missing));
    expect(listed.isError).toBe(true);
    expect(listed.text).toContain(missing);
  });

  it('a context whose cluster is not defined is listed unusable with the file and context named', async () => {
    const broken = path.join(directory, 'broken.yaml');
    await writeFile(broken, `${clusterYaml([{ name: 'alpha', sim: alpha }], 'alpha')}contexts:\n- name: alpha\n  context: {cluster: alpha, user: alpha-admin}\n- name: lost\n  context: {cluster: nowhere, user: alpha-admin}\n`.replace(/contexts:\n- name: alpha\n {2}context: \{cluster: alpha, user: alpha-admin, namespace: default\}\n/, ''));
    const brokenDeps = depsFor(broken);
    const clusters = (await call('list_clusters', {}, brokenDeps)).structured?.['clusters'] as Array<Record<string, unknown>>;
    expect(clusters.find((cluster) => cluster['name'] === 'lost')).toMatchObject({ reachable: false, error: `kubeconfig ${broken}: context lost: its cluster "nowhere" is not defined in any kubeconfig file` });
    const result = await call('k8s_get', { resource_type: 'pods', context: 'lost' }, brokenDeps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('Cluster "lost" cannot be used');
  });
});
