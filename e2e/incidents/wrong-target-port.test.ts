/**
 * Incident: the Service forwards to targetPort 8080 but nginx listens on 80. Endpoints look healthy
 * (IP:8080), yet every connection is refused. k8s_patch points the Service at the right port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPod, livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: apps/v1
kind: Deployment
metadata: {name: docs}
spec:
  replicas: 1
  selector: {matchLabels: {app: docs}}
  template:
    metadata: {labels: {app: docs}}
    spec:
      containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: docs}
spec:
  selector: {app: docs}
  ports: [{port: 80, targetPort: 8080}]
---
${clientPod()}`;

describe('incident: Service targetPort does not match the container', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
    await incident.ok(['rollout', 'status', 'deployment/docs', '--timeout=30s']);
    await incident.ok(['wait', '--for=condition=Ready', 'pod/client', '--timeout=30s']);
  });
  afterAll(() => incident?.close());

  it('shows endpoints on :8080 but connections refused', async () => {
    const [pod] = await livePods(incident, 'app=docs');
    expect(await incident.ok(['get', 'endpoints', 'docs', '--no-headers'])).toMatch(new RegExp(`^docs\\s+${pod.status.podIP.replace(/\./g, '\\.')}:8080\\s+`));
    expect(await incident.ok(['describe', 'service', 'docs'])).toMatch(/TargetPort:\s+8080\/TCP/);
    const refused = await incident.exec('client', ['wget', '-qO-', 'http://docs']);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/wget: can't connect to remote host \(10\.96\.\d+\.\d+\): Connection refused/) });
    // Straight to the pod on 80 works: nginx is fine, the Service is not.
    expect((await incident.exec('client', ['wget', '-qO-', `http://${pod.status.podIP}:80/`])).stdout).toContain('Welcome to nginx!');
  });

  it('is fixed by setting targetPort 80 with k8s_patch', async () => {
    await incident.fix('k8s_patch', { name: 'docs', resource_type: 'service', patch_type: 'json', patch: '[{"op":"replace","path":"/spec/ports/0/targetPort","value":80}]' });
    await waitFor(async () => /:80\s/.test(await incident.ok(['get', 'endpoints', 'docs', '--no-headers'])));
    expect((await incident.exec('client', ['wget', '-qO-', 'http://docs'])).stdout).toContain('Welcome to nginx!');
  });
});
