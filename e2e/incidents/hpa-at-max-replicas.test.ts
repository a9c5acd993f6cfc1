/**
 * Incident: latency is high and the HPA does not add pods: it is at maxReplicas (ScalingLimited TooManyReplicas)
 * while CPU is far above target. Fix: raise maxReplicas (k8s_patch); the HPA scales out, the load spreads over
 * more pods (SIM_CPU_LOAD_MILLICORES is shared by the replicas) and the limit clears.
 */
import { expect, it } from 'vitest';
import { conditionOf, waitFor, incidentClusterForThisFile } from './support/incident-cluster.ts';

const cluster = incidentClusterForThisFile();

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout}
spec:
  replicas: 2
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
      - name: checkout
        image: registry.acme.io/checkout:2.3.0
        env: [{name: SIM_CPU_LOAD_MILLICORES, value: "270"}]
        resources: {requests: {cpu: 100m}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: checkout}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: checkout}
  minReplicas: 2
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`;

it('shows the HPA pinned at its maximum, then scales out after maxReplicas is raised', async () => {
  await cluster.apply(manifest);
  await waitFor(async () => conditionOf(await cluster.json(['get', 'hpa', 'checkout']), 'ScalingLimited')?.reason === 'TooManyReplicas' && (await cluster.json(['get', 'deployment', 'checkout'])).status.readyReplicas === 3 && (await cluster.json(['get', 'hpa', 'checkout'])).status.currentReplicas === 3, 20_000);
  expect((await cluster.ok(['get', 'hpa', 'checkout', '--no-headers'])).trim()).toMatch(/^checkout\s+Deployment\/checkout\s+cpu: 90%\/50%\s+2\s+3\s+3\s+\d+s$/);
  const describe = await cluster.ok(['describe', 'hpa', 'checkout']);
  expect(describe).toMatch(/Deployment pods:\s+3 current \/ 3 desired/);
  expect(describe).toMatch(/ScalingLimited\s+True\s+TooManyReplicas\s+the desired replica count is more than the maximum replica count/);
  expect(describe).toMatch(/ScalingActive\s+True\s+ValidMetricFound\s+the HPA was able to successfully calculate a replica count from cpu resource utilization \(percentage of request\)/);

  await cluster.fix('k8s_patch', { resource_type: 'hpa', name: 'checkout', patch: '{"spec":{"maxReplicas":10}}' });

  // 270m over 3 pods is 90% against 50%: ceil(3 × 1.8) = 6 pods, which then run at 45%, within the tolerance.
  await waitFor(async () => (await cluster.json(['get', 'deployment', 'checkout'])).status.readyReplicas === 6, 20_000);
  await waitFor(async () => /^checkout\s+Deployment\/checkout\s+cpu: 45%\/50%\s+2\s+10\s+6\s+\d+s$/.test((await cluster.ok(['get', 'hpa', 'checkout', '--no-headers'])).trim()), 20_000);
  expect(conditionOf(await cluster.json(['get', 'hpa', 'checkout']), 'ScalingLimited')).toMatchObject({ status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
  expect((await cluster.json(['get', 'deployment', 'checkout'])).spec.replicas).toBe(6);
  expect(await cluster.events('checkout')).toContain('New size: 6; reason: cpu resource utilization (percentage of request) above target');
});
