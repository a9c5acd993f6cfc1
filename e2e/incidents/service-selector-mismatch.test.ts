/**
 * Incident: the Service selects `app: checkout-api` but the pods are labelled `app: checkout`, so the
 * Service has no endpoints and every client is refused. k8s_patch corrects the selector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPod, livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout}
spec:
  replicas: 2
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers: [{name: api, image: "registry.local/checkout:2.3.1", ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: checkout}
spec:
  selector: {app: checkout-api}
  ports: [{name: http, port: 80, targetPort: http}]
---
${clientPod()}`;

describe('incident: Service selector mismatch', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
    await incident.ok(['rollout', 'status', 'deployment/checkout', '--timeout=30s']);
    await incident.ok(['wait', '--for=condition=Ready', 'pod/client', '--timeout=30s']);
  });
  afterAll(() => incident?.close());

  it('shows healthy pods but no endpoints, and clients are refused', async () => {
    expect(await incident.ok(['get', 'pods', '-l', 'app=checkout', '--no-headers'])).toMatch(/1\/1\s+Running\s+0/);
    const described = await incident.ok(['describe', 'service', 'checkout']);
    expect(described).toMatch(/Selector:\s+app=checkout-api\n/);
    expect(described).toMatch(/Endpoints:\s*\n/);
    expect(await incident.ok(['get', 'endpoints', 'checkout', '--no-headers'])).toMatch(/^checkout\s+<none>/);
    expect(await incident.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=checkout', '--no-headers'])).toMatch(/IPv4\s+<unset>\s+<unset>/);
    const refused = await incident.exec('client', ['wget', '-qO-', 'http://checkout']);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/wget: can't connect to remote host \(10\.96\.\d+\.\d+\): Connection refused/) });
  });

  it('is fixed by correcting the selector with k8s_patch: endpoints appear and requests succeed', async () => {
    await incident.fix('k8s_patch', { name: 'checkout', resource_type: 'service', patch_type: 'merge', patch: '{"spec":{"selector":{"app":"checkout"}}}' });
    const pods = await livePods(incident, 'app=checkout');
    await waitFor(async () => {
      const text = await incident.ok(['get', 'endpoints', 'checkout', '--no-headers']);
      return pods.every((pod) => text.includes(`${pod.status.podIP}:8080`));
    });
    const response = await incident.exec('client', ['wget', '-qO-', 'http://checkout/api/v1/status']);
    expect(JSON.parse(response.stdout)).toEqual({ service: 'checkout', version: '2.3.1', status: 'ok' });
  });
});
