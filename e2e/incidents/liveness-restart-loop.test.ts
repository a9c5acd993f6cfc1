/**
 * Incident: the liveness probe targets port 80 while the app listens on 8080, so the kubelet kills the
 * container every few probes: restarts climb with Unhealthy/Killing events. k8s_patch fixes the port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: apps/v1
kind: Deployment
metadata: {name: quotes}
spec:
  replicas: 1
  selector: {matchLabels: {app: quotes}}
  template:
    metadata: {labels: {app: quotes}}
    spec:
      containers:
      - name: api
        image: "hashicorp/http-echo:1.0"
        args: [-text=quote of the day, -listen=:8080]
        ports: [{containerPort: 8080}]
        livenessProbe: {httpGet: {path: /health, port: 80}, periodSeconds: 5, failureThreshold: 3}
`;

describe('incident: liveness probe restart loop', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
  });
  afterAll(() => incident?.close());

  it('shows restarts with Liveness probe failed and Killing events', async () => {
    const pod = await waitFor(async () => {
      const [current] = await livePods(incident, 'app=quotes');
      return current?.status?.containerStatuses?.[0]?.restartCount >= 2 && current;
    });
    const described = await incident.ok(['describe', 'pod', pod.metadata.name]);
    expect(described).toMatch(new RegExp(`Warning\\s+Unhealthy\\s+.*Liveness probe failed: Get "http://${pod.status.podIP.replace(/\./g, '\\.')}:80/health": dial tcp ${pod.status.podIP.replace(/\./g, '\\.')}:80: connect: connection refused`));
    expect(described).toMatch(/Normal\s+Killing\s+.*Container api failed liveness probe, will be restarted/);
    expect(described).toMatch(/Liveness:\s+http-get http:\/\/:80\/health delay=0s timeout=1s period=5s #success=1 #failure=3/);
    expect(pod.status.containerStatuses[0].lastState.terminated).toMatchObject({ reason: 'Completed', exitCode: 0 });
  });

  it('is fixed by pointing the probe at the app port with k8s_patch: restarts stop', async () => {
    await incident.fix('k8s_patch', { name: 'quotes', resource_type: 'deployment', patch_type: 'json', patch: '[{"op":"replace","path":"/spec/template/spec/containers/0/livenessProbe/httpGet/port","value":8080}]' });
    expect(await incident.ok(['rollout', 'status', 'deployment/quotes', '--timeout=30s'])).toContain('successfully rolled out');
    const [pod] = await livePods(incident, 'app=quotes');
    // Well past three probe periods (15 s of container time), still the first start: counted in probes the app
    // answered (http-echo logs each request), not in milliseconds waited. Pointed at a closed port, none would come.
    const probesAnswered = async () => (await incident.ok(['logs', pod.metadata.name])).split('\n').filter((line) => line.includes('"GET /health HTTP/1.1" 200')).length;
    await waitFor(async () => (await probesAnswered()) >= 4);
    const current = JSON.parse(await incident.ok(['get', 'pod', pod.metadata.name, '-o', 'json']));
    expect(current.status.containerStatuses[0]).toMatchObject({ restartCount: 0, ready: true });
    expect(await incident.ok(['describe', 'pod', pod.metadata.name])).not.toContain('Liveness probe failed');
  });
});
