/**
 * Incident: the Deployment reads DB_PASSWORD from key `password` of a Secret that only has `db-password`.
 * The kubelet cannot create the container (CreateContainerConfigError). Adding the key with k8s_apply fixes
 * it: the kubelet retries and the container starts with the value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: v1
kind: Secret
metadata: {name: db-credentials}
stringData: {db-password: correct-horse}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: billing}
spec:
  replicas: 1
  selector: {matchLabels: {app: billing}}
  template:
    metadata: {labels: {app: billing}}
    spec:
      containers:
      - name: api
        image: "registry.local/billing:4.1.0"
        ports: [{containerPort: 8080}]
        env:
        - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db-credentials, key: password}}}
`;

describe('incident: Secret env refers to a missing key', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
  });
  afterAll(() => incident?.close());

  it('shows CreateContainerConfigError with the kubelet message', async () => {
    const [pod] = await waitFor(async () => {
      const pods = await livePods(incident, 'app=billing');
      return pods[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' && pods;
    });
    expect(await incident.ok(['get', 'pod', pod.metadata.name, '--no-headers'])).toMatch(/0\/1\s+CreateContainerConfigError\s+0/);
    expect(pod.status.containerStatuses[0].state.waiting.message).toBe("couldn't find key password in Secret default/db-credentials");
    const described = await incident.ok(['describe', 'pod', pod.metadata.name]);
    expect(described).toMatch(/Warning\s+Failed\s+.*Error: couldn't find key password in Secret default\/db-credentials/);
    expect(described).toMatch(/DB_PASSWORD:\s+<set to the key 'password' in secret 'db-credentials'>\s+Optional: false/);
  });

  it('is fixed by adding the key with k8s_apply: the same pod starts with the value', async () => {
    const [before] = await livePods(incident, 'app=billing');
    await incident.fix('k8s_apply', { content: 'apiVersion: v1\nkind: Secret\nmetadata: {name: db-credentials, namespace: default}\nstringData: {db-password: correct-horse, password: correct-horse}\n' });
    await incident.ok(['wait', '--for=condition=Ready', `pod/${before.metadata.name}`, '--timeout=30s']);
    expect((await incident.exec(before.metadata.name, ['printenv', 'DB_PASSWORD'])).stdout).toBe('correct-horse\n');
    expect(await incident.ok(['get', 'deployment', 'billing', '--no-headers'])).toMatch(/^billing\s+1\/1\s+1\s+1\s+/);
  });
});
