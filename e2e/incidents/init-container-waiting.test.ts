/**
 * Incident: an init container waits for a database Service that was never created, so the pods stay in
 * Init:0/1 and the init log repeats "waiting for orders-db". Creating the Service with k8s_apply lets the
 * init container finish and the app start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: apps/v1
kind: Deployment
metadata: {name: orders}
spec:
  replicas: 1
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec:
      initContainers:
      - {name: wait-for-db, image: "busybox:1.36", command: [sh, -c, "until nslookup orders-db; do echo waiting for orders-db; sleep 2; done"]}
      containers:
      - {name: api, image: "registry.local/orders:1.2.0", ports: [{containerPort: 8080}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: orders-db}
spec:
  serviceName: orders-db
  selector: {matchLabels: {app: orders-db}}
  template:
    metadata: {labels: {app: orders-db}}
    spec:
      containers: [{name: postgres, image: "postgres:16.6", env: [{name: POSTGRES_PASSWORD, value: example}], ports: [{containerPort: 5432}]}]
`;

describe('incident: init container waits for a missing Service', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
  });
  afterAll(() => incident?.close());

  it('shows Init:0/1 with the init container\'s log explaining why', async () => {
    const [pod] = await waitFor(async () => {
      const pods = await livePods(incident, 'app=orders');
      return pods[0]?.status?.initContainerStatuses?.[0]?.state?.running && pods;
    });
    await waitFor(async () => (await incident.kubectl(['logs', pod.metadata.name, '-c', 'wait-for-db'])).stdout.includes('waiting for orders-db'));
    const logs = await incident.ok(['logs', pod.metadata.name, '-c', 'wait-for-db']);
    expect(logs).toContain("** server can't find orders-db.default.svc.cluster.local: NXDOMAIN");
    expect(await incident.ok(['get', 'pod', pod.metadata.name, '--no-headers'])).toMatch(/0\/1\s+Init:0\/1\s+0/);
    expect(await incident.ok(['describe', 'pod', pod.metadata.name])).toMatch(/Initialized\s+False/);
  });

  it('is fixed by creating the Service with k8s_apply', async () => {
    await incident.fix('k8s_apply', { content: 'apiVersion: v1\nkind: Service\nmetadata: {name: orders-db, namespace: default}\nspec:\n  selector: {app: orders-db}\n  ports: [{port: 5432}]\n' });
    expect(await incident.ok(['rollout', 'status', 'deployment/orders', '--timeout=30s'])).toContain('successfully rolled out');
    const [pod] = await livePods(incident, 'app=orders');
    expect(pod.status.initContainerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await incident.ok(['get', 'pod', pod.metadata.name, '--no-headers'])).toMatch(/1\/1\s+Running\s+0/);
  });
});
