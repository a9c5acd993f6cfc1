/**
 * Incident: a Deployment's command override has a typo (`daemon off` without the `;` nginx needs), so the
 * container exits at once and crash-loops. The cause is in `kubectl logs --previous`; the fix patches the
 * command through k8s_patch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPod, livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: nginx, image: "nginx:1.27", command: [nginx, -g, "daemon off"], ports: [{containerPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
${clientPod()}`;

describe('incident: crash loop from a bad command', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
  });
  afterAll(() => incident?.close());

  it('shows CrashLoopBackOff with the cause in --previous logs and describe', async () => {
    const pod = await waitFor(async () => {
      const [current] = await livePods(incident, 'app=web');
      return current?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' && current;
    });
    const name = pod.metadata.name;
    expect(await incident.ok(['get', 'pod', name, '--no-headers'])).toMatch(new RegExp(`^${name}\\s+0/1\\s+CrashLoopBackOff\\s+\\d+`));
    expect(await incident.ok(['logs', name, '--previous'])).toBe('nginx: [emerg] unexpected end of parameter, expecting ";" in command line\n');
    const described = await incident.ok(['describe', 'pod', name]);
    expect(described).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1/);
    expect(described).toMatch(/Warning\s+BackOff\s+.*Back-off restarting failed container nginx in pod/);
    expect(await incident.ok(['get', 'endpoints', 'web', '--no-headers'])).toMatch(/^web\s+<none>/);
  });

  it('is fixed by patching the command with k8s_patch: the new pod runs and serves', async () => {
    await incident.fix('k8s_patch', { name: 'web', resource_type: 'deployment', patch_type: 'json', patch: '[{"op":"replace","path":"/spec/template/spec/containers/0/command","value":["nginx","-g","daemon off;"]}]' });
    expect(await incident.ok(['rollout', 'status', 'deployment/web', '--timeout=30s'])).toContain('successfully rolled out');
    const [pod] = await livePods(incident, 'app=web');
    expect(pod.status.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 0, state: { running: expect.any(Object) } });
    await waitFor(async () => (await incident.exec('client', ['wget', '-qO-', '-T', '2', 'http://web'])).stdout.includes('<title>Welcome to nginx!</title>'));
  });
});
