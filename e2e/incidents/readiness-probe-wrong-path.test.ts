/**
 * Incident: the readiness probe asks nginx for /healthz, which it does not serve (404). Pods run but never
 * become Ready, so the Service has no endpoints and clients are refused. k8s_patch fixes the probe path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPod, livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: apps/v1
kind: Deployment
metadata: {name: catalog}
spec:
  replicas: 2
  selector: {matchLabels: {app: catalog}}
  template:
    metadata: {labels: {app: catalog}}
    spec:
      containers:
      - name: web
        image: "nginx:1.27"
        ports: [{name: http, containerPort: 80}]
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: catalog}
spec:
  selector: {app: catalog}
  ports: [{port: 80, targetPort: http}]
---
${clientPod()}`;

describe('incident: wrong readiness probe path', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
  });
  afterAll(() => incident?.close());

  it('shows Running 0/1 pods, Unhealthy 404 events and a Service without ready endpoints', async () => {
    const pods = await waitFor(async () => {
      const current = await livePods(incident, 'app=catalog');
      return current.length === 2 && current.every((pod) => pod.status?.podIP) && current;
    });
    await waitFor(async () => /Warning\s+Unhealthy\s+.*Readiness probe failed: HTTP probe failed with statuscode: 404/.test(await incident.ok(['describe', 'pod', pods[0].metadata.name])));
    expect(await incident.ok(['get', 'pods', '-l', 'app=catalog', '--no-headers'])).toMatch(/0\/1\s+Running\s+0/);
    expect(await incident.ok(['describe', 'pod', pods[0].metadata.name])).toMatch(/Readiness:\s+http-get http:\/\/:http\/healthz delay=0s timeout=1s period=5s #success=1 #failure=3/);
    expect(await incident.ok(['get', 'endpoints', 'catalog', '--no-headers'])).toMatch(/^catalog\s+<none>/);
    const endpoints = JSON.parse(await incident.ok(['get', 'endpoints', 'catalog', '-o', 'json']));
    expect(endpoints.subsets[0].notReadyAddresses.map((address: any) => address.ip).sort()).toEqual(pods.map((pod) => pod.status.podIP).sort());
    const refused = await incident.exec('client', ['wget', '-qO-', 'http://catalog']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/wget: can't connect to remote host \(10\.96\.\d+\.\d+\): Connection refused/);
    expect(await incident.ok(['rollout', 'status', 'deployment/catalog', '--timeout=1s']).catch((error: Error) => error.message)).toContain('timed out waiting');
  });

  it('is fixed by pointing the probe at / with k8s_patch: pods become Ready and the Service answers', async () => {
    await incident.fix('k8s_patch', { name: 'catalog', resource_type: 'deployment', patch_type: 'json', patch: '[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/path","value":"/"}]' });
    expect(await incident.ok(['rollout', 'status', 'deployment/catalog', '--timeout=30s'])).toContain('successfully rolled out');
    const pods = await livePods(incident, 'app=catalog');
    await waitFor(async () => {
      const text = await incident.ok(['get', 'endpoints', 'catalog', '--no-headers']);
      return pods.every((pod) => text.includes(`${pod.status.podIP}:80`));
    });
    expect((await incident.exec('client', ['wget', '-qO-', 'http://catalog'])).stdout).toContain('<title>Welcome to nginx!</title>');
  });
});
