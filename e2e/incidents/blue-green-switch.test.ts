/**
 * Incident: v2 ("green") was rolled out next to v1 ("blue"), but the Service still selects version=blue,
 * so users keep getting v1. Switching the Service's selector with k8s_patch moves all traffic to green.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPod, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const deployment = (version: string, text: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web-${version}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web, version: ${version}}}
  template:
    metadata: {labels: {app: web, version: ${version}}}
    spec:
      containers: [{name: web, image: "hashicorp/http-echo:1.0", args: ["-text=${text}", -listen=:5678], ports: [{name: http, containerPort: 5678}]}]
`;

const setup = `${deployment('blue', 'v1 blue')}---
${deployment('green', 'v2 green')}---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web, version: blue}
  ports: [{port: 80, targetPort: http}]
---
${clientPod()}`;

describe('incident: blue/green switch not made', () => {
  let incident: IncidentHarness;
  /** Six requests through the Service; what wget said on stderr goes in the failure message. */
  const expectResponses = async (text: string) => {
    const { stdout, stderr } = await incident.exec('client', ['sh', '-c', 'for i in 1 2 3 4 5 6; do wget -qO- http://web; done']);
    expect(stdout.trim().split('\n'), `wget stderr: ${stderr}`).toEqual(Array(6).fill(text));
  };

  beforeAll(async () => {
    incident = await startIncident(setup);
    await incident.ok(['rollout', 'status', 'deployment/web-blue', '--timeout=30s']);
    await incident.ok(['rollout', 'status', 'deployment/web-green', '--timeout=30s']);
    await incident.ok(['wait', '--for=condition=Ready', 'pod/client', '--timeout=30s']);
  });
  afterAll(() => incident?.close());

  it('shows every request answered by blue, and only blue pods in the endpoints', async () => {
    await expectResponses('v1 blue');
    const blueIps = JSON.parse(await incident.ok(['get', 'pods', '-l', 'version=blue', '-o', 'json'])).items.map((pod: any) => pod.status.podIP).sort();
    const endpoints = JSON.parse(await incident.ok(['get', 'endpoints', 'web', '-o', 'json'])).subsets[0].addresses.map((address: any) => address.ip).sort();
    expect(endpoints).toEqual(blueIps);
  });

  it('is fixed by switching the selector to green with k8s_patch', async () => {
    await incident.fix('k8s_patch', { name: 'web', resource_type: 'service', patch: '{"spec":{"selector":{"version":"green"}}}' });
    const greenIps = JSON.parse(await incident.ok(['get', 'pods', '-l', 'version=green', '-o', 'json'])).items.map((pod: any) => pod.status.podIP).sort();
    await waitFor(async () => JSON.stringify(JSON.parse(await incident.ok(['get', 'endpoints', 'web', '-o', 'json'])).subsets?.[0]?.addresses?.map((address: any) => address.ip).sort()) === JSON.stringify(greenIps));
    // kube-proxy routes by the EndpointSlices, which their own controller updates after the Endpoints: wait for them too,
    // as an SRE would before trusting the switch (until then a request may find no ready endpoint and be refused).
    const readySliceIps = async () => JSON.parse(await incident.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json'])).items
      .flatMap((slice: any) => (slice.endpoints ?? []).filter((endpoint: any) => endpoint.conditions?.ready !== false).flatMap((endpoint: any) => endpoint.addresses))
      .sort();
    await waitFor(async () => JSON.stringify(await readySliceIps()) === JSON.stringify(greenIps));
    await expectResponses('v2 green');
    expect(await incident.ok(['describe', 'service', 'web'])).toMatch(/Selector:\s+app=web,version=green/);
  });
});
