/**
 * Budgets end to end: 10,000 pods summarised within 8k tokens; long logs tailed; YAML capped. How long the summary
 * takes (goal < 300 ms) is measured by bench/mcp-latency.ts, not here: a test on a shared machine asserts content.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateTokens } from '../../src/budgets/apply-output-budget.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
const POD_COUNT = 10_000;

beforeAll(async () => {
  // No simulated controllers: 10,000 parked pods would otherwise keep them busy for a long time.
  harness = await startKubeHarness({ workloads: false });
  const { store, registry } = harness.sim.cluster;
  const pods = registry.byResource('', 'pods')!;
  const namespaces = registry.byResource('', 'namespaces')!;
  for (let index = 0; index < 20; index += 1) store.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${index}` } });
  const phases = ['Running', 'Running', 'Running', 'Pending', 'Failed'];
  for (let index = 0; index < POD_COUNT; index += 1) {
    // Bound to a node no kubelet serves, so the simulator leaves them as they are.
    store.create(pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `load-${index}`, namespace: `team-${index % 20}`, labels: { app: `app-${index % 50}` } },
      spec: { nodeName: 'parked-node', containers: [{ name: 'main', image: 'nginx:1.27' }] },
      status: { phase: phases[index % phases.length] },
    });
  }
}, 120_000);
afterAll(() => harness?.close());

describe('output budgets', () => {
  it(`summarises ${POD_COUNT} pods across namespaces within 8k tokens`, async () => {
    const result = await harness.call('k8s_get', { resource_type: 'pods', all_namespaces: true });
    expect(result.isError).toBeFalsy();
    expect(estimateTokens(result.text)).toBeLessThanOrEqual(8000);
    expect(result.text).toMatch(new RegExp(`^${POD_COUNT} pods found`));
    // These parked pods have no container statuses, so none is ready: the "Running" ones are running but not ready.
    expect(result.text).toMatch(/By status \(most severe first\):\n\s+Failed: 2000\n\s+Pending: 2000\n\s+Running \(not ready\): 6000/);
    expect(result.text).toMatch(/By namespace \(most not-healthy first\):\n(\s+team-\d+: 500 \(500 not healthy\)\n){20}/);
    expect(result.text).toMatch(/Sample of 40 of 10000 \(broken first: CrashLoopBackOff, Error\/OOMKilled, ImagePullBackOff, Pending, not ready, ContainerCreating; spread across statuses and namespaces\):/);
    expect(result.text).toMatch(/To see the rest: pass namespace \(instead of all_namespaces\), a label_selector/);
    // most severe rows first
    const firstRow = result.text.split(/Sample of 40 of 10000 [^\n]*:\n/)[1].split('\n')[1];
    expect(firstRow).toMatch(/Failed/);
  });

  it('lists a filtered subset in full', async () => {
    const result = await harness.call('k8s_get', { resource_type: 'pods', namespace: 'team-3', label_selector: 'app=app-3' });
    expect(result.text.split('\n')).toHaveLength(1 + 100); // index ≡ 3 (mod 100)
    expect(result.text).not.toContain('summary');
  });

  it('caps YAML output at the byte budget with a note on how to narrow', async () => {
    const result = await harness.call('k8s_get', { resource_type: 'pods', namespace: 'team-1', output: 'yaml' });
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(harness.deps.settings.outputBudgetBytes);
    expect(result.text).toMatch(/\[output cut: showing the first \d+ of \d+ lines .*narrow the request/);
  });
});
