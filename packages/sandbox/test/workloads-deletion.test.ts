/** Graceful pod deletion through the real kubectl: grace periods, force deletion, no sim-internal finalizers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

function podYaml(name: string, extraSpec = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
${extraSpec}  containers:
  - name: main
    image: nginx:1.27
`;
}

describe('pod deletion', () => {
  let harness: KubectlHarness;
  // 30 s of grace (the default) lasts 3 s here: long enough for three kubectl runs on a loaded machine to
  // see Terminating, short enough for a test.
  beforeAll(async () => {
    harness = await startHarness({ settings: { terminationDelayMs: 3000 } });
    await harness.ok(['apply', '-f', '-'], { input: [podYaml('graceful'), podYaml('forced'), podYaml('short'), podYaml('raw')].join('---\n') });
    await waitFor(async () => (await harness.ok(['get', 'pods', '--no-headers'])).split('\n').filter((line) => /1\/1\s+Running/.test(line)).length === 4);
  });
  afterAll(() => harness?.close());

  const store = () => harness.sim.cluster.store;
  const pods = () => harness.sim.cluster.registry.byResource('', 'pods')!;
  const exists = (name: string) => Boolean(store().get(pods(), 'default', name));

  it('shows no simulator-internal finalizer on a running pod', async () => {
    const yaml = await harness.ok(['get', 'pod', 'graceful', '-o', 'yaml']);
    expect(yaml).toMatch(/phase: Running/);
    expect(yaml).not.toContain('finalizers');
    expect(yaml).not.toContain('sim.skyflo.ai');
  });

  it('keeps a deleted pod Terminating for its scaled grace period, then removes it', async () => {
    await harness.ok(['delete', 'pod', 'graceful', '--wait=false']);
    const terminating = JSON.parse(await harness.ok(['get', 'pod', 'graceful', '-o', 'json']));
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(terminating.metadata.finalizers).toBeUndefined();
    expect(await harness.ok(['get', 'pod', 'graceful', '--no-headers'])).toMatch(/graceful\s+\S+\s+Terminating/);
    await waitFor(async () => !exists('graceful'), 15_000, 20);
    const events = await harness.ok(['get', 'events', '--field-selector', 'involvedObject.name=graceful', '-o', 'jsonpath={.items[*].reason}']);
    expect(events.split(' ')).toContain('Killing');
  });

  it('removes a pod at once with --grace-period=0 --force', async () => {
    const result = await harness.kubectl(['delete', 'pod', 'forced', '--grace-period=0', '--force']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pod "forced" force deleted');
    expect(exists('forced')).toBe(false);
  });

  it('uses a requested grace period, and a later force delete cuts a Terminating pod short', async () => {
    await harness.ok(['delete', 'pod', 'short', '--grace-period=300', '--wait=false']);
    const terminating = JSON.parse(await harness.ok(['get', 'pod', 'short', '-o', 'json']));
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(300);
    await harness.ok(['delete', 'pod', 'short', '--grace-period=0', '--force']);
    expect(exists('short')).toBe(false);
  });

  it('takes gracePeriodSeconds from the query string and rejects a value that is not a number', async () => {
    const bad = await fetch(`${harness.sim.url}/api/v1/namespaces/default/pods/raw?gracePeriodSeconds=soon`, { method: 'DELETE' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toContain('gracePeriodSeconds: Invalid value: "soon"');
    expect(exists('raw')).toBe(true);
    const response = await fetch(`${harness.sim.url}/api/v1/namespaces/default/pods/raw?gracePeriodSeconds=0`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(exists('raw')).toBe(false);
  });
});
