/**
 * 10,000 pods written straight into the store with the simulated controllers on: the API must keep
 * answering (the controllers index pods and reconcile in short slices, instead of a stall of half a minute).
 * The list timings are in bench/kube-sim-list.ts; these tests assert order: the API answers while the backlog is
 * still being worked through.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startKubeSim, type KubeObject, type KubeSim } from '../src/kube-sim/index.ts';

const parkedCount = 9_000;
const unboundCount = 1_000;

async function getJson(url: string, accept?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url, accept ? { headers: { Accept: accept } } : undefined);
  return { status: response.status, body: await response.json() };
}

describe('kube-sim under load with workloads on', () => {
  let sim: KubeSim;
  let firstPage: Awaited<ReturnType<typeof getJson>>;
  /** unbound pods the scheduler had neither placed nor reported unschedulable when the first page arrived */
  let backlogWhenAnswered: number;
  const isSettled = (pod: KubeObject) => Boolean(pod.spec.nodeName || pod.status?.conditions?.some((condition: any) => condition.reason === 'Unschedulable'));

  beforeAll(async () => {
    sim = await startKubeSim({ settings: { startDelayMs: 10, readinessDelayMs: 20 } });
    const pods = sim.cluster.registry.byResource('', 'pods')!;
    const pod = (name: string, nodeName?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: 'load' } },
      spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'main', image: 'nginx:1.27' }] },
      status: { phase: 'Pending' },
    });
    // Bound to a node that no simulated kubelet runs: the simulator must leave these alone.
    for (let index = 0; index < parkedCount; index++) sim.cluster.store.create(pods, pod(`parked-${String(index).padStart(5, '0')}`, 'parked-node'));
    // Unbound: the scheduler places what fits on the three default nodes and reports the rest.
    for (let index = 0; index < unboundCount; index++) sim.cluster.store.create(pods, pod(`pending-${String(index).padStart(4, '0')}`));
    // Asked straight away, while the controllers still have the whole backlog queued.
    firstPage = await getJson(`${sim.url}/api/v1/pods?limit=500`);
    backlogWhenAnswered = sim.cluster.store.list(pods).filter((pod) => pod.metadata.name!.startsWith('pending-') && !isSettled(pod)).length;
  }, 60_000);

  afterAll(() => sim?.close());

  it('answers the first page while the controllers are still working through 10,000 new pods', () => {
    expect(firstPage.status).toBe(200);
    expect(firstPage.body.items).toHaveLength(500);
    expect(firstPage.body.metadata.continue).toBeTruthy();
    // the answer did not wait for the backlog: most unbound pods were still unhandled when it arrived
    expect(backlogWhenAnswered).toBeGreaterThan(unboundCount / 2);
  });

  it('lists all 10,000 pods, as JSON and as a Table', async () => {
    const list = await getJson(`${sim.url}/api/v1/pods`);
    expect(list.body.items).toHaveLength(parkedCount + unboundCount);
    const table = await getJson(`${sim.url}/api/v1/pods`, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(table.body.kind).toBe('Table');
    expect(table.body.rows).toHaveLength(parkedCount + unboundCount);
  });

  it('schedules what fits, reports the rest unschedulable, and leaves pods on an unknown node untouched', async () => {
    const pods = sim.cluster.registry.byResource('', 'pods')!;
    const pending = () => sim.cluster.store.list(pods).filter((pod) => pod.metadata.name!.startsWith('pending-'));
    // Each check copies all 10,000 pods: poll slowly, or the test itself starves the controllers it waits for.
    await vi.waitFor(() => expect(pending().filter((pod) => !isSettled(pod))).toHaveLength(0), { timeout: 30_000, interval: 500 });
    const scheduled = pending().filter((pod) => pod.spec.nodeName);
    // 110 pods per node (allocatable.pods) on the two workers; the control plane is tainted NoSchedule.
    expect(scheduled).toHaveLength(220);
    const unschedulable = pending().find((pod) => !pod.spec.nodeName)!;
    expect(unschedulable.status.conditions.find((condition: any) => condition.type === 'PodScheduled').message).toMatch(/^0\/3 nodes are available: 1 node\(s\) had untolerated taint .*, 2 Too many pods\./);
    const parked = sim.cluster.store.get(pods, 'default', 'parked-00042')!;
    expect(parked.status).toEqual({ phase: 'Pending' });
    expect(parked.metadata.finalizers).toBeUndefined();
  }, 40_000);

  it('starts a parked pod once its node joins the cluster', async () => {
    const { store, registry } = sim.cluster;
    const pods = registry.byResource('', 'pods')!;
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'late', namespace: 'default' }, spec: { nodeName: 'late-node', containers: [{ name: 'main', image: 'nginx:1.27' }] } });
    // a pod created after it on a node that does run: once that one runs, the kubelets have had their turn at 'late'
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'control', namespace: 'default' }, spec: { nodeName: 'sim-worker-1', containers: [{ name: 'main', image: 'nginx:1.27' }] } });
    await vi.waitFor(() => expect(store.get(pods, 'default', 'control')!.status?.phase).toBe('Running'), { timeout: 30_000, interval: 50 });
    expect(store.get(pods, 'default', 'late')!.status?.phase ?? 'Pending').toBe('Pending');
    const worker = store.get(registry.byResource('', 'nodes')!, undefined, 'sim-worker-1')!;
    store.create(registry.byResource('', 'nodes')!, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'late-node', labels: worker.metadata.labels }, spec: {}, status: worker.status });
    // 110 pending pods land on the new node at the same time: on a loaded machine this takes a while.
    await vi.waitFor(() => expect(store.get(pods, 'default', 'late')!.status?.phase).toBe('Running'), { timeout: 30_000, interval: 50 });
  }, 40_000);
});
