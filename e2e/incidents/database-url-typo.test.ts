/**
 * Incident: a config change points DATABASE_URL at `postgres-primry` (typo). The app cannot resolve it and
 * crash-loops; `kubectl logs --previous` shows getaddrinfo ENOTFOUND. k8s_patch corrects the variable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: v1
kind: Service
metadata: {name: postgres-primary}
spec:
  selector: {app: postgres}
  ports: [{port: 5432, targetPort: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres}
spec:
  serviceName: postgres-primary
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers: [{name: postgres, image: "postgres:16.6", env: [{name: POSTGRES_PASSWORD, value: example}], ports: [{containerPort: 5432}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger}
spec:
  replicas: 1
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: {app: ledger}}
    spec:
      containers:
      - name: api
        image: "registry.local/ledger:3.0.1"
        ports: [{containerPort: 8080}]
        env: [{name: DATABASE_URL, value: "postgres://ledger:example@postgres-primry:5432/ledger"}]
`;

describe('incident: crash loop on a mistyped DATABASE_URL', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
  });
  afterAll(() => incident?.close());

  it('shows the crash loop and the DNS error in the previous container\'s log', async () => {
    const [pod] = await waitFor(async () => {
      const pods = await livePods(incident, 'app=ledger');
      return pods[0]?.status?.containerStatuses?.[0]?.restartCount >= 1 && pods;
    });
    const logs = await incident.ok(['logs', pod.metadata.name, '--previous']);
    expect(logs).toContain('Error: getaddrinfo ENOTFOUND postgres-primry');
    expect(logs).toContain('"msg":"database not reachable, retrying"');
    expect(logs).not.toContain('example');
    expect(pod.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('is fixed by correcting DATABASE_URL with k8s_patch', async () => {
    await incident.fix('k8s_patch', { name: 'ledger', resource_type: 'deployment', patch: '{"spec":{"template":{"spec":{"containers":[{"name":"api","env":[{"name":"DATABASE_URL","value":"postgres://ledger:example@postgres-primary:5432/ledger"}]}]}}}}' });
    expect(await incident.ok(['rollout', 'status', 'deployment/ledger', '--timeout=30s'])).toContain('successfully rolled out');
    const [pod] = await livePods(incident, 'app=ledger');
    await waitFor(async () => (await incident.ok(['logs', pod.metadata.name])).includes('"msg":"Database connection established"'));
    expect(pod.status.containerStatuses[0].restartCount).toBe(0);
  });
});
