/**
 * Incident: a report worker needs ~150 MiB but is limited to 128Mi: the kernel OOM-kills it (exit 137),
 * the node records the OOM, the pod crash-loops. Raising the limit with k8s_patch fixes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: apps/v1
kind: Deployment
metadata: {name: report-worker}
spec:
  replicas: 1
  selector: {matchLabels: {app: report-worker}}
  template:
    metadata: {labels: {app: report-worker}}
    spec:
      containers:
      - name: worker
        image: polinux/stress
        command: [stress]
        args: [--vm, "1", --vm-bytes, 150M, --vm-hang, "1"]
        resources: {requests: {memory: 64Mi}, limits: {memory: 128Mi}}
`;

describe('incident: OOMKilled', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
  });
  afterAll(() => incident?.close());

  it('shows OOMKilled (exit 137), restarts and the node\'s SystemOOM event', async () => {
    const pod = await waitFor(async () => {
      const [current] = await livePods(incident, 'app=report-worker');
      return current?.status?.containerStatuses?.[0]?.restartCount >= 1 && current;
    });
    expect(pod.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    const described = await incident.ok(['describe', 'pod', pod.metadata.name]);
    expect(described).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+OOMKilled\n\s+Exit Code:\s+137/);
    expect(described).toMatch(/Limits:\n\s+memory:\s+128Mi/);
    expect(await incident.ok(['logs', pod.metadata.name, '--previous'])).toBe('stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n');
    const nodeEvents = await incident.ok(['get', 'events', '--field-selector', `involvedObject.kind=Node,involvedObject.name=${pod.spec.nodeName}`]);
    expect(nodeEvents).toMatch(/Warning\s+SystemOOM\s+\S+\s+System OOM encountered, victim process: stress, pid: \d+/);
  });

  it('is fixed by raising the memory limit with k8s_patch: the new pod stays up', async () => {
    await incident.fix('k8s_patch', { name: 'report-worker', resource_type: 'deployment', patch: '{"spec":{"template":{"spec":{"containers":[{"name":"worker","resources":{"limits":{"memory":"256Mi"}}}]}}}}' });
    expect(await incident.ok(['rollout', 'status', 'deployment/report-worker', '--timeout=30s'])).toContain('successfully rolled out');
    const [pod] = await livePods(incident, 'app=report-worker');
    // A witness instead of a pause: the same command under the old limit, started after the fixed pod is up. It
    // allocates the same time after its start, so once it has been OOM-killed the fixed pod has allocated too.
    await incident.apply(`apiVersion: v1
kind: Pod
metadata: {name: oom-witness, labels: {app: oom-witness}}
spec:
  containers:
  - name: worker
    image: polinux/stress
    command: [stress]
    args: [--vm, "1", --vm-bytes, 150M, --vm-hang, "1"]
    resources: {limits: {memory: 128Mi}}
`);
    await waitFor(async () => JSON.parse(await incident.ok(['get', 'pod', 'oom-witness', '-o', 'json'])).status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled');
    const current = JSON.parse(await incident.ok(['get', 'pod', pod.metadata.name, '-o', 'json']));
    expect(current.status.containerStatuses[0]).toMatchObject({ restartCount: 0, ready: true, state: { running: expect.any(Object) } });
    expect(current.spec.containers[0].resources.limits.memory).toBe('256Mi');
  });
});
