import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

describe('the demo scenario and the Argo Rollouts controller, through the real kubectl', () => {
  let harness: KubectlHarness;
  beforeAll(async () => {
    harness = await startHarness({ scenario: 'demo', settings: { hpaSyncPeriodMs: 500 } });
  });
  afterAll(() => harness?.close());

  const rollout = async (name: string) => JSON.parse(await harness.ok(['get', 'rollouts.argoproj.io', name, '-n', 'prod', '-o', 'json']));

  it('has a healthy payments deployment with rollout history', async () => {
    expect(await harness.ok(['rollout', 'status', 'deployment/payments', '-n', 'prod', '--timeout=20s'])).toContain('successfully rolled out');
    const pods = (await harness.ok(['get', 'pods', '-n', 'prod', '-l', 'app=payments', '--no-headers'])).trim().split('\n');
    expect(pods).toHaveLength(3);
    for (const line of pods) expect(line).toMatch(/1\/1\s+Running/);
    const history = await harness.ok(['rollout', 'history', 'deployment/payments', '-n', 'prod']);
    expect(history).toMatch(/1\s+deploy payments 1\.4\.0/);
    expect(history).toMatch(/2\s+deploy payments 1\.4\.1/);
    expect(history).toMatch(/3\s+deploy payments 1\.5\.0/);
    await harness.ok(['rollout', 'undo', 'deployment/payments', '-n', 'prod']);
    await harness.ok(['rollout', 'status', 'deployment/payments', '-n', 'prod', '--timeout=20s']);
    expect(await harness.ok(['get', 'deployment', 'payments', '-n', 'prod', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toBe('registry.acme.io/payments:1.4.1');
    expect(await harness.ok(['get', 'pdb', 'payments', '-n', 'prod', '-o', 'jsonpath={.status.currentHealthy}/{.status.desiredHealthy}'])).toMatch(/^[3-4]\/2$/);
  });

  it('has checkout crash-looping on a bad DATABASE_URL while revision 1 still serves', async () => {
    // One listing for every check below: a crash-looping pod's STATUS keeps cycling (Running, Error, CrashLoopBackOff),
    // so a second `get` could catch it between states.
    const lines = await waitFor(async () => {
      const listing = (await harness.ok(['get', 'pods', '-n', 'prod', '-l', 'app=checkout', '--no-headers'])).trim().split('\n');
      return listing.some((line) => line.includes('CrashLoopBackOff')) && listing;
    });
    expect(lines.filter((line) => /1\/1\s+Running/.test(line))).toHaveLength(2);
    const crashing = lines.find((line) => line.includes('CrashLoopBackOff'))!.split(/\s+/)[0];
    await waitFor(async () => (await harness.kubectl(['logs', crashing, '-n', 'prod', '--previous'])).code === 0);
    const logs = await harness.ok(['logs', crashing, '-n', 'prod', '--previous']);
    expect(logs).toContain('Error: getaddrinfo ENOTFOUND postgres-primary.prod.svc.cluster.local');
    expect(await harness.ok(['rollout', 'history', 'deployment/checkout', '-n', 'prod'])).toMatch(/2\s+deploy checkout 2\.3\.1/);
    // Rolling back fixes it: revision 1's pods are the only ones left.
    await harness.ok(['rollout', 'undo', 'deployment/checkout', '-n', 'prod']);
    await harness.ok(['rollout', 'status', 'deployment/checkout', '-n', 'prod', '--timeout=20s']);
    await waitFor(async () => !/CrashLoopBackOff|Error/.test(await harness.ok(['get', 'pods', '-n', 'prod', '-l', 'app=checkout'])));
  });

  it('has frontend in ImagePullBackOff in staging, and a completed job', async () => {
    await waitFor(async () => /ImagePullBackOff/.test(await harness.ok(['get', 'pods', '-n', 'staging'])));
    await harness.ok(['wait', '--for=condition=complete', 'job/db-migrate-2024-11', '-n', 'prod', '--timeout=20s']);
    const jobPod = (await harness.ok(['get', 'pods', '-n', 'prod', '-l', 'job-name=db-migrate-2024-11', '-o', 'name'])).trim();
    expect(await harness.ok(['logs', jobPod, '-n', 'prod'])).toBe('applying migrations 0041_orders_index 0042_refunds\nmigrations complete\n');
    expect(await harness.ok(['get', 'hpa', '-n', 'prod'])).toContain('payments');
    expect(await harness.ok(['get', 'svc,cm,secret', '-n', 'prod'])).toMatch(/service\/payments[\s\S]*configmap\/payments-config[\s\S]*secret\/checkout-db/);
  });

  it('has the reports claim Pending on a StorageClass that does not exist, and its pod unschedulable', async () => {
    const claimEvents = () => harness.ok(['get', 'events', '-n', 'prod', '--field-selector', 'involvedObject.name=reports-data', '-o', 'jsonpath={.items[*].message}']);
    await waitFor(async () => (await claimEvents()).includes('storageclass.storage.k8s.io "fast-ssd" not found'));
    expect(await harness.ok(['get', 'pvc', 'reports-data', '-n', 'prod', '--no-headers'])).toMatch(/^reports-data\s+Pending\s+fast-ssd\s+<unset>/);
    const pod = (await harness.ok(['get', 'pods', '-n', 'prod', '-l', 'app=reports', '-o', 'name'])).trim();
    await waitFor(async () => (await harness.ok(['describe', '-n', 'prod', pod])).includes('0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.'));
    // The payments HPA reads the steady 34% the scenario sets, below its 70% target.
    await waitFor(async () => (await harness.ok(['get', 'hpa', 'payments', '-n', 'prod', '--no-headers'])).includes('cpu: 34%/70%'));
  });

  it('has the web Rollout paused at its canary step; promote (merge patch) makes it Healthy', async () => {
    const paused = await waitFor(async () => {
      const current = await rollout('web');
      return current.status?.phase === 'Paused' ? current : undefined;
    });
    expect(paused.status).toMatchObject({ currentStepIndex: 1, controllerPause: true, observedGeneration: expect.any(String) });
    expect(paused.status.pauseConditions[0].reason).toBe('CanaryPauseStep');
    expect(paused.status.stableRS).not.toBe(paused.status.currentPodHash);
    const images = async () => JSON.parse(await harness.ok(['get', 'pods', '-n', 'prod', '-l', 'app=web', '-o', 'json'])).items.filter((pod: any) => !pod.metadata.deletionTimestamp).map((pod: any) => pod.spec.containers[0].image).sort();
    expect(await images()).toEqual(['nginx:1.26', 'nginx:1.26', 'nginx:1.26', 'nginx:1.26', 'nginx:1.27']);

    // Like `kubectl argo rollouts promote --full`: the plugin patches status through the status subresource.
    await harness.ok(['patch', 'rollouts.argoproj.io', 'web', '-n', 'prod', '--subresource=status', '--type=merge', '-p', '{"status":{"promoteFull":true}}']);
    const healthy = await waitFor(async () => {
      const current = await rollout('web');
      return current.status?.phase === 'Healthy' ? current : undefined;
    });
    expect(healthy.status.stableRS).toBe(healthy.status.currentPodHash);
    await waitFor(async () => (await images()).join() === 'nginx:1.27,nginx:1.27,nginx:1.27,nginx:1.27,nginx:1.27');
  });

  it('steps through a canary update with promote and aborts to Degraded', async () => {
    await harness.ok(['patch', 'rollouts.argoproj.io', 'web', '-n', 'prod', '--type=merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}']);
    await waitFor(async () => (await rollout('web')).status?.phase === 'Paused');
    // Plain promote: clear the pause condition → goes on to setWeight 60 and the timed pause.
    await harness.ok(['patch', 'rollouts.argoproj.io', 'web', '-n', 'prod', '--subresource=status', '--type=merge', '-p', '{"status":{"pauseConditions":null}}']);
    const second = await waitFor(async () => {
      const current = await rollout('web');
      return current.status?.currentStepIndex === 3 && current.status.phase === 'Paused' ? current : undefined;
    });
    expect(second.status.canary.weights.canary.weight).toBe(60);
    await harness.ok(['patch', 'rollouts.argoproj.io', 'web', '-n', 'prod', '--subresource=status', '--type=merge', '-p', '{"status":{"abort":true}}']);
    const aborted = await waitFor(async () => {
      const current = await rollout('web');
      return current.status?.phase === 'Degraded' ? current : undefined;
    });
    expect(aborted.status.message).toContain('RolloutAborted');
    await waitFor(async () => {
      const pods = JSON.parse(await harness.ok(['get', 'pods', '-n', 'prod', '-l', 'app=web', '-o', 'json'])).items.filter((pod: any) => !pod.metadata.deletionTimestamp);
      return pods.length === 5 && pods.every((pod: any) => pod.spec.containers[0].image === 'nginx:1.27');
    });
  });
});
