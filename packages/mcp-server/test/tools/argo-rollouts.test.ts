/**
 * The Argo Rollouts family against kube-sim with the Argo CRDs installed: every write tool must leave
 * the Rollout exactly as `kubectl argo rollouts` would, and the read tools must render what is stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { installArgoRolloutsCrds, startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { argoTools } from '../../src/tools/argo/index.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { callTool, helmDeps } from '../support/helm-test-env.ts';

const tool = (name: string) => argoTools.find((candidate) => candidate.name === name)!;

let sim: KubeSim;
let bareSim: KubeSim;
let directory: string;
let deps: ToolDeps;
let bareDeps: ToolDeps;

function kubeConfigFor(target: KubeSim, file: string): KubeConfig {
  target.writeKubeconfig(file);
  const config = new KubeConfig();
  config.loadFromFile(file);
  return config;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'skyflo-argo-'));
  const settings = { readinessDelayMs: 10, startDelayMs: 5 };
  [sim, bareSim] = await Promise.all([startKubeSim({ port: 0, settings }), startKubeSim({ port: 0, settings })]);
  installArgoRolloutsCrds(sim.cluster);
  deps = helmDeps({ kubeConfig: kubeConfigFor(sim, path.join(directory, 'kubeconfig')) });
  bareDeps = helmDeps({ kubeConfig: kubeConfigFor(bareSim, path.join(directory, 'bare-kubeconfig')) });
});

afterAll(async () => {
  await Promise.all([sim?.close(), bareSim?.close()]);
  if (directory) await rm(directory, { recursive: true, force: true });
});

const rolloutType = () => sim.cluster.resourceFor({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' })!;
const replicaSetType = () => sim.cluster.resourceFor({ apiVersion: 'apps/v1', kind: 'ReplicaSet' })!;
const stored = (name = 'checkout') => sim.cluster.store.get(rolloutType(), 'default', name)!;

function podTemplate(image: string, hash?: string) {
  return {
    metadata: { labels: { app: 'checkout', ...(hash ? { 'rollouts-pod-template-hash': hash } : {}) } },
    spec: { containers: [{ name: 'web', image }, { name: 'proxy', image: 'envoy:1.30' }] },
  };
}

/** vi.waitFor until `check` holds; a failure names what was awaited and shows the rollout's status then. */
async function waitFor(check: () => boolean, what: string, timeout = 15_000): Promise<void> {
  await vi.waitFor(
    () => {
      if (!check()) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(stored()?.status)}`);
    },
    { timeout, interval: 20 },
  );
}

/**
 * A canary rollout driven by kube-sim's Argo Rollouts controller: revision 1 (nginx:1.26) becomes
 * stable, then revision 2 (nginx:1.27) stops at the indefinite pause of step 1 of 3.
 */
async function seedRollout(name = 'checkout'): Promise<void> {
  if (sim.cluster.store.get(rolloutType(), 'default', name)) sim.cluster.store.remove(rolloutType(), 'default', name);
  for (const replicaSet of sim.cluster.store.list(replicaSetType(), 'default')) {
    if (replicaSet.metadata.name!.startsWith(`${name}-`)) sim.cluster.store.remove(replicaSetType(), 'default', replicaSet.metadata.name!);
  }
  sim.cluster.store.create(rolloutType(), {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 5,
      selector: { matchLabels: { app: 'checkout' } },
      template: podTemplate('nginx:1.26'),
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }] } },
    },
  });
  await waitFor(() => Boolean(stored(name)?.status?.stableRS) && stored(name).status.phase === 'Healthy', 'revision 1 to become healthy');
  sim.cluster.store.mutate(rolloutType(), 'default', name, (object) => {
    object.spec.template = podTemplate('nginx:1.27');
    return object;
  });
  await waitFor(() => stored(name)?.status?.currentStepIndex === 1 && (stored(name).status.pauseConditions ?? []).length > 0, 'revision 2 to pause at step 1');
}

beforeEach(async () => {
  await seedRollout();
});

describe('argo read tools', () => {
  it('argo_status renders phase, step, weights, stable and canary images and replicas', async () => {
    const result = await callTool(tool('argo_status'), { name: 'checkout' }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toMatch(/^Paused - CanaryPauseStep/);
    expect(result.text).toMatch(/Strategy:\s+Canary/);
    expect(result.text).toMatch(/Step:\s+1\/3/);
    expect(result.text).toMatch(/SetWeight:\s+20/);
    expect(result.text).toMatch(/ActualWeight:\s+\d+/);
    expect(result.text).toContain('nginx:1.26 (stable)');
    expect(result.text).toContain('nginx:1.27 (canary)');
    expect(result.text).toMatch(/Desired:\s+5/);
  });

  it('argo_describe lists the ReplicaSets by revision with their roles and the steps', async () => {
    const result = await callTool(tool('argo_describe'), { name: 'checkout' }, deps);
    expect(result.text).toMatch(/revision:2\s+checkout-\S+.*canary/);
    expect(result.text).toMatch(/revision:1\s+checkout-\S+.*stable/);
    expect(result.text).toContain('→ 1: {"pause":{}}');
  });

  it('argo_list_rollouts shows the rollout with status and step', async () => {
    const result = await callTool(tool('argo_list_rollouts'), {}, deps);
    expect(result.text).toMatch(/NAME\s+DESIRED\s+CURRENT\s+UP-TO-DATE\s+AVAILABLE/);
    expect(result.text).toMatch(/checkout\s+5\s+\d+\s+\d+\s+\d+\s+\S+\s+Canary\s+Paused\s+step 1\/3, weight 20%/);
    const empty = await callTool(tool('argo_list_rollouts'), { namespace: 'kube-system' }, deps);
    expect(empty.text).toBe('No rollouts found in namespace kube-system.');
  });

  it('argo_history lists revisions and shows one revision template', async () => {
    const result = await callTool(tool('argo_history'), { name: 'checkout' }, deps);
    expect(result.text).toMatch(/2\s+checkout-\S+\s+nginx:1.27,envoy:1.30\s+\S+\s+current,canary/);
    expect(result.text).toMatch(/1\s+checkout-\S+\s+nginx:1.26,envoy:1.30/);
    const one = await callTool(tool('argo_history'), { name: 'checkout', revision: 1 }, deps);
    expect(one.text).toContain('image: nginx:1.26');
    const missing = await callTool(tool('argo_history'), { name: 'checkout', revision: 9 }, deps);
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('pick one of: 2, 1');
  });

  it('lists experiments and analysis runs, filtered by owning rollout', async () => {
    const owner = [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'checkout', uid: stored().metadata.uid! }];
    const experimentType = sim.cluster.resourceFor({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Experiment' })!;
    const analysisType = sim.cluster.resourceFor({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun' })!;
    for (const [type, kind] of [[experimentType, 'Experiment'], [analysisType, 'AnalysisRun']] as const) {
      for (const object of sim.cluster.store.list(type, 'default')) sim.cluster.store.remove(type, 'default', object.metadata.name!);
      sim.cluster.store.create(type, { apiVersion: 'argoproj.io/v1alpha1', kind, metadata: { name: `checkout-${kind.toLowerCase()}-1`, namespace: 'default', ownerReferences: owner }, spec: {}, status: { phase: 'Failed', message: 'error rate 7% > 5%' } });
      sim.cluster.store.create(type, { apiVersion: 'argoproj.io/v1alpha1', kind, metadata: { name: `other-${kind.toLowerCase()}-1`, namespace: 'default' }, spec: {}, status: { phase: 'Successful' } });
    }
    const experiments = await callTool(tool('argo_list_experiments'), { rollout_name: 'checkout' }, deps);
    expect(experiments.text).toMatch(/checkout-experiment-1\s+Failed\s+checkout/);
    expect(experiments.text).not.toContain('other-experiment-1');
    const none = await callTool(tool('argo_list_experiments'), { rollout_name: 'payments' }, deps);
    expect(none.text).toBe("No experiments found for rollout 'payments'.");
    const runs = await callTool(tool('argo_list_analysisruns'), {}, deps);
    expect(runs.text).toMatch(/checkout-analysisrun-1\s+Failed\s+checkout\s+\S+\s+error rate 7% > 5%/);
    expect(runs.text).toContain('other-analysisrun-1');
  });
});

describe('argo write tools change the Rollout like the plugin', () => {
  it('promote releases the step pause and the controller completes the canary', async () => {
    const result = await callTool(tool('argo_promote'), { name: 'checkout' }, deps);
    expect(result.text).toBe("rollout 'checkout' promoted");
    await waitFor(() => stored().status.phase === 'Healthy' && stored().status.currentStepIndex === 3, 'the canary to complete');
    expect(stored().status.pauseConditions ?? null).toBeNull();
    expect((await callTool(tool('argo_status'), { name: 'checkout' }, deps)).text).toContain('nginx:1.27 (stable)');
  });

  it('promote full skips the remaining steps', async () => {
    await callTool(tool('argo_promote'), { name: 'checkout', full: true }, deps);
    await waitFor(() => stored().status.phase === 'Healthy' && stored().status.stableRS === stored().status.currentPodHash, 'full promotion');
  });

  it('promote of a healthy rollout says there is nothing to promote', async () => {
    await callTool(tool('argo_promote'), { name: 'checkout', full: true }, deps);
    await waitFor(() => stored().status.phase === 'Healthy', 'full promotion');
    const again = await callTool(tool('argo_promote'), { name: 'checkout' }, deps);
    expect(again.isError).toBe(true);
    expect(again.text).toContain('is not paused');
  });

  it('pause sets spec.paused and resume clears it and the pause conditions', async () => {
    expect((await callTool(tool('argo_pause_rollout'), { name: 'checkout' }, deps)).text).toBe("rollout 'checkout' paused");
    expect(stored().spec.paused).toBe(true);
    expect((await callTool(tool('argo_status'), { name: 'checkout' }, deps)).isError).toBeFalsy();
    expect((await callTool(tool('argo_resume_rollout'), { name: 'checkout' }, deps)).text).toBe("rollout 'checkout' resumed");
    expect(stored().spec.paused).toBe(false);
    expect(stored().status.pauseConditions ?? null).toBeNull();
  });

  it('abort sets status.abort', async () => {
    expect((await callTool(tool('argo_abort_rollout'), { name: 'checkout' }, deps)).text).toBe("rollout 'checkout' aborted");
    await waitFor(() => stored().status.abort === true && stored().status.phase === 'Degraded', 'the abort');
    expect((await callTool(tool('argo_status'), { name: 'checkout' }, deps)).text).toMatch(/^Degraded - RolloutAborted/);
  });

  it('restart sets spec.restartAt to about now', async () => {
    const before = Date.now();
    await callTool(tool('argo_rollout_restart'), { name: 'checkout' }, deps);
    const restartAt = Date.parse(stored().spec.restartAt);
    expect(restartAt).toBeGreaterThanOrEqual(before - 1000);
    expect(restartAt).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('set_image changes only the named container', async () => {
    const result = await callTool(tool('argo_set_image'), { name: 'checkout', image: 'nginx:1.28', container_name: 'web' }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(stored().spec.template.spec.containers).toEqual([
      { name: 'web', image: 'nginx:1.28' },
      { name: 'proxy', image: 'envoy:1.30' },
    ]);
  });

  it('set_image asks which container when there are several, and rejects unknown ones and flag-like images', async () => {
    const ambiguous = await callTool(tool('argo_set_image'), { name: 'checkout', image: 'nginx:1.28' }, deps);
    expect(ambiguous.isError).toBe(true);
    expect(ambiguous.text).toContain('has 2 containers (web, proxy)');
    const unknown = await callTool(tool('argo_set_image'), { name: 'checkout', image: 'nginx:1.28', container_name: 'db' }, deps);
    expect(unknown.text).toContain('no container named "db"');
    const hostile = await callTool(tool('argo_set_image'), { name: 'checkout', image: '--server=https://evil' }, deps);
    expect(hostile.isError).toBe(true);
    expect(stored().spec.template.spec.containers[0].image).toBe('nginx:1.27');
  });

  it('undo restores the previous revision template without the pod-template-hash label', async () => {
    const result = await callTool(tool('argo_undo'), { name: 'checkout' }, deps);
    expect(result.text).toContain('restored from revision 1');
    expect(stored().spec.template).toEqual(podTemplate('nginx:1.26'));
    const missing = await callTool(tool('argo_undo'), { name: 'checkout', to_revision: 7 }, deps);
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('has no revision 7');
  });
});

describe('argo failures', () => {
  it('reports a missing rollout', async () => {
    for (const name of ['argo_status', 'argo_promote', 'argo_pause_rollout', 'argo_abort_rollout', 'argo_undo']) {
      const result = await callTool(tool(name), { name: 'ghost' }, deps);
      expect(result.isError, name).toBe(true);
      expect(result.text).toContain('Rollout "ghost" in namespace "default" was not found');
    }
  });

  it('says the CRDs are not installed on a cluster without Argo Rollouts', async () => {
    for (const [name, input] of [['argo_list_rollouts', {}], ['argo_status', { name: 'checkout' }], ['argo_list_analysisruns', {}]] as const) {
      const result = await callTool(tool(name), input, bareDeps);
      expect(result.isError, name).toBe(true);
      expect(result.text).toContain('Argo Rollouts CRDs are not installed in this cluster');
    }
  });

  it('rejects hostile names before calling the API, and refuses writes in read-only mode', async () => {
    const hostile = await callTool(tool('argo_pause_rollout'), { name: '../../secrets/x' }, deps);
    expect(hostile.isError).toBe(true);
    expect(hostile.text).toContain('Invalid name');
    const readOnly = await callTool(tool('argo_abort_rollout'), { name: 'checkout' }, { ...deps, settings: { ...deps.settings, readOnly: true } });
    expect(readOnly.isError).toBe(true);
    expect(stored().status.abort).toBeUndefined();
  });
});
