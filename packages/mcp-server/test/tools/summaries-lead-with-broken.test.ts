/**
 * Summaries lead with what is broken: 10,000 pods on kube-sim, most of them healthy or ContainerCreating,
 * a few hundred broken by real faults the simulated kubelet produces (crash → CrashLoopBackOff, a missing
 * image → ErrImagePull/ImagePullBackOff, a memory limit below use → OOMKilled, requests no node can hold →
 * Pending, never ready → Running 0/1). Once in one namespace among thousands of ContainerCreating pods, once
 * spread across namespaces: the sample must show the broken rows first and reach every faulty namespace,
 * and the events summary must put Warnings first, newest first, with repeats merged.
 *
 * The healthy and ContainerCreating bulk is written with its status (bound to a node no kubelet serves), as
 * the kube-sim load tests do: simulating 9,600 healthy containers would only slow the test down.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { estimateTokens } from '../../src/budgets/apply-output-budget.ts';
import { SEVERITY, ageSeconds, severityOf } from '../../src/tools/kubectl/summarise-table.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
let directory: string;
const TOTAL = 10_000;
const SPREAD_NAMESPACES = Array.from({ length: 8 }, (_, index) => `team-${index}`);
const FAULTY_NAMESPACES = ['payments', ...SPREAD_NAMESPACES];

interface FaultyPod {
  name: string;
  namespace: string;
  image: string;
  restartPolicy: 'Always' | 'Never';
  resources?: Record<string, unknown>;
}

function faultyPods(): FaultyPod[] {
  const pods: FaultyPod[] = [];
  const add = (namespace: string, kind: string, count: number) => {
    for (let index = 0; index < count; index += 1) {
      const name = `${kind}-${index}`;
      if (kind === 'crash') pods.push({ name, namespace, image: 'registry.local/crash-app:1.0', restartPolicy: 'Always' });
      if (kind === 'pull') pods.push({ name, namespace, image: 'registry.example.com/doesnotexist:1.0', restartPolicy: 'Always' });
      // restartPolicy Never keeps an OOMKilled container terminated, so its STATUS stays OOMKilled.
      if (kind === 'oom') pods.push({ name, namespace, image: 'registry.local/oom-app:1.0', restartPolicy: 'Never', resources: { limits: { memory: '64Mi' } } });
      if (kind === 'huge') pods.push({ name, namespace, image: 'nginx:1.27', restartPolicy: 'Always', resources: { requests: { cpu: '500' } } });
      if (kind === 'unready') pods.push({ name, namespace, image: 'registry.local/unready-app:1.0', restartPolicy: 'Always' });
    }
  };
  add('payments', 'crash', 30);
  add('payments', 'pull', 30);
  add('payments', 'oom', 30);
  add('payments', 'huge', 15);
  add('payments', 'unready', 15);
  for (const namespace of SPREAD_NAMESPACES) {
    add(namespace, 'crash', 3);
    add(namespace, 'pull', 3);
    add(namespace, 'oom', 3);
  }
  return pods;
}

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'skyflo-summaries-'));
  const scenario = path.join(directory, 'scenario.yaml');
  // Two large workers, so every faulty pod gets scheduled and its kubelet produces the real fault.
  writeFileSync(scenario, `apiVersion: sim.skyflo.ai/v1alpha1
kind: SimScenario
nodes:
  - {name: worker-a, role: worker, cpu: "64", memory: 256Gi, pods: 1000}
  - {name: worker-b, role: worker, cpu: "64", memory: 256Gi, pods: 1000}
`);
  harness = await startKubeHarness({ scenario, settings: { readinessDelayMs: 20, startDelayMs: 10, crashBackoffMs: 60_000, jobDurationMs: 50 } });
  const { store, registry } = harness.sim.cluster;
  const podType = registry.byResource('', 'pods')!;
  const namespaceType = registry.byResource('', 'namespaces')!;
  for (const name of ['payments', ...Array.from({ length: 20 }, (_, index) => `team-${index}`)]) {
    store.create(namespaceType, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  const broken = faultyPods();
  for (const pod of broken) {
    store.create(podType, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod.name, namespace: pod.namespace, labels: { app: pod.name.replace(/-\d+$/, '') } },
      spec: { restartPolicy: pod.restartPolicy, containers: [{ name: 'main', image: pod.image, ...(pod.resources ? { resources: pod.resources } : {}) }] },
    });
  }
  const parked = (name: string, namespace: string, state: 'creating' | 'running') => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'bulk' } },
    spec: { nodeName: 'parked-node', containers: [{ name: 'main', image: 'nginx:1.27' }] },
    status:
      state === 'creating'
        ? { phase: 'Pending', containerStatuses: [{ name: 'main', image: 'nginx:1.27', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }
        : { phase: 'Running', containerStatuses: [{ name: 'main', image: 'nginx:1.27', ready: true, restartCount: 0, state: { running: { startedAt: new Date().toISOString() } } }] },
  });
  // payments: 5,000 pods, 2,000 of them ContainerCreating (the state that filled the whole sample before).
  const paymentsBroken = broken.filter((pod) => pod.namespace === 'payments').length;
  for (let index = 0; index < 2000; index += 1) store.create(podType, parked(`creating-${index}`, 'payments', 'creating'));
  for (let index = 0; index < 5000 - 2000 - paymentsBroken; index += 1) store.create(podType, parked(`web-${index}`, 'payments', 'running'));
  const rest = TOTAL - 5000 - broken.filter((pod) => pod.namespace !== 'payments').length;
  for (let index = 0; index < rest; index += 1) store.create(podType, parked(`api-${index}`, `team-${index % 20}`, 'running'));

  // Wait until the kubelet has produced every fault. Polled slowly: each check copies the faulty namespaces' pods.
  await vi.waitFor(async () => {
    const byName = new Map(FAULTY_NAMESPACES.flatMap((namespace) => store.list(podType, namespace)).map((pod) => [`${pod.metadata.namespace}/${pod.metadata.name}`, pod]));
    for (const pod of broken) {
      const live = byName.get(`${pod.namespace}/${pod.name}`)!;
      const status = live.status?.containerStatuses?.[0];
      const kind = pod.name.replace(/-\d+$/, '');
      if (kind === 'crash') expect(status?.state?.waiting?.reason, pod.name).toBe('CrashLoopBackOff');
      if (kind === 'pull') expect(status?.state?.waiting?.reason, pod.name).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
      if (kind === 'oom') expect(status?.state?.terminated?.reason, pod.name).toBe('OOMKilled');
      if (kind === 'huge') expect(live.status?.conditions?.find((condition: any) => condition.type === 'PodScheduled')?.reason, pod.name).toBe('Unschedulable');
      if (kind === 'unready') expect(status?.state?.running && status.ready === false, pod.name).toBe(true);
    }
  }, { timeout: 60_000, interval: 250 });
}, 120_000);

afterAll(async () => {
  await harness?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** The sample table of a summary: its header and rows split into cells. */
function sampleOf(text: string): { headers: string[]; rows: string[][] } {
  const lines = text.split(/\nSample of \d+ of \d+[^\n]*:\n/)[1].split('\n\nTo see the rest')[0].split('\n');
  const split = (line: string) => line.trim().split(/\s{2,}/);
  return { headers: split(lines[0]), rows: lines.slice(1).map(split) };
}

function expectWithinBudget(text: string): void {
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(harness.deps.settings.outputBudgetBytes);
  expect(estimateTokens(text)).toBeLessThanOrEqual(8000);
}

describe('pod summaries lead with what is broken', () => {
  it('in one namespace: 5,000 pods, faults among 2,000 ContainerCreating', async () => {
    const result = await harness.call('k8s_get', { resource_type: 'pods', namespace: 'payments' });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toMatch(/^5000 pods found; too many to list in full/);
    expectWithinBudget(result.text);
    // Counts too lead with the broken statuses, ContainerCreating and healthy last.
    const counts = result.text.split('By status (most severe first):\n')[1].split('\n\n')[0].split('\n').map((line) => line.trim().split(': ')[0]);
    expect(counts[0]).toBe('CrashLoopBackOff');
    expect(counts.slice(-2)).toEqual(['ContainerCreating', 'Running']);
    expect(result.text).toMatch(/^\s+OOMKilled: 30$/m);
    expect(result.text).toMatch(/^\s+Running \(not ready\): 15$/m);

    const { headers, rows } = sampleOf(result.text);
    const status = headers.indexOf('STATUS');
    const ready = headers.indexOf('READY');
    expect(rows).toHaveLength(40);
    expect(rows[0][status]).toBe('CrashLoopBackOff');
    const ranks = rows.map((row) => severityOf(row[status], row[ready]));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const statuses = new Set(rows.map((row) => row[status]));
    for (const expected of ['CrashLoopBackOff', 'OOMKilled', 'Pending']) expect(statuses).toContain(expected);
    expect([...statuses].some((value) => /^(ErrImagePull|ImagePullBackOff)$/.test(value))).toBe(true);
    expect(rows.some((row) => row[status] === 'Running' && row[ready] === '0/1')).toBe(true);
    // Broken pods are plenty: no slot goes to ContainerCreating or healthy rows, and no status takes more than its share.
    expect(ranks.every((rank) => rank < SEVERITY.starting)).toBe(true);
    const perStatus = new Map<string, number>();
    for (const row of rows) perStatus.set(row[status], (perStatus.get(row[status]) ?? 0) + 1);
    expect(Math.max(...perStatus.values())).toBeLessThanOrEqual(Math.ceil(40 / perStatus.size) + 1);
  });

  it('across namespaces: all 10,000 pods, faults in nine of 21 namespaces', async () => {
    const result = await harness.call('k8s_get', { resource_type: 'pods', all_namespaces: true });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toMatch(new RegExp(`^${TOTAL} pods found`));
    expectWithinBudget(result.text);
    const { headers, rows } = sampleOf(result.text);
    const [namespace, status] = [headers.indexOf('NAMESPACE'), headers.indexOf('STATUS')];
    expect(rows[0][status]).toBe('CrashLoopBackOff');
    const sampled = new Set(rows.map((row) => row[namespace]));
    for (const faulty of FAULTY_NAMESPACES) expect(sampled, `${faulty} missing from the sample`).toContain(faulty);
    // Only faulty namespaces: the healthy ones have nothing to show while broken pods remain.
    expect([...sampled].every((name) => FAULTY_NAMESPACES.includes(name))).toBe(true);
    // The namespace counts lead with the ones that have problems.
    expect(result.text).toMatch(/By namespace \(most not-healthy first\):\n\s+payments: 5000 \(2120 not healthy\)\n/);
    expect(result.text).toMatch(/^\s+team-0: \d+ \(9 not healthy\)$/m);
  });

  it('events: Warning first, newest first, repeats merged with their counts', async () => {
    const { store, registry } = harness.sim.cluster;
    const eventType = registry.byResource('', 'events')!;
    // Two Event objects for one occurrence stream (as after an event-series split): one row, counts added.
    const now = Date.now();
    for (const [suffix, count, secondsAgo] of [['a', 3, 400], ['b', 4, 1]] as const) {
      store.create(eventType, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `probe-failure.${suffix}`, namespace: 'team-3' },
        involvedObject: { kind: 'Pod', name: 'api-3', namespace: 'team-3' },
        type: 'Warning',
        reason: 'ProbeWarning',
        message: 'Readiness probe warning: slow response',
        source: { component: 'kubelet' },
        firstTimestamp: new Date(now - 600_000).toISOString(),
        lastTimestamp: new Date(now - secondsAgo * 1000).toISOString(),
        count,
      });
    }
    const result = await harness.call('k8s_get', { resource_type: 'events', all_namespaces: true });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toMatch(/^\d+ events found \(\d+ distinct\); too many to list in full/);
    expectWithinBudget(result.text);
    const { headers, rows } = sampleOf(result.text);
    const [type, reason, lastSeen, count, namespace] = ['TYPE', 'REASON', 'LAST SEEN', 'COUNT', 'NAMESPACE'].map((name) => headers.indexOf(name));
    const types = rows.map((row) => row[type]);
    const firstNormal = types.indexOf('Normal');
    expect(types[0]).toBe('Warning');
    if (firstNormal >= 0) expect(types.slice(firstNormal).every((value) => value === 'Normal')).toBe(true);
    // Newest first within the Warnings.
    const warningAges = rows.filter((row) => row[type] === 'Warning').map((row) => ageSeconds(row[lastSeen]));
    expect(warningAges).toEqual([...warningAges].sort((a, b) => a - b));
    // The merged repeat: one row, 3 + 4 occurrences, seen 1s ago.
    const merged = rows.filter((row) => row[reason] === 'ProbeWarning');
    expect(merged).toHaveLength(1);
    expect(merged[0][count]).toBe('7');
    expect(merged[0][namespace]).toBe('team-3');
    // The reasons kubelet gave the broken pods are all in the sample, not just the most frequent one.
    const reasons = new Set(rows.filter((row) => row[type] === 'Warning').map((row) => row[reason]));
    for (const expected of ['BackOff', 'Failed', 'FailedScheduling', 'ProbeWarning']) expect(reasons).toContain(expected);
    expect(result.text).toMatch(/By type and reason \(occurrences, Warning first\):\n\s+Warning /);
  });
});
