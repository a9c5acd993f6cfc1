/**
 * Verify, then undo (issue 21) for Argo Rollouts and kubectl rollouts on kube-sim: an image change is verified when
 * the Rollout is Healthy on the new pods (regressed when they crash), and the inverse is argo_undo / k8s_rollout_undo
 * to the revision that ran before — which, executed, really puts the old image back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installArgoRolloutsCrds } from '@skyflo/sandbox/kube-sim';
import { startKubeHarness, eventually, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;

beforeAll(async () => {
  harness = await startKubeHarness();
  installArgoRolloutsCrds(harness.sim.cluster);
});
afterAll(() => harness?.close());

const rollout = () => harness.sim.cluster.store.get(harness.sim.cluster.resourceFor({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' })!, 'default', 'checkout');

async function change(tool: string, args: Record<string, unknown>) {
  const baseline = await harness.call('capture_change_baseline', { tool, args });
  expect(baseline.isError, baseline.text).toBeFalsy();
  const result = await harness.call(tool, args);
  expect(result.isError, result.text).toBeFalsy();
  const verification = await harness.call('verify_change', { tool, args, before: baseline.structured?.before, timeout_seconds: 30, hold_seconds: 0.3 });
  expect(verification.isError, verification.text).toBeFalsy();
  return { baseline: baseline.structured as Record<string, any>, verification: verification.structured as Record<string, any> };
}

describe('argo rollouts', () => {
  beforeAll(async () => {
    const applied = await harness.call('k8s_apply', {
      content: `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: checkout, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: checkout}}
  strategy: {canary: {}}
  template:
    metadata: {labels: {app: checkout}}
    spec: {containers: [{name: web, image: registry.local/checkout:1.0}]}
`,
    });
    expect(applied.isError, applied.text).toBeFalsy();
    await eventually(() => {
      if (rollout()?.status?.phase !== 'Healthy') throw new Error(`not healthy: ${JSON.stringify(rollout()?.status)}`);
    }, 20_000);
  });

  it('verifies a healthy image change and proposes argo_undo to the revision it replaced', async () => {
    const { baseline, verification } = await change('argo_set_image', { name: 'checkout', namespace: 'default', image: 'registry.local/checkout:2.0' });
    expect(baseline).toMatchObject({ undoable: true, inverse: { tool: 'argo_undo', args: { name: 'checkout', namespace: 'default', to_revision: 1 }, summary: 'roll rollout default/checkout back to revision 1' } });
    expect(verification.outcome).toBe('verified');
    expect(verification.summary).toBe('2/2 replicas of rollout default/checkout ready on registry.local/checkout:2.0');
    expect(rollout()!.status.phase).toBe('Healthy');
  });

  it('regresses on crashing new pods, and the recorded inverse puts the previous image back', async () => {
    const { baseline, verification } = await change('argo_set_image', { name: 'checkout', namespace: 'default', image: 'registry.local/checkout-crash:3.0' });
    expect(verification.outcome).toBe('regressed');
    expect(verification.summary).toMatch(/new pod\(s\) of rollout default\/checkout: CrashLoopBackOff/);
    const undo = await change(baseline.inverse.tool, baseline.inverse.args);
    expect(undo.verification.outcome).toBe('verified');
    expect(rollout()!.spec.template.spec.containers[0].image).toBe('registry.local/checkout:2.0');
  });
});

describe('kubectl rollout restart', () => {
  it('records the revision before the restart and proposes k8s_rollout_undo to it', async () => {
    await harness.call('k8s_apply', {
      content: `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: registry.local/api:1.0}]}\n`,
    });
    const api = () => harness.sim.cluster.store.get(harness.sim.cluster.resourceFor({ apiVersion: 'apps/v1', kind: 'Deployment' })!, 'default', 'api');
    await eventually(() => {
      if (api()?.status?.availableReplicas !== 1) throw new Error('api not rolled out');
    }, 20_000);
    const { baseline, verification } = await change('k8s_rollout_restart', { name: 'api', namespace: 'default' });
    expect(baseline).toMatchObject({ undoable: true, before: { revision: 1 }, inverse: { tool: 'k8s_rollout_undo', args: { name: 'api', resource_type: 'deployment', namespace: 'default', to_revision: 1 } } });
    expect(verification).toMatchObject({ outcome: 'verified', summary: '1/1 replicas of deployment default/api ready on registry.local/api:1.0' });
  });
});

describe('statefulsets and daemonsets', () => {
  const workload = (kind: 'StatefulSet' | 'DaemonSet', name: string) => `apiVersion: apps/v1
kind: ${kind}
metadata: {name: ${name}, namespace: default}
spec:
${kind === 'StatefulSet' ? `  serviceName: ${name}\n  replicas: 2\n` : ''}  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: main, image: registry.local/${name}:1.0}]}
`;

  it('verifies a StatefulSet image change once every pod runs the update revision', async () => {
    await harness.call('k8s_apply', { content: workload('StatefulSet', 'ledger') });
    const live = () => harness.sim.cluster.store.get(harness.sim.cluster.resourceFor({ apiVersion: 'apps/v1', kind: 'StatefulSet' })!, 'default', 'ledger');
    await eventually(() => {
      if (live()?.status?.readyReplicas !== 2) throw new Error('ledger not ready');
    }, 20_000);
    const { baseline, verification } = await change('k8s_set_image', { resource_name: 'ledger', resource_type: 'statefulset', namespace: 'default', container_images: 'main=registry.local/ledger:2.0' });
    expect(baseline.inverse).toMatchObject({ tool: 'k8s_set_image', args: { container_images: 'main=registry.local/ledger:1.0' } });
    expect(verification.outcome).toBe('verified');
    expect(live()!.status.currentRevision).toBe(live()!.status.updateRevision);
  });

  it('regresses a DaemonSet whose new pods cannot pull their image', async () => {
    await harness.call('k8s_apply', { content: workload('DaemonSet', 'agent') });
    const live = () => harness.sim.cluster.store.get(harness.sim.cluster.resourceFor({ apiVersion: 'apps/v1', kind: 'DaemonSet' })!, 'default', 'agent');
    await eventually(() => {
      const status = live()?.status;
      if (!status?.desiredNumberScheduled || status.numberAvailable !== status.desiredNumberScheduled) throw new Error('agent not ready');
    }, 20_000);
    const { verification } = await change('k8s_set_image', { resource_name: 'agent', resource_type: 'daemonset', namespace: 'default', container_images: 'main=invalid.registry/agent:2.0' });
    expect(verification.outcome).toBe('regressed');
    expect(verification.summary).toMatch(/new pod\(s\) of daemonset default\/agent: ImagePullBackOff/);
  });
});
