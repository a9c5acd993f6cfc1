/**
 * The release lifecycle with the real helm binary against kube-sim: install, inspect, diff, upgrade,
 * roll back and uninstall, checking the objects helm created in the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { helmTools } from '../../src/tools/helm/index.ts';
import { callTool, createHelmHome, demoChartDir, helmDeps, type HelmTestEnv } from '../support/helm-test-env.ts';
import path from 'node:path';

const tool = (name: string) => helmTools.find((candidate) => candidate.name === name)!;

let sim: KubeSim;
let env: HelmTestEnv;
let deps: ToolDeps;

beforeAll(async () => {
  env = await createHelmHome();
  sim = await startKubeSim({ port: 0 });
  const kubeconfigPath = path.join(env.home, 'kubeconfig');
  sim.writeKubeconfig(kubeconfigPath);
  deps = helmDeps({ helmEnv: env.helmEnv, settings: { kubeconfigPath } });
});

afterAll(async () => {
  await sim?.close();
  await env?.cleanup();
});

const object = (apiVersion: string, kind: string, namespace: string, name: string) => {
  const resource = sim.cluster.resourceFor({ apiVersion, kind })!;
  return sim.cluster.store.get(resource, namespace, name);
};

describe('helm release lifecycle on kube-sim', () => {
  it('installs with values into a new namespace and creates the chart objects', async () => {
    const result = await callTool(
      tool('helm_install_with_values'),
      { release_name: 'shop', chart: demoChartDir, namespace: 'store', values: 'replicaCount: 2\ndbPassword: install-secret-pw\n', wait: false },
      deps,
    );
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toContain('STATUS: deployed');
    expect(object('apps/v1', 'Deployment', 'store', 'shop-web')?.spec.replicas).toBe(2);
    expect(object('v1', 'Service', 'store', 'shop-web')).toBeDefined();
    expect(object('v1', 'ConfigMap', 'store', 'shop-config')?.data).toEqual({ GREETING: 'hello' });
  });

  it('refuses to install the same release name twice', async () => {
    const result = await callTool(tool('helm_install'), { release_name: 'shop', chart: demoChartDir, namespace: 'store', wait: false }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('A release with that name already exists');
  });

  it('lists, shows status, values and manifest with secrets redacted', async () => {
    const list = await callTool(tool('helm_list_releases'), { all_namespaces: true }, deps);
    expect(list.text).toMatch(/shop\s+store\s+1\s+.*deployed\s+demo-app-0.1.0/);
    const status = await callTool(tool('helm_status'), { release_name: 'shop', namespace: 'store' }, deps);
    expect(status.text).toContain('demo-app shop is installed');
    const values = await callTool(tool('helm_get_values'), { release_name: 'shop', namespace: 'store' }, deps);
    expect(values.text).toContain('replicaCount: 2');
    expect(values.text).not.toContain('install-secret-pw');
    const manifest = await callTool(tool('helm_get_manifest'), { release_name: 'shop', namespace: 'store' }, deps);
    expect(manifest.text).toContain('name: shop-db');
    expect(manifest.text).not.toContain('install-secret-pw');
  });

  it('helm_upgrade_diff previews an upgrade without changing the cluster', async () => {
    const result = await callTool(tool('helm_upgrade_diff'), { release_name: 'shop', namespace: 'store', chart: demoChartDir, values: 'replicaCount: 5\n' }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toContain('-  replicas: 2');
    expect(result.text).toContain('+  replicas: 5');
    expect(result.structured).toMatchObject({ changed: true, releaseExists: true });
    expect(object('apps/v1', 'Deployment', 'store', 'shop-web')?.spec.replicas).toBe(2);
    const history = await callTool(tool('helm_history'), { release_name: 'shop', namespace: 'store' }, deps);
    expect(history.text.trim().split('\n')).toHaveLength(2);
  });

  it('helm_upgrade_diff of a new release shows every object as added', async () => {
    const result = await callTool(tool('helm_upgrade_diff'), { release_name: 'fresh', namespace: 'store', chart: demoChartDir }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toContain('fresh (not installed)');
    expect(result.text).toContain('+kind: Deployment');
    expect(result.structured).toMatchObject({ releaseExists: false });
  });

  it('upgrades with reuse_values, keeps history, and rolls back', async () => {
    const upgraded = await callTool(tool('helm_upgrade'), { release_name: 'shop', chart: demoChartDir, namespace: 'store', values: 'greeting: bonjour\n', reuse_values: true, wait: false }, deps);
    expect(upgraded.isError, upgraded.text).toBeFalsy();
    expect(object('v1', 'ConfigMap', 'store', 'shop-config')?.data).toEqual({ GREETING: 'bonjour' });
    expect(object('apps/v1', 'Deployment', 'store', 'shop-web')?.spec.replicas).toBe(2);

    const history = await callTool(tool('helm_history'), { release_name: 'shop', namespace: 'store', max_revisions: 10 }, deps);
    expect(history.text).toMatch(/1\s+.*superseded/);
    expect(history.text).toMatch(/2\s+.*deployed/);

    const preview = await callTool(tool('helm_upgrade_diff'), { release_name: 'shop', namespace: 'store', to_revision: 1 }, deps);
    expect(preview.text).toContain('-  GREETING: "bonjour"');
    expect(preview.text).toContain('+  GREETING: "hello"');

    const rolledBack = await callTool(tool('helm_rollback'), { release_name: 'shop', revision: 1, namespace: 'store', wait: false }, deps);
    expect(rolledBack.isError, rolledBack.text).toBeFalsy();
    expect(object('v1', 'ConfigMap', 'store', 'shop-config')?.data).toEqual({ GREETING: 'hello' });
  });

  it('rollback to a revision that does not exist fails clearly', async () => {
    const result = await callTool(tool('helm_rollback'), { release_name: 'shop', revision: 42, namespace: 'store', wait: false }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('helm said');
  });

  it('uninstalls the release and its objects; a second uninstall reports not found', async () => {
    const result = await callTool(tool('helm_uninstall'), { release_name: 'shop', namespace: 'store' }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toContain('release "shop" uninstalled');
    expect(object('apps/v1', 'Deployment', 'store', 'shop-web')).toBeUndefined();
    const again = await callTool(tool('helm_uninstall'), { release_name: 'shop', namespace: 'store' }, deps);
    expect(again.isError).toBe(true);
    expect(again.text).toContain('not found');
  });

  it('helm_status of an unknown release is a clear error', async () => {
    const result = await callTool(tool('helm_status'), { release_name: 'ghost', namespace: 'store' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('The Helm release was not found');
  });
});
