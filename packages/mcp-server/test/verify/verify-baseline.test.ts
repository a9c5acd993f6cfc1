/**
 * capture_change_baseline and verify_change as the engine meets them (issue 21): listed read-only and without a
 * toolset (so the engine never offers them to the model), a before-state that restores a Secret only for the engine's
 * own connection, a Helm upgrade whose inverse is a rollback to the revision it replaced, progress while verifying,
 * and a cancel that ends the wait.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess } from '../../src/connect-in-process.ts';
import { allTools } from '../../src/catalogue.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { chartsDir, createHelmHome, demoChartDir, type HelmTestEnv } from '../support/helm-test-env.ts';

let harness: KubeHarness;
let helmEnv: HelmTestEnv;
let deps: ToolDeps;
const NS = 'vault';
const PASSWORD = 'hunter2-very-secret-db-password';

beforeAll(async () => {
  harness = await startKubeHarness();
  helmEnv = await createHelmHome();
  deps = harness.depsWith({ helmEnv: helmEnv.helmEnv, helmChartDirs: [chartsDir], helmChartCacheDir: path.join(helmEnv.home, 'charts') });
  await harness.call('k8s_apply', { content: `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NS}}\n` });
});
afterAll(async () => {
  await harness?.close();
  await helmEnv?.cleanup();
});

const call = (name: string, input: Record<string, unknown>, options: { trustedCaller?: boolean; signal?: AbortSignal } = {}) =>
  runTool(allTools.find((tool) => tool.name === name)!, input, deps, { signal: options.signal ?? new AbortController().signal, trustedCaller: options.trustedCaller });

describe('listing', () => {
  it('lists both tools read-only and without a toolset, so the engine keeps them from the model', async () => {
    const { client, close } = await connectInProcess({ deps });
    try {
      const { tools } = await client.listTools();
      for (const name of ['capture_change_baseline', 'verify_change']) {
        const tool = tools.find((candidate) => candidate.name === name);
        expect(tool?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
        expect(tool?._meta?.['skyflo.ai/toolset']).toBeUndefined();
      }
    } finally {
      await close();
    }
  });
});

describe('a Secret before a delete', () => {
  const args = { name: 'db', resource_type: 'secret', namespace: NS };
  beforeAll(async () => {
    await harness.call('k8s_apply', { content: `apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: ${NS}}\nstringData: {password: ${PASSWORD}}\n` });
  });

  it('is recorded unredacted for the engine (it must restore the value), with a summary that names no value', async () => {
    const result = await call('capture_change_baseline', { tool: 'k8s_delete', args }, { trustedCaller: true });
    const structured = result.structured as Record<string, any>;
    expect(structured.undoable).toBe(true);
    expect(structured.inverse.tool).toBe('k8s_apply');
    expect(structured.inverse.summary).toBe('re-create secret vault/db from its recorded manifest');
    expect(structured.inverse.args.content).toContain(Buffer.from(PASSWORD).toString('base64'));
    expect(structured.before.objects[0].manifest.data.password).toBe(Buffer.from(PASSWORD).toString('base64'));
    expect(result.text).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  });

  it('is redacted for any other caller', async () => {
    const result = await call('capture_change_baseline', { tool: 'k8s_delete', args });
    const serialized = JSON.stringify(result);
    expect(serialized).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    expect(serialized).not.toContain(PASSWORD);
    expect((result.structured as Record<string, any>).inverse.summary).toBe('re-create secret vault/db from its recorded manifest');
  });
});

describe('helm', () => {
  it('records the release revision an upgrade replaces, proposes helm rollback to it, and verifies the upgrade', async () => {
    const install = await call('helm_install', { release_name: 'shop', chart: demoChartDir, namespace: NS, wait: false });
    expect(install.isError, install.text).toBeFalsy();
    const args = { release_name: 'shop', chart: demoChartDir, namespace: NS, values: 'replicaCount: 2\n', wait: false };
    const baseline = await call('capture_change_baseline', { tool: 'helm_upgrade', args }, { trustedCaller: true });
    expect(baseline.structured).toMatchObject({
      undoable: true,
      before: { release: 'shop', namespace: NS, revision: 1, status: 'deployed' },
      inverse: { tool: 'helm_rollback', args: { release_name: 'shop', namespace: NS, revision: 1 }, summary: 'helm rollback shop to revision 1' },
    });
    const upgrade = await call('helm_upgrade', args);
    expect(upgrade.isError, upgrade.text).toBeFalsy();
    const verification = await call('verify_change', { tool: 'helm_upgrade', args, before: (baseline.structured as Record<string, any>).before, timeout_seconds: 30, hold_seconds: 0.2 });
    expect(verification.structured).toMatchObject({ outcome: 'verified', summary: `helm release ${NS}/shop revision 2 deployed, 1 workload(s) ready` });
    const deployment = harness.sim.cluster.store.get(harness.sim.cluster.resourceFor({ apiVersion: 'apps/v1', kind: 'Deployment' })!, NS, 'shop-demo-app') ?? harness.sim.cluster.store.list(harness.sim.cluster.resourceFor({ apiVersion: 'apps/v1', kind: 'Deployment' })!, NS)[0];
    expect(deployment?.status?.readyReplicas).toBe(2);
  });

  it('cannot undo an uninstall that drops the history, and says so', async () => {
    const result = await call('capture_change_baseline', { tool: 'helm_uninstall', args: { release_name: 'shop', namespace: NS } });
    expect(result.structured).toMatchObject({ undoable: false, reason: expect.stringMatching(/^helm uninstall without keep_history deletes the release's history/) });
    const kept = await call('capture_change_baseline', { tool: 'helm_uninstall', args: { release_name: 'shop', namespace: NS, keep_history: true } });
    expect(kept.structured).toMatchObject({ undoable: true, inverse: { tool: 'helm_rollback', args: { revision: 2 } } });
  });
});

describe('while verifying', () => {
  it('reports progress over MCP and ends when the request is cancelled', async () => {
    await harness.call('k8s_apply', { content: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: pinned, namespace: ${NS}, finalizers: [example.com/hold]}\n` });
    await harness.call('k8s_delete', { name: 'pinned', resource_type: 'configmap', namespace: NS });
    const { client, close } = await connectInProcess({ deps });
    try {
      const controller = new AbortController();
      const messages: string[] = [];
      const pendingCall = client.callTool(
        { name: 'verify_change', arguments: { tool: 'k8s_delete', args: { name: 'pinned', resource_type: 'configmap', namespace: NS }, timeout_seconds: 1800 } },
        { signal: controller.signal, timeout: 3_600_000, onprogress: (progress) => messages.push(progress.message ?? '') },
      );
      await expect.poll(() => messages.length).toBeGreaterThan(0);
      expect(messages[0]).toBe('configmap vault/pinned is terminating (finalizers: example.com/hold)');
      controller.abort();
      await expect(pendingCall).rejects.toThrow(/abort/i);
    } finally {
      await close();
    }
  });
});

describe('the cluster of the call', () => {
  it('reads the named cluster, carries its name into the inverse, and refuses a cluster it does not know', async () => {
    await harness.call('k8s_apply', { content: `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ctx, namespace: ${NS}}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: ctx}}\n  template:\n    metadata: {labels: {app: ctx}}\n    spec: {containers: [{name: main, image: registry.local/ctx:1.0}]}\n` });
    const args = { name: 'ctx', resource_type: 'deployment', namespace: NS, replicas: 4, context: 'kube-sim' };
    const known = await call('capture_change_baseline', { tool: 'k8s_scale', args });
    expect(known.structured).toMatchObject({ undoable: true, inverse: { tool: 'k8s_scale', args: { name: 'ctx', replicas: 2, context: 'kube-sim' } } });
    const unknown = await call('capture_change_baseline', { tool: 'k8s_scale', args: { ...args, context: 'elsewhere' } });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('elsewhere');
    const verifyUnknown = await call('verify_change', { tool: 'k8s_scale', args: { ...args, context: 'elsewhere' } });
    expect(verifyUnknown.isError).toBe(true);
  });
});

describe('over HTTPS with a bearer token (as on a real cluster)', () => {
  it('watches a delete until the object is gone', async () => {
    const secure = await startKubeHarness({ tls: true });
    try {
      await secure.call('k8s_apply', { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tls-check, namespace: default}\ndata: {a: b}\n' });
      const args = { name: 'tls-check', resource_type: 'configmap', namespace: 'default' };
      expect((await secure.call('k8s_delete', args)).isError).toBeFalsy();
      const verification = await secure.call('verify_change', { tool: 'k8s_delete', args, hold_seconds: 0 });
      expect(verification.structured).toMatchObject({ outcome: 'verified', summary: 'configmap default/tls-check is gone' });
      // the watch was a real watch request, authenticated like every other call
      expect(secure.sim.calls.some((entry) => entry.verb === 'watch' && entry.path === '/api/v1/namespaces/default/configmaps' && entry.user === 'kube-sim-admin')).toBe(true);

      // While nothing changes, nothing is asked: one list and one watch for the whole wait, no repeated reads.
      const created = await secure.call('k8s_apply', { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stuck, namespace: default, finalizers: [example.com/hold]}\n' });
      expect(created.isError, created.text).toBeFalsy();
      const stuck = { name: 'stuck', resource_type: 'configmap', namespace: 'default' };
      const deleted = await secure.call('k8s_delete', stuck);
      expect(deleted.isError, deleted.text).toBeFalsy();
      const first = secure.sim.calls.at(-1)!.sequence;
      const waited = await secure.call('verify_change', { tool: 'k8s_delete', args: stuck, timeout_seconds: 2 });
      expect(waited.structured, waited.text).toMatchObject({ outcome: 'timed_out' });
      const during = secure.sim.calls.filter((entry) => entry.sequence > first && entry.path.includes('/configmaps'));
      expect(during.map((entry) => entry.verb)).toEqual(['list', 'watch']);
    } finally {
      await secure.close();
    }
  });
});
