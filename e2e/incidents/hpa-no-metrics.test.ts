/**
 * Incident: an HPA reports that the metrics API returned nothing. Its target's pods never started (an image tag
 * that was never pushed), so there is nothing to measure. Fix: set the right image (k8s_set_image); the pods
 * run, metrics appear and the HPA becomes active.
 */
import { expect, it } from 'vitest';
import { conditionOf, waitFor, incidentClusterForThisFile } from './support/incident-cluster.ts';

const cluster = incidentClusterForThisFile();

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  replicas: 2
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
      - name: worker
        image: registry.local/worker:2.0.0-doesnotexist
        resources: {requests: {cpu: 250m}}
`;

it('says no metrics were returned while the pods cannot start, and recovers with the right image', async () => {
  await cluster.apply(manifest);
  expect(await cluster.ok(['autoscale', 'deployment', 'worker', '--min=2', '--max=6', '--cpu-percent=75'])).toContain('horizontalpodautoscaler.autoscaling/worker autoscaled');
  await waitFor(async () => conditionOf(await cluster.json(['get', 'hpa', 'worker']), 'ScalingActive')?.message?.includes('no metrics returned'));
  const hpa = await cluster.json(['get', 'hpa', 'worker']);
  expect(conditionOf(hpa, 'ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric', message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API' });
  expect(await cluster.events('worker')).toMatch(/Warning\s+FailedGetResourceMetric\s+horizontal-pod-autoscaler\s+failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API/);
  expect((await cluster.ok(['get', 'hpa', 'worker', '--no-headers'])).trim()).toMatch(/^worker\s+Deployment\/worker\s+cpu: <unknown>\/75%\s+2\s+6\s+2/);
  await waitFor(async () => /ImagePullBackOff|ErrImagePull/.test(await cluster.ok(['get', 'pods', '-l', 'app=worker'])));
  expect((await cluster.kubectl(['top', 'pods', '-l', 'app=worker'])).stderr.trim()).toBe('error: metrics not available yet');

  await cluster.fix('k8s_set_image', { resource_type: 'deployment', resource_name: 'worker', container_images: 'worker=registry.local/worker:2.0.0' });

  await waitFor(async () => conditionOf(await cluster.json(['get', 'hpa', 'worker']), 'ScalingActive')?.status === 'True', 20_000);
  expect(conditionOf(await cluster.json(['get', 'hpa', 'worker']), 'ScalingActive')).toMatchObject({ reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' });
  expect((await cluster.ok(['get', 'hpa', 'worker', '--no-headers'])).trim()).toMatch(/^worker\s+Deployment\/worker\s+cpu: \d+%\/75%/);
});
