/**
 * Issue 19, item 6: honest risk language.
 *  - Destructive means data loss or an outage (scale to 0, delete, uninstall, drain), computed from the call — a
 *    scale from 3 to 5 is not destructive although k8s_scale carries destructiveHint.
 *  - What a call does is said in plain words ("scales deployment shop/payments to 5 replicas").
 *  - preview_tool_call, against kube-sim, says when something else manages the target and will put it back:
 *    an HPA owning replicas, an Argo CD or Flux owner, an owning controller (MANAGED_BY_CONTROLLER).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessToolCallRisks, describeToolCall, destructiveReason, isDestructiveCall } from '@skyflo/safety';
import { allTools } from '../../src/catalogue.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import { eventually, startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

describe('destructive is computed from the call', () => {
  it.each<[string, string, Record<string, unknown>, boolean]>([
    ['a scale from 3 to 5', 'k8s_scale', { name: 'payments', resource_type: 'deployment', replicas: 5, namespace: 'shop' }, false],
    ['a scale to 0', 'k8s_scale', { name: 'payments', resource_type: 'deployment', replicas: 0, namespace: 'shop' }, true],
    ['a delete', 'k8s_delete', { name: 'payments-config', resource_type: 'configmap', namespace: 'shop' }, true],
    ['an uninstall', 'helm_uninstall', { release_name: 'shop', namespace: 'shop' }, true],
    ['a drain', 'k8s_drain', { node_name: 'node-1' }, true],
    ['a rollback', 'k8s_rollout_undo', { name: 'payments', resource_type: 'deployment', to_revision: 3 }, false],
    ['an image change', 'k8s_set_image', { resource_name: 'payments', resource_type: 'deployment', container_images: 'app=shop/payments:2.0' }, false],
    ['a patch to 0 replicas (found by the risk rules)', 'k8s_patch', { name: 'payments', resource_type: 'deployment', patch: '{"spec":{"replicas":0}}' }, true],
    ['a label patch', 'k8s_patch', { name: 'payments', resource_type: 'deployment', patch: '{"metadata":{"labels":{"tier":"edge"}}}' }, false],
  ])('%s', (_name, tool, args, destructive) => {
    expect(isDestructiveCall(tool, args, assessToolCallRisks(tool, args))).toBe(destructive);
  });

  it('says why in plain words', () => {
    expect(destructiveReason('k8s_scale', { name: 'payments', resource_type: 'deployment', replicas: 0, namespace: 'shop' })).toBe('scaling deployment shop/payments to 0 leaves no pod serving it');
    expect(destructiveReason('k8s_scale', { name: 'payments', resource_type: 'deployment', replicas: 5, namespace: 'shop' })).toBeUndefined();
  });
});

describe('what a call does, in words', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['k8s_scale', { name: 'payments', resource_type: 'deployment', replicas: 5, namespace: 'shop' }, 'scales deployment shop/payments to 5 replicas'],
    ['k8s_delete', { name: 'node-1', resource_type: 'nodes' }, 'deletes node node-1'],
    ['helm_install', { release_name: 'ops', chart: 'acme/ops', namespace: 'ops' }, 'installs chart acme/ops as Helm release ops/ops'],
    ['jenkins_trigger_build', { jobFullName: 'app/main' }, 'starts a build of Jenkins job app/main'],
    ['some_new_tool', { anything: true }, 'runs some_new_tool'],
  ])('%s', (tool, args, words) => {
    expect(describeToolCall(tool, args)).toBe(words);
  });
});

describe('preview_tool_call names what manages the target (kube-sim)', () => {
  let harness: KubeHarness;
  let deps: ToolDeps;
  const call = (name: string, input: Record<string, unknown>) => runTool(allTools.find((tool) => tool.name === name)!, input, deps, { signal: new AbortController().signal });
  const preview = async (tool: string, args: Record<string, unknown>) => {
    const output = await call('preview_tool_call', { tool, arguments: args });
    expect(output.isError, output.text).toBeFalsy();
    return output.structured!['risks'] as Array<{ code: string; severity: string; message: string }>;
  };
  const deployment = (name: string, metadata = '') =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: shop\n${metadata}spec:\n  replicas: 3\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: app, image: "nginx:1.27", resources: {requests: {cpu: 100m}}}]}\n`;

  beforeAll(async () => {
    harness = await startKubeHarness();
    deps = harness.depsWith({});
    const apply = async (content: string) => {
      const output = await call('k8s_apply', { content });
      expect(output.isError, output.text).toBeFalsy();
    };
    await apply('apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n');
    await apply(deployment('payments'));
    await apply(
      'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: payments, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: payments}\n  minReplicas: 3\n  maxReplicas: 10\n  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]\n',
    );
    await apply(deployment('checkout', '  labels:\n    argocd.argoproj.io/instance: shop-prod\n'));
    await apply(deployment('cart', '  labels:\n    kustomize.toolkit.fluxcd.io/name: apps\n    kustomize.toolkit.fluxcd.io/namespace: flux-system\n'));
    await apply(deployment('search'));
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('an HPA owns the replicas of a scaled deployment: "HPA payments owns replicas (min 3, max 10) and will undo this"', async () => {
    const risks = await preview('k8s_scale', { name: 'payments', resource_type: 'deployment', replicas: 5, namespace: 'shop' });
    expect(risks).toEqual([{ code: 'MANAGED_BY_CONTROLLER', severity: 'medium', message: 'HPA payments owns replicas (min 3, max 10) and will undo this.' }]);
    // scaled to 0 the HPA turns itself off (Kubernetes' implicit maintenance mode) instead of scaling back up: the card
    // says so, as the verification then finds (it had said "will undo this", and the count held at 0)
    expect(await preview('k8s_scale', { name: 'payments', resource_type: 'deployment', replicas: 0, namespace: 'shop' })).toEqual([
      { code: 'SCALE_TO_ZERO', severity: 'high', message: 'Scales Deployment shop/payments to 0 replicas (no pods serve it).' },
      { code: 'MANAGED_BY_CONTROLLER', severity: 'medium', message: 'HPA payments (min 3, max 10) stops autoscaling Deployment shop/payments while it has 0 replicas: it stays at 0, and the HPA is off until it is scaled up again.' },
    ]);
    // an image change is not the HPA's business
    expect(await preview('k8s_set_image', { resource_name: 'payments', resource_type: 'deployment', container_images: 'app=nginx:1.28', namespace: 'shop' })).toEqual([]);
  });

  it('Argo CD and Flux owners are named; an unmanaged deployment has no such flag', async () => {
    expect(await preview('k8s_scale', { name: 'checkout', resource_type: 'deployment', replicas: 5, namespace: 'shop' })).toEqual([
      expect.objectContaining({ code: 'MANAGED_BY_CONTROLLER', message: expect.stringMatching(/^Argo CD application shop-prod manages Deployment shop\/checkout and, with self-heal on, will undo this on its next sync/) }),
    ]);
    expect(await preview('k8s_patch', { name: 'cart', resource_type: 'deployment', namespace: 'shop', patch: '{"metadata":{"labels":{"tier":"edge"}}}' })).toEqual([
      expect.objectContaining({ code: 'MANAGED_BY_CONTROLLER', message: expect.stringMatching(/^Flux Kustomization flux-system\/apps manages Deployment shop\/cart and will undo this on its next reconcile/) }),
    ]);
    expect(await preview('k8s_scale', { name: 'search', resource_type: 'deployment', replicas: 5, namespace: 'shop' })).toEqual([]);
  });

  it('deleting a pod that a ReplicaSet controls says it will be recreated', async () => {
    const pods = () => harness.sim.cluster.store.list(harness.sim.cluster.registry.byResource('', 'pods')!, 'shop').filter((pod) => pod.metadata.name?.startsWith('search-'));
    await eventually(() => expect(pods().length).toBeGreaterThan(0));
    const pod = pods()[0]!;
    const owner = (pod.metadata.ownerReferences as Array<{ kind: string; name: string }>)[0]!;
    const risks = await preview('k8s_delete', { name: pod.metadata.name, resource_type: 'pod', namespace: 'shop' });
    expect(risks).toContainEqual({ code: 'MANAGED_BY_CONTROLLER', severity: 'medium', message: `${owner.kind} ${owner.name} controls Pod shop/${pod.metadata.name} and will recreate it.` });
  });
});
