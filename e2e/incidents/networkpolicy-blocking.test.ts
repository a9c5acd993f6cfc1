/**
 * Incident: the payments namespace denies all ingress except from pods labelled role=frontend, but the
 * frontend pods are labelled app=frontend. Their requests time out (dropped, not refused). Applying a
 * corrected NetworkPolicy with k8s_apply lets them through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPod, startIncident, type IncidentHarness } from './support/incident-harness.ts';

const policy = (selector: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-frontend, namespace: payments}
spec:
  podSelector: {matchLabels: {app: payments-api}}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: web}}, podSelector: {matchLabels: ${selector}}}]
    ports: [{port: 8080, protocol: TCP}]
`;

const setup = `apiVersion: v1
kind: Namespace
metadata: {name: payments}
---
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments-api, namespace: payments}
spec:
  replicas: 1
  selector: {matchLabels: {app: payments-api}}
  template:
    metadata: {labels: {app: payments-api}}
    spec:
      containers: [{name: api, image: "registry.local/payments:1.5.0", ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: payments-api, namespace: payments}
spec:
  selector: {app: payments-api}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: payments}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
${policy('{role: frontend}')}---
${clientPod('frontend', 'web', { app: 'frontend' })}`;

describe('incident: NetworkPolicy blocks the frontend', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
    await incident.ok(['rollout', 'status', 'deployment/payments-api', '-n', 'payments', '--timeout=30s']);
    await incident.ok(['wait', '--for=condition=Ready', 'pod/frontend', '-n', 'web', '--timeout=30s']);
  });
  afterAll(() => incident?.close());

  it('shows requests timing out while DNS and the endpoints are fine', async () => {
    const lookup = await incident.exec('frontend', ['nslookup', 'payments-api.payments'], 'web');
    expect(lookup.stdout).toContain('Name:\tpayments-api.payments.svc.cluster.local');
    expect(await incident.ok(['get', 'endpoints', 'payments-api', '-n', 'payments', '--no-headers'])).toMatch(/^payments-api\s+10\.244\.\d+\.\d+:8080\s+/);
    const blocked = await incident.exec('frontend', ['wget', '-qO-', '-T', '3', 'http://payments-api.payments/healthz'], 'web');
    expect(blocked).toMatchObject({ code: 1, stderr: expect.stringContaining('wget: download timed out') });
    const described = await incident.ok(['describe', 'networkpolicy', 'allow-frontend', '-n', 'payments']);
    expect(described).toContain('role=frontend');
  });

  it('is fixed by a NetworkPolicy matching the real labels, applied with k8s_apply', async () => {
    await incident.fix('k8s_apply', { content: policy('{app: frontend}') });
    const allowed = await incident.exec('frontend', ['wget', '-qO-', '-T', '3', 'http://payments-api.payments/healthz'], 'web');
    expect(allowed).toMatchObject({ code: 0, stdout: '{"status":"ok"}\n' });
  });
});
