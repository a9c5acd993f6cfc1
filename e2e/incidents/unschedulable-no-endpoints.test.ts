/**
 * Incident: the Deployment requires `disktype=ssd` but no node has that label: pods stay Pending with
 * FailedScheduling, so the Service has no endpoints. Labelling a worker with k8s_patch fixes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPod, livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: apps/v1
kind: Deployment
metadata: {name: search}
spec:
  replicas: 1
  selector: {matchLabels: {app: search}}
  template:
    metadata: {labels: {app: search}}
    spec:
      nodeSelector: {disktype: ssd}
      containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: search}
spec:
  selector: {app: search}
  ports: [{port: 80}]
---
${clientPod()}`;

describe('incident: no endpoints because the pods cannot be scheduled', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
    await incident.ok(['wait', '--for=condition=Ready', 'pod/client', '--timeout=30s']);
  });
  afterAll(() => incident?.close());

  it('shows Pending pods with FailedScheduling, and a Service without endpoints', async () => {
    const [pod] = await waitFor(async () => {
      const pods = await livePods(incident, 'app=search');
      return pods.length === 1 && pods[0].status?.conditions?.some((condition: any) => condition.reason === 'Unschedulable') && pods;
    });
    expect(await incident.ok(['get', 'pod', pod.metadata.name, '--no-headers'])).toMatch(/0\/1\s+Pending\s+0/);
    expect(await incident.ok(['describe', 'pod', pod.metadata.name])).toMatch(/Warning\s+FailedScheduling\s+.*0\/3 nodes are available: 1 node\(s\) had untolerated taint \{node-role.kubernetes.io\/control-plane: \}, 2 node\(s\) didn't match Pod's node affinity\/selector\./);
    expect(await incident.ok(['get', 'endpoints', 'search', '--no-headers'])).toMatch(/^search\s+<none>/);
    expect((await incident.exec('client', ['wget', '-qO-', 'http://search'])).stderr).toContain('Connection refused');
  });

  it('is fixed by labelling a worker with k8s_patch: the pod is scheduled there and serves', async () => {
    await incident.fix('k8s_patch', { name: 'sim-worker-1', resource_type: 'node', patch_type: 'merge', patch: '{"metadata":{"labels":{"disktype":"ssd"}}}' });
    const [pod] = await waitFor(async () => {
      const pods = await livePods(incident, 'app=search');
      return pods[0]?.spec?.nodeName && pods[0].status?.podIP && pods;
    });
    expect(pod.spec.nodeName).toBe('sim-worker-1');
    expect(await incident.ok(['describe', 'pod', pod.metadata.name])).toMatch(/Normal\s+Scheduled\s+.*Successfully assigned default\/search-\S+ to sim-worker-1/);
    await waitFor(async () => (await incident.ok(['get', 'endpoints', 'search', '--no-headers'])).includes(`${pod.status.podIP}:80`));
    expect((await incident.exec('client', ['wget', '-qO-', 'http://search'])).stdout).toContain('Welcome to nginx!');
  });
});
