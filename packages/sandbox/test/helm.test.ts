import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceType } from '../src/kube-sim/cluster-types.ts';
import { startHarness, type KubeSimHarness } from './support/kube-sim-harness.ts';

const chart = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'charts', 'webapp');

let harness: KubeSimHarness;
const helm = (...args: string[]) => harness.helm(args);
const resource = (group: string, plural: string): ResourceType => harness.sim.cluster.registry.byResource(group, plural)!;
const deployment = () => harness.sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'shop-webapp');
const releaseSecrets = () =>
  harness.sim.cluster.store
    .list(resource('', 'secrets'), 'default')
    .filter((secret) => secret.metadata.labels?.owner === 'helm')
    .map((secret) => secret.metadata.name)
    .sort();

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

describe('helm against kube-sim', () => {
  it('renders templates with values', async () => {
    const result = await helm('template', 'shop', chart, '--set', 'message=rendered', '--set', 'image.tag=9.9');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('message: "rendered"');
    expect(result.stdout).toContain('image: "nginx:9.9"');
    expect(result.stdout).toContain('name: shop-webapp');
  });

  it('lints the chart and reports a broken copy', async () => {
    const good = await helm('lint', chart);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    const broken = path.join(harness.directory, 'broken');
    cpSync(chart, broken, { recursive: true });
    writeFileSync(path.join(broken, 'templates', 'configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.message\n');
    const bad = await helm('lint', broken);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain('[ERROR] templates/: parse error at (webapp/templates/configmap.yaml');
    expect(bad.stderr).toContain('1 chart(s) linted, 1 chart(s) failed');
  });

  it('installs a release: release secret, deployment with the values, list, status, values and manifest', async () => {
    const install = await helm('install', 'shop', chart, '--set', 'message=hello shoppers', '--set', 'replicaCount=2');
    expect(install.stdout).toContain('STATUS: deployed');
    expect(releaseSecrets()).toEqual(['sh.helm.release.v1.shop.v1']);
    expect(deployment()?.spec.replicas).toBe(2);
    expect(deployment()?.spec.template.spec.containers[0].image).toBe('nginx:1.25');
    expect(harness.sim.cluster.store.get(resource('', 'configmaps'), 'default', 'shop-webapp')?.data).toEqual({ message: 'hello shoppers' });
    expect(harness.sim.cluster.store.get(resource('', 'services'), 'default', 'shop-webapp')?.spec.ports[0].port).toBe(80);

    const list = await helm('list');
    expect(list.stdout).toMatch(/shop\s+default\s+1\s+.+deployed\s+webapp-0\.1\.0\s+1\.25\.0/);
    const status = await helm('status', 'shop');
    expect(status.stdout).toMatch(/STATUS: deployed[\s\S]*REVISION: 1/);
    const values = await helm('get', 'values', 'shop');
    expect(values.stdout).toContain('USER-SUPPLIED VALUES:');
    expect(values.stdout).toContain('message: hello shoppers');
    expect(values.stdout).toContain('replicaCount: 2');
    const manifest = await helm('get', 'manifest', 'shop');
    expect(manifest.stdout).toContain('# Source: webapp/templates/deployment.yaml');
    expect(manifest.stdout).toContain('kind: Service');
  });

  it('upgrades, shows history and rolls back', async () => {
    const upgrade = await helm('upgrade', 'shop', chart, '--reuse-values', '--set', 'image.tag=1.26');
    expect(upgrade.stdout).toContain('has been upgraded');
    expect(deployment()?.spec.template.spec.containers[0].image).toBe('nginx:1.26');
    expect(releaseSecrets()).toEqual(['sh.helm.release.v1.shop.v1', 'sh.helm.release.v1.shop.v2']);

    const rollback = await helm('rollback', 'shop', '1');
    expect(rollback.stdout).toContain('Rollback was a success');
    expect(deployment()?.spec.template.spec.containers[0].image).toBe('nginx:1.25');
    const history = await helm('history', 'shop');
    expect(history.stdout).toMatch(/1\s+.+superseded\s+webapp-0\.1\.0\s+1\.25\.0\s+Install complete/);
    expect(history.stdout).toMatch(/2\s+.+superseded\s+webapp-0\.1\.0\s+1\.25\.0\s+Upgrade complete/);
    expect(history.stdout).toMatch(/3\s+.+deployed\s+webapp-0\.1\.0\s+1\.25\.0\s+Rollback to 1/);
  });

  it('installs with --wait once the simulated workloads make the deployment ready', async () => {
    const install = await helm('install', 'waited', chart, '--wait', '--timeout', '30s', '--set', 'replicaCount=2');
    expect(install.stdout).toContain('STATUS: deployed');
    const waited = harness.sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'waited-webapp');
    expect(waited?.status?.readyReplicas).toBe(2);
    expect((await helm('uninstall', 'waited', '--wait')).stdout).toContain('release "waited" uninstalled');
  });

  it('uninstalls: objects and release secrets are gone', async () => {
    const uninstall = await helm('uninstall', 'shop');
    expect(uninstall.stdout).toContain('release "shop" uninstalled');
    expect(deployment()).toBeUndefined();
    expect(harness.sim.cluster.store.get(resource('', 'services'), 'default', 'shop-webapp')).toBeUndefined();
    expect(harness.sim.cluster.store.get(resource('', 'configmaps'), 'default', 'shop-webapp')).toBeUndefined();
    expect(releaseSecrets()).toEqual([]);
    expect((await helm('list')).stdout).not.toContain('shop');
  });
});
