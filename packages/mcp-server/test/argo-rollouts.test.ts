/**
 * The Argo Rollouts family against kube-sim with the Argo CRDs installed: every write tool must leave
 * the Rollout exactly as `kubectl argo rollouts` would, and the read tools must render what is stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installArgoRolloutsCrds, startKubeSim, type KubeObject, type KubeSim } from '@skyflo/testkit/kube-sim';
import { argoTools } from '../src/tools/argo/index.ts';
import type { ToolDeps } from '../src/tools/deps.ts';
import { callTool, helmDeps } from './helm-test-env.ts';

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
  [sim, bareSim] = await Promise.all([startKubeSim({ port: 0 }), startKubeSim({ port: 0 })]);
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

/** A canary rollout paused at step 1 of 3, moving from nginx:1.26 (revision 1) to nginx:1.27 (revision 2). */
function seedRollout(name = 'checkout'): KubeObject {
  const existing = sim.cluster.store.get(rolloutType(), 'default', name);
  if (existing) sim.cluster.store.remove(rolloutType(), 'default', name);
  for (const replicaSet of sim.cluster.store.list(replicaSetType(), 'default')) {
    if (replicaSet.metadata.name!.startsWith(`${name}-`)) sim.cluster.store.remove(replicaSetType(), 'default', replicaSet.metadata.name!);
  }
  const rollout = sim.cluster.store.create(rolloutType(), {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: 'default', annotations: { 'rollout.argoproj.io/revision': '2' } },
    spec: {
      replicas: 5,
      selector: { matchLabels: { app: 'checkout' } },
      template: podTemplate('nginx:1.27'),
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }] } },
    },
  });
  const owner = [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name, uid: rollout.metadata.uid!, controller: true }];
  const replicaSet = (hash: string, revision: string, image: string, replicas: number) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${name}-${hash}`, namespace: 'default', labels: { app: 'checkout', 'rollouts-pod-template-hash': hash }, annotations: { 'rollout.argoproj.io/revision': revision }, ownerReferences: owner },
    // replicas 0 keeps kube-sim's ReplicaSet controller from starting pods: these tests are about the Rollout
    spec: { replicas: 0, selector: { matchLabels: { app: 'checkout', 'rollouts-pod-template-hash': hash } }, template: podTemplate(image, hash) },
    status: { replicas },
  });
  sim.cluster.store.create(replicaSetType(), replicaSet('6f7d9c8b5', '1', 'nginx:1.26', 4));
  sim.cluster.store.create(replicaSetType(), replicaSet('7c5b8f9d4', '2', 'nginx:1.27', 1));
  return sim.cluster.store.mutate(rolloutType(), 'default', name, (object) => {
    object.status = {
      replicas: 5,
      updatedReplicas: 1,
      readyReplicas: 5,
      availableReplicas: 5,
      currentStepIndex: 1,
      stableRS: '6f7d9c8b5',
      currentPodHash: '7c5b8f9d4',
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2026-01-01T00:00:00Z' }],
      canary: { weights: { canary: { weight: 20 } } },
    };
    return object;
  })!;
}

beforeEach(() => {
  seedRollout();
});

describe('argo read tools', () => {
  it('argo_status renders phase, step, weights, stable and canary images and replicas', async () => {
    const result = await callTool(tool('argo_status'), { name: 'checkout' }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toMatch(/^Paused - CanaryPauseStep/);
    expect(result.text).toMatch(/Strategy:\s+Canary/);
    expect(result.text).toMatch(/Step:\s+1\/3/);
    expect(result.text).toMatch(/SetWeight:\s+20/);
    expect(result.text).toMatch(/ActualWeight:\s+20/);
    expect(result.text).toContain('nginx:1.26 (stable)');
    expect(result.text).toContain('nginx:1.27 (canary)');
    expect(result.text).toMatch(/Desired:\s+5/);
  });

  it('argo_describe lists the ReplicaSets by revision with their roles and the steps', async () => {
    const result = await callTool(tool('argo_describe'), { name: 'checkout' }, deps);
    expect(result.text).toMatch(/revision:2\s+checkout-7c5b8f9d4.*canary/);
    expect(result.text).toMatch(/revision:1\s+checkout-6f7d9c8b5.*stable/);
    expect(result.text).toContain('→ 1: {"pause":{}}');
  });

  it('argo_list_rollouts shows the rollout with status and step', async () => {
    const result = await callTool(tool('argo_list_rollouts'), {}, deps);
    expect(result.text).toMatch(/NAME\s+DESIRED\s+CURRENT\s+UP-TO-DATE\s+AVAILABLE/);
    expect(result.text).toMatch(/checkout\s+5\s+5\s+1\s+5\s+\S+\s+Canary\s+Paused\s+step 1\/3, weight 20%/);
    const empty = await callTool(tool('argo_list_rollouts'), { namespace: 'kube-system' }, deps);
    expect(empty.text).toBe('No rollouts found in namespace kube-system.');
  });

  it('argo_history lists revisions and shows one revision template', async () => {
    const result = await callTool(tool('argo_history'), { name: 'checkout' }, deps);
    expect(result.text).toMatch(/2\s+checkout-7c5b8f9d4\s+nginx:1.27,envoy:1.30\s+\S+\s+current,canary/);
    expect(result.text).toMatch(/1\s+checkout-6f7d9c8b5\s+nginx:1.26,envoy:1.30/);
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
  it('promote clears the pause conditions through the status subresource', async () => {
    const result = await callTool(tool('argo_promote'), { name: 'checkout' }, deps);
    expect(result.text).toBe("rollout 'checkout' promoted");
    expect(stored().status.pauseConditions ?? null).toBeNull();
    expect(stored().status.currentStepIndex).toBe(1);
  });

  it('promote full sets status.promoteFull', async () => {
    await callTool(tool('argo_promote'), { name: 'checkout', full: true }, deps);
    expect(stored().status.promoteFull).toBe(true);
  });

  it('promote of a rollout running analysis moves to the next step', async () => {
    sim.cluster.store.mutate(rolloutType(), 'default', 'checkout', (object) => {
      delete object.status.pauseConditions;
      return object;
    });
    await callTool(tool('argo_promote'), { name: 'checkout' }, deps);
    expect(stored().status.currentStepIndex).toBe(2);
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
    expect(stored().status.abort).toBe(true);
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
