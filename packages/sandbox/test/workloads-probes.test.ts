/**
 * Probes through the real kubectl: API-server defaults, HTTP/TCP/exec probes against the container model,
 * readiness driving Ready and the Service's endpoints, liveness and startup failures restarting containers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

const deployment = (name: string, container: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
${container}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{port: 80, targetPort: 80}]
`;

describe('probes through the real kubectl', () => {
  let harness: KubectlHarness;
  const podOf = async (app: string) => JSON.parse(await harness.ok(['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items.find((pod: any) => !pod.metadata.deletionTimestamp);

  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness?.close());

  it('fills in probe defaults like the API server and shows them in describe', async () => {
    await harness.ok(['apply', '-f', '-'], { input: deployment('defaults', '      - {name: web, image: "nginx:1.27", readinessProbe: {httpGet: {port: 80}}}') });
    const probe = JSON.parse(await harness.ok(['get', 'deployment', 'defaults', '-o', 'json'])).spec.template.spec.containers[0].readinessProbe;
    expect(probe).toEqual({ httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    await harness.ok(['rollout', 'status', 'deployment/defaults', '--timeout=20s']);
    const pod = await podOf('defaults');
    expect(await harness.ok(['describe', 'pod', pod.metadata.name])).toMatch(/Readiness:\s+http-get http:\/\/:80\/ delay=0s timeout=1s period=10s #success=1 #failure=3/);
  });

  it('keeps a pod with a failing readiness probe out of the endpoints until the probe path is fixed', async () => {
    await harness.ok(['apply', '-f', '-'], { input: deployment('shop', '      - {name: web, image: "nginx:1.27", readinessProbe: {httpGet: {path: /health, port: 80}, periodSeconds: 2}}') });
    const pod = await waitFor(async () => {
      const current = await podOf('shop');
      return current?.status?.podIP && current;
    });
    await waitFor(async () => /Warning\s+Unhealthy\s+.*Readiness probe failed: HTTP probe failed with statuscode: 404/.test(await harness.ok(['describe', 'pod', pod.metadata.name])));
    expect(await harness.ok(['get', 'pod', pod.metadata.name, '--no-headers'])).toMatch(/0\/1\s+Running\s+0/);
    const endpoints = JSON.parse(await harness.ok(['get', 'endpoints', 'shop', '-o', 'json']));
    expect(endpoints.subsets[0].addresses).toBeUndefined();
    expect(endpoints.subsets[0].notReadyAddresses[0]).toMatchObject({ ip: pod.status.podIP, targetRef: { name: pod.metadata.name } });
    expect(await harness.ok(['get', 'endpoints', 'shop', '--no-headers'])).toMatch(/^shop\s+<none>/);
    // nginx logged the probe's requests: the 404s are in the container log too.
    expect(await harness.ok(['logs', pod.metadata.name])).toMatch(/"GET \/health HTTP\/1.1" 404 \d+ "-" "kube-probe\/1.32"/);

    await harness.ok(['patch', 'deployment', 'shop', '--type=json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/path","value":"/"}]']);
    await harness.ok(['rollout', 'status', 'deployment/shop', '--timeout=20s']);
    const fixed = await podOf('shop');
    await waitFor(async () => (await harness.ok(['get', 'endpoints', 'shop', '--no-headers'])).includes(`${fixed.status.podIP}:80`));
  });

  it('restarts a container whose liveness probe fails, with Unhealthy and Killing events', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: liveness-exec}
spec:
  containers:
  - name: liveness
    image: "busybox:1.36"
    args: [/bin/sh, -c, "touch /tmp/healthy; sleep 6; rm -f /tmp/healthy; sleep 600"]
    livenessProbe:
      exec: {command: [cat, /tmp/healthy]}
      initialDelaySeconds: 1
      periodSeconds: 2
---
apiVersion: v1
kind: Pod
metadata: {name: liveness-tcp}
spec:
  containers:
  - name: redis
    image: "redis:7.4"
    livenessProbe: {tcpSocket: {port: 6380}, periodSeconds: 2, failureThreshold: 2}
`,
    });
    const restarted = await waitFor(async () => {
      const pod = JSON.parse(await harness.ok(['get', 'pod', 'liveness-exec', '-o', 'json']));
      return pod.status.containerStatuses[0].restartCount >= 1 && pod;
    });
    // sh as PID 1 ignores SIGTERM: the kill comes after the grace period, exit 137.
    expect(restarted.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    const described = await harness.ok(['describe', 'pod', 'liveness-exec']);
    expect(described).toMatch(/Warning\s+Unhealthy\s+.*Liveness probe failed: cat: can't open '\/tmp\/healthy': No such file or directory/);
    expect(described).toMatch(/Normal\s+Killing\s+.*Container liveness failed liveness probe, will be restarted/);

    await waitFor(async () => JSON.parse(await harness.ok(['get', 'pod', 'liveness-tcp', '-o', 'json'])).status.containerStatuses[0].restartCount >= 1);
    const tcp = await harness.ok(['describe', 'pod', 'liveness-tcp']);
    expect(tcp).toMatch(/Liveness probe failed: dial tcp 10\.244\.\d+\.\d+:6380: connect: connection refused/);
    expect(tcp).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+Completed\n\s+Exit Code:\s+0/);
  });

  it('holds liveness and readiness until a startup probe passes, and restarts when it never does', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: slow-start}
spec:
  containers:
  - name: app
    image: "busybox:1.36"
    command: [sh, -c, "sleep 4; touch /tmp/started; httpd -f -p 80 -h /tmp"]
    startupProbe: {exec: {command: [test, -f, /tmp/started]}, periodSeconds: 1, failureThreshold: 30}
    readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: never-starts}
spec:
  containers:
  - name: app
    image: "nginx:1.27"
    startupProbe: {httpGet: {path: /ready, port: 80}, periodSeconds: 1, failureThreshold: 3}
`,
    });
    await harness.ok(['wait', '--for=condition=Ready', 'pod/slow-start', '--timeout=20s']);
    const pod = JSON.parse(await harness.ok(['get', 'pod', 'slow-start', '-o', 'json']));
    expect(pod.status.containerStatuses[0]).toMatchObject({ started: true, ready: true, restartCount: 0 });
    await waitFor(async () => /Container app failed startup probe, will be restarted/.test(await harness.ok(['describe', 'pod', 'never-starts'])));
    expect(await harness.ok(['describe', 'pod', 'never-starts'])).toMatch(/Startup probe failed: HTTP probe failed with statuscode: 404/);
  });
});
