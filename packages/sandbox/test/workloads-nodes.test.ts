import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 4
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: "registry.local/api:1.0"}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "registry.local/node-agent:1.0"}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: api}}
`;

describe('nodes: cordon, drain, eviction with PDBs, DaemonSets', () => {
  let harness: KubectlHarness;
  beforeAll(async () => {
    harness = await startHarness();
    await harness.ok(['apply', '-f', '-'], { input: manifests });
    await harness.ok(['rollout', 'status', 'deployment/api', '--timeout=15s']);
    await harness.ok(['rollout', 'status', 'daemonset/agent', '--timeout=15s']);
  });
  afterAll(() => harness?.close());

  const podsOn = async (node: string, app: string) =>
    JSON.parse(await harness.ok(['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items.filter((pod: any) => pod.spec.nodeName === node && !pod.metadata.deletionTimestamp);

  it('runs one DaemonSet pod per schedulable worker (not on the tainted control plane)', async () => {
    const pods = JSON.parse(await harness.ok(['get', 'pods', '-l', 'app=agent', '-o', 'json'])).items;
    expect(pods.map((pod: any) => pod.spec.nodeName).sort()).toEqual(['sim-worker-1', 'sim-worker-2']);
    expect(await harness.ok(['get', 'ds', 'agent', '--no-headers'])).toMatch(/agent\s+2\s+2\s+2\s+2\s+2/);
    expect(await harness.ok(['rollout', 'history', 'daemonset/agent'])).toMatch(/REVISION\s+CHANGE-CAUSE\s+1\s+/);
  });

  it('cordons and uncordons a node', async () => {
    await harness.ok(['cordon', 'sim-worker-2']);
    expect(await harness.ok(['get', 'node', 'sim-worker-2', '--no-headers'])).toMatch(/Ready,SchedulingDisabled/);
    await harness.ok(['uncordon', 'sim-worker-2']);
    expect(await harness.ok(['get', 'node', 'sim-worker-2', '--no-headers'])).toMatch(/^sim-worker-2\s+Ready\s/);
  });

  it('blocks a drain that would violate the PodDisruptionBudget', async () => {
    await harness.ok(['scale', 'deployment/api', '--replicas=3']);
    await waitFor(async () => (await harness.ok(['get', 'pdb', 'api', '-o', 'jsonpath={.status.disruptionsAllowed}/{.status.currentHealthy}'])) === '0/3');
    const node = JSON.parse(await harness.ok(['get', 'pods', '-l', 'app=api', '-o', 'json'])).items[0].spec.nodeName;
    const result = await harness.kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=2s'], { timeoutMs: 15_000 });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    await harness.ok(['uncordon', node]);
  });

  it('drains a node: pods are evicted and recreated elsewhere, DaemonSet pods stay', async () => {
    await harness.ok(['scale', 'deployment/api', '--replicas=4']);
    await harness.ok(['rollout', 'status', 'deployment/api', '--timeout=15s']);
    await harness.ok(['patch', 'pdb', 'api', '--type=merge', '-p', '{"spec":{"minAvailable":1}}']);
    const before = await podsOn('sim-worker-1', 'api');
    expect(before.length).toBeGreaterThan(0);
    const result = await harness.kubectl(['drain', 'sim-worker-1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=20s'], { timeoutMs: 30_000 });
    expect(result.stderr + result.stdout).toContain('node/sim-worker-1 drained');
    expect(result.stdout + result.stderr).toMatch(/evicting pod default\/api-/);
    expect(await podsOn('sim-worker-1', 'api')).toHaveLength(0);
    expect(await podsOn('sim-worker-1', 'agent')).toHaveLength(1);
    await harness.ok(['rollout', 'status', 'deployment/api', '--timeout=15s']);
    const after = JSON.parse(await harness.ok(['get', 'pods', '-l', 'app=api', '-o', 'json'])).items.filter((pod: any) => !pod.metadata.deletionTimestamp);
    expect(after).toHaveLength(4);
    expect(after.every((pod: any) => pod.spec.nodeName === 'sim-worker-2')).toBe(true);
    expect(await harness.ok(['get', 'node', 'sim-worker-1', '--no-headers'])).toContain('SchedulingDisabled');
  });
});
