/**
 * Incident: an HPA never scales; TARGETS shows <unknown> because the Deployment's containers request no CPU, so
 * utilization cannot be computed. Fix: set CPU requests on the Deployment (k8s_patch); the HPA reads the
 * utilization and scales.
 */
import { expect, it } from 'vitest';
import { conditionOf, waitFor, incidentClusterForThisFile } from './support/incident-cluster.ts';

const cluster = incidentClusterForThisFile();

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: registry.local/api:4.2.0
        env: [{name: SIM_CPU_LOAD_MILLICORES, value: "480"}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 8
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
`;

it('reports the missing request in TARGETS, conditions and events, and scales once requests are set', async () => {
  await cluster.apply(manifest);
  await waitFor(async () => conditionOf(await cluster.json(['get', 'hpa', 'api']), 'ScalingActive')?.message?.includes('missing request for cpu'));
  expect((await cluster.ok(['get', 'hpa', 'api', '--no-headers'])).trim()).toMatch(/^api\s+Deployment\/api\s+cpu: <unknown>\/60%\s+2\s+8\s+2\s+\d+s$/);
  const describe = await cluster.ok(['describe', 'hpa', 'api']);
  expect(describe).toMatch(/resource cpu on pods\s+\(as a percentage of request\):\s+<unknown> \/ 60%/);
  expect(describe).toMatch(/AbleToScale\s+True\s+SucceededGetScale\s+the HPA controller was able to get the target's current scale/);
  expect(describe).toMatch(/ScalingActive\s+False\s+FailedGetResourceMetric\s+the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container api of Pod api-\S+/);
  expect(describe).toMatch(/Warning\s+FailedComputeMetricsReplicas\s+.*?horizontal-pod-autoscaler\s+invalid metrics \(1 invalid out of 1\), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container api of Pod api-/);

  await cluster.fix('k8s_patch', { resource_type: 'deployment', name: 'api', patch: '{"spec":{"template":{"spec":{"containers":[{"name":"api","resources":{"requests":{"cpu":"200m"}}}]}}}}' });

  // 480m shared by 2 pods is 240m of 200m requested = 120% against 60%: twice the pods, which then run at 60%.
  await waitFor(async () => conditionOf(await cluster.json(['get', 'hpa', 'api']), 'ScalingActive')?.reason === 'ValidMetricFound', 20_000);
  await waitFor(async () => (await cluster.json(['get', 'deployment', 'api'])).spec.replicas === 4, 20_000);
  await waitFor(async () => /^api\s+Deployment\/api\s+cpu: 60%\/60%\s+2\s+8\s+4\s+\d+s$/.test((await cluster.ok(['get', 'hpa', 'api', '--no-headers'])).trim()), 20_000);
  expect(await cluster.events('api')).toMatch(/Normal\s+SuccessfulRescale\s+horizontal-pod-autoscaler\s+New size: 4; reason: cpu resource utilization \(percentage of request\) above target/);
});
