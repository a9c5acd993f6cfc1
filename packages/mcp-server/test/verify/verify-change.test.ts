/**
 * Verify, then undo (issue 21) on kube-sim, through the real tools: a change is followed by verify_change, which
 * watches the cluster until the rollout is done, the new pods fail, or a controller sets the change back; and
 * capture_change_baseline's inverse, executed, really restores the before-state.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { kubeClientsFor } from '../../src/kube/kube-clients.ts';
import { allTools } from '../../src/catalogue.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import type { KubeObject } from '@skyflo/sandbox/kube-sim';
import { startKubeHarness, eventually, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
const NS = 'shop';

beforeAll(async () => {
  harness = await startKubeHarness({
    settings: { readinessDelayMs: 20, startDelayMs: 10, crashBackoffMs: 100, jobDurationMs: 50, hpaSyncPeriodMs: 100, hpaDownscaleStabilizationMs: 0 },
  });
  await harness.call('k8s_apply', { content: `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NS}}\n` });
});
afterAll(() => harness?.close());

const deployment = (name: string, options: { replicas?: number; image?: string; load?: number } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${NS}}
spec:
  replicas: ${options.replicas ?? 2}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: web
        image: ${options.image ?? 'registry.local/web:1.0'}
        resources: {requests: {cpu: 100m}}
${options.load ? `        env: [{name: SIM_CPU_MILLICORES, value: "${options.load}"}]\n` : ''}`;

const live = (name: string): KubeObject | undefined => harness.sim.cluster.store.get(harness.sim.cluster.resourceFor({ apiVersion: 'apps/v1', kind: 'Deployment' })!, NS, name);

async function rolledOut(name: string): Promise<void> {
  await eventually(() => {
    const object = live(name);
    if (!object || (object.status?.availableReplicas ?? 0) !== object.spec.replicas || object.status?.updatedReplicas !== object.spec.replicas) throw new Error(`${name} not rolled out`);
  }, 20_000);
}

/** Runs a mutating tool the way the engine does: baseline first, then the call, then verification. */
async function change(tool: string, args: Record<string, unknown>, verify: Record<string, unknown> = {}) {
  const baseline = await harness.call('capture_change_baseline', { tool, args });
  expect(baseline.isError, baseline.text).toBeFalsy();
  const result = await harness.call(tool, args);
  expect(result.isError, result.text).toBeFalsy();
  const verification = await harness.call('verify_change', { tool, args, before: baseline.structured?.before, timeout_seconds: 30, hold_seconds: 0.5, ...verify });
  expect(verification.isError, verification.text).toBeFalsy();
  return { baseline: baseline.structured as Record<string, any>, verification: verification.structured as Record<string, any>, text: verification.text };
}

describe('set image', () => {
  it('a healthy rollout is verified once the new pods are ready', async () => {
    await harness.call('k8s_apply', { content: deployment('healthy') });
    await rolledOut('healthy');
    const { verification } = await change('k8s_set_image', { resource_name: 'healthy', resource_type: 'deployment', namespace: NS, container_images: 'web=registry.local/web:2.0' });
    expect(verification.outcome).toBe('verified');
    expect(verification.summary).toBe('2/2 replicas of deployment shop/healthy ready on registry.local/web:2.0');
    // it waited for the rollout: what it says is what the cluster shows
    expect(live('healthy')!.status.updatedReplicas).toBe(2);
    expect(live('healthy')!.status.availableReplicas).toBe(2);
  });

  it('an image that cannot be pulled regresses with the ImagePullBackOff evidence, and the recorded inverse restores a verified rollout', async () => {
    await harness.call('k8s_apply', { content: deployment('pull') });
    await rolledOut('pull');
    const args = { resource_name: 'pull', resource_type: 'deployment', namespace: NS, container_images: 'web=registry.local/web:nonexistent' };
    const { baseline, verification, text } = await change('k8s_set_image', args);
    expect(baseline).toMatchObject({ undoable: true, inverse: { tool: 'k8s_set_image', args: { resource_name: 'pull', namespace: NS, container_images: 'web=registry.local/web:1.0' }, summary: 'set the image of deployment shop/pull back to web=registry.local/web:1.0' } });
    expect(verification.outcome).toBe('regressed');
    expect(verification.summary).toMatch(/new pod\(s\) of deployment shop\/pull: ImagePullBackOff/);
    const pods = verification.evidence.find((entry: { read: string }) => entry.read.startsWith('pods -n shop'));
    expect(pods.text).toMatch(/^pod shop\/pull-[a-z0-9]+-[a-z0-9]+: Pending, web ImagePullBackOff \(Back-off pulling image "registry\.local\/web:nonexistent"\)/m);
    expect(text).toContain('Failed to pull image "registry.local/web:nonexistent"');

    // Undo: the inverse is an ordinary call; run it and verify it like any other.
    const undo = await change(baseline.inverse.tool, baseline.inverse.args);
    expect(undo.verification.outcome).toBe('verified');
    expect(live('pull')!.spec.template.spec.containers[0].image).toBe('registry.local/web:1.0');
    expect(live('pull')!.status.availableReplicas).toBe(2);
  });

  it('a crash-looping image regresses with the CrashLoopBackOff evidence', async () => {
    await harness.call('k8s_apply', { content: deployment('crashy') });
    await rolledOut('crashy');
    const { verification } = await change('k8s_set_image', { resource_name: 'crashy', resource_type: 'deployment', namespace: NS, container_images: 'web=registry.local/web-crash:2.0' });
    expect(verification.outcome).toBe('regressed');
    expect(verification.summary).toMatch(/CrashLoopBackOff/);
    expect(verification.evidence.map((entry: { text: string }) => entry.text).join('\n')).toMatch(/web CrashLoopBackOff \(back-off \d+s restarting failed container=web pod=crashy-/);
    // the old pods keep serving: the rollout is stuck, not finished
    expect(live('crashy')!.status.updatedReplicas).toBeLessThan(3);
  });
});

describe('scale', () => {
  it('a scale above the HorizontalPodAutoscaler\'s maxReplicas is reverted_by_controller at once, naming the HPA and what its next sync does', async () => {
    await harness.call('k8s_apply', { content: deployment('autoscaled', { load: 10 }) });
    await harness.call('k8s_apply', {
      content: `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: autoscaled-hpa, namespace: ${NS}}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: autoscaled}\n  minReplicas: 2\n  maxReplicas: 3\n  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]\n`,
    });
    await rolledOut('autoscaled');
    // Every replica count the Deployment is given, in order: the HPA's clamp to 3 lasts one sync (100 ms here) before
    // its metrics (10% of the 50% target) take it to 2, so polling for 3 on a busy machine can miss it.
    const replicaHistory: number[] = [];
    const stopRecording = harness.sim.cluster.store.subscribe((change) => {
      if (change.resource.kind !== 'Deployment' || change.object.metadata.namespace !== NS || change.object.metadata.name !== 'autoscaled') return;
      const replicas = Number(change.object.spec?.replicas);
      if (replicaHistory.at(-1) !== replicas) replicaHistory.push(replicas);
    });
    const { baseline, verification } = await change('k8s_scale', { name: 'autoscaled', resource_type: 'deployment', namespace: NS, replicas: 6 }, { hold_seconds: 20 });
    expect(baseline.inverse).toMatchObject({ tool: 'k8s_scale', args: { replicas: 2 }, summary: 'scale deployment shop/autoscaled back to 2 replicas' });
    expect(verification.outcome).toBe('reverted_by_controller');
    expect(verification.controller).toBe('HorizontalPodAutoscaler shop/autoscaled-hpa');
    // its min/max make the outcome certain: said at once (issue 31), not after a hold that may end before its sync
    expect(verification.summary).toBe('HorizontalPodAutoscaler shop/autoscaled-hpa will set deployment shop/autoscaled back to 3 replicas at its next sync (every 15 s): 6 is above its maxReplicas 3');
    expect(verification.evidence).toEqual([{ read: 'horizontalpodautoscaler shop/autoscaled-hpa', text: 'HorizontalPodAutoscaler shop/autoscaled-hpa keeps replicas between 2 and 3; the call set 6' }]);
    // what the summary promised is what the HPA's next sync did: 6 went to 3 (its first sync can come late on a busy machine)
    try {
      await vi.waitFor(() => {
        const scaled = replicaHistory.indexOf(6);
        expect(replicaHistory.slice(scaled, scaled + 2)).toEqual([6, 3]);
      }, { timeout: 45_000 });
    } finally {
      stopRecording();
    }
  });

  it('a scale nothing reverts is verified after the hold window, with the replicas ready', async () => {
    await harness.call('k8s_apply', { content: deployment('plain', { replicas: 1 }) });
    await rolledOut('plain');
    const { verification } = await change('k8s_scale', { name: 'plain', resource_type: 'deployment', namespace: NS, replicas: 3 });
    expect(verification.outcome).toBe('verified');
    expect(verification.summary).toBe('3/3 replicas of deployment shop/plain ready on registry.local/web:1.0');
    expect(live('plain')!.status.readyReplicas).toBe(3);
  });
});

describe('patch', () => {
  it('a field another writer sets back is reverted_by_controller naming its field manager, with secret-looking values kept out of the evidence', async () => {
    await harness.call('k8s_apply', { content: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flags, namespace: ${NS}}\ndata: {mode: blue, DB_PASSWORD: old-secret-value-111}\n` });
    const args = { name: 'flags', resource_type: 'configmap', namespace: NS, patch: JSON.stringify({ data: { mode: 'green', DB_PASSWORD: 'new-secret-value-222' } }), patch_type: 'merge' };
    expect((await harness.call('k8s_patch', args)).isError).toBeFalsy();
    const messages: string[] = [];
    const verifying = runTool(allTools.find((tool) => tool.name === 'verify_change')!, { tool: 'k8s_patch', args, timeout_seconds: 60, hold_seconds: 60 }, harness.deps, {
      signal: new AbortController().signal,
      reportProgress: async (_progress, _total, message) => void messages.push(message ?? ''),
    });
    // the verification has read the patched fields back; now a GitOps controller puts the old values back
    await vi.waitFor(() => expect(messages).toContain('configmap shop/flags: 2 changed field(s) read back'), { timeout: 20_000 });
    await kubeClientsFor(harness.deps.kubeConfig).http.json({
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/configmaps/flags`,
      query: { fieldManager: 'argocd-controller' },
      contentType: 'application/merge-patch+json',
      body: { data: { mode: 'blue', DB_PASSWORD: 'old-secret-value-111' } },
    });
    const result = await verifying;
    expect(result.structured).toMatchObject({ outcome: 'reverted_by_controller', controller: 'field manager "argocd-controller"' });
    expect(result.text).toContain('data.mode is "blue" (set to "green")');
    expect(result.text).toContain('data.DB_PASSWORD is "[REDACTED]" (set to "[REDACTED]")');
    expect(JSON.stringify(result)).not.toMatch(/old-secret-value-111|new-secret-value-222/);
  });
});

describe('delete', () => {
  it('is verified once the object is gone, and its baseline re-creates it', async () => {
    await harness.call('k8s_apply', { content: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: ${NS}}\ndata: {mode: blue}\n` });
    const { baseline, verification } = await change('k8s_delete', { name: 'settings', resource_type: 'configmap', namespace: NS });
    expect(verification).toMatchObject({ outcome: 'verified', summary: 'configmap shop/settings is gone' });
    expect(baseline.inverse).toMatchObject({ tool: 'k8s_apply', summary: 're-create configmap shop/settings from its recorded manifest' });
    expect(baseline.inverse.args.content).not.toMatch(/resourceVersion|uid:|managedFields|creationTimestamp/);
    const undo = await change(baseline.inverse.tool, baseline.inverse.args);
    expect(undo.verification.outcome).toBe('verified');
    expect(harness.sim.cluster.store.get(harness.sim.cluster.resourceFor({ apiVersion: 'v1', kind: 'ConfigMap' })!, NS, 'settings')?.data).toEqual({ mode: 'blue' });
  });

  it('names the finalizers of an object stuck terminating', async () => {
    await harness.call('k8s_apply', { content: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, namespace: ${NS}, finalizers: [example.com/hold]}\ndata: {a: b}\n` });
    const { verification } = await change('k8s_delete', { name: 'held', resource_type: 'configmap', namespace: NS }, { timeout_seconds: 1 });
    expect(verification.outcome).toBe('timed_out');
    expect(verification.summary).toBe('no verdict within 1 s: configmap shop/held is stuck terminating on finalizers example.com/hold');
  });
});

describe('tools without a verification or an inverse', () => {
  it('say why instead of guessing', async () => {
    const jenkins = await harness.call('capture_change_baseline', { tool: 'jenkins_trigger_build', args: { jobFullName: 'deploy', credentials_ref: 'skyflo/jenkins' } });
    expect(jenkins.structured).toMatchObject({ undoable: false, reason: expect.stringContaining('a Jenkins build cannot be undone') });
    const unknown = await harness.call('verify_change', { tool: 'k8s_frobnicate', args: {} });
    expect(unknown.structured).toMatchObject({ outcome: 'not_applicable', summary: 'no verification is known for k8s_frobnicate' });
    const uninstall = await harness.call('capture_change_baseline', { tool: 'helm_uninstall', args: { release_name: 'nope', namespace: NS } });
    expect(uninstall.structured).toMatchObject({ undoable: false, reason: `release ${NS}/nope does not exist` });
  });
});
