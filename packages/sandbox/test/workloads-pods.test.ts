import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { kubectlPath } from '@skyflo/testkit/tools';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

function podYaml(name: string, image: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  containers:
  - name: main
    image: "${image}"
${extra}`;
}

describe('pods: kubelet, faults, logs, exec and metrics through the real kubectl', () => {
  let harness: KubectlHarness;
  beforeAll(async () => {
    harness = await startHarness();
    await harness.ok(['apply', '-f', '-'], {
      input: [
        podYaml('web', 'nginx:1.27'),
        podYaml('checkout', 'registry.local/checkout:2.3.1', '    env:\n    - {name: DATABASE_URL, value: "postgres://checkout:secret@10.0.0.12:5432/checkout"}\n    - {name: SIM_CRASH, value: "1"}\n'),
        podYaml('frontend', 'registry.local/frontend:nonexistent'),
        podYaml('hog', 'registry.local/report-oom:1.0', '    resources: {limits: {memory: 64Mi}}\n'),
        podYaml('slow', 'registry.local/api-unready:1.0'),
        podYaml('huge', 'registry.local/batch:1.0', '    resources: {requests: {cpu: "64", memory: 1Ti}}\n'),
      ].join('---\n'),
    });
    await waitFor(async () => /web\s+1\/1\s+Running/.test(await harness.ok(['get', 'pods'])));
  });
  afterAll(() => harness?.close());

  const statusOf = async (name: string) => (await harness.ok(['get', 'pod', name, '--no-headers'])).trim().split(/\s+/)[2];

  it('shows crash, image pull, OOM, unready and unschedulable faults in get pods and describe', async () => {
    await waitFor(async () => (await statusOf('checkout')) === 'CrashLoopBackOff');
    await waitFor(async () => (await statusOf('frontend')) === 'ImagePullBackOff');
    await waitFor(async () => ['OOMKilled', 'CrashLoopBackOff'].includes(await statusOf('hog')));
    expect(await statusOf('huge')).toBe('Pending');
    const slow = (await harness.ok(['get', 'pod', 'slow', '--no-headers'])).trim();
    expect(slow).toMatch(/^slow\s+0\/1\s+Running\s+0/);

    const checkout = JSON.parse(await harness.ok(['get', 'pod', 'checkout', '-o', 'json']));
    await waitFor(async () => JSON.parse(await harness.ok(['get', 'pod', 'checkout', '-o', 'json'])).status.containerStatuses[0].restartCount >= 1);
    expect(checkout.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const hog = JSON.parse(await harness.ok(['get', 'pod', 'hog', '-o', 'json']));
    expect(hog.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });

    const describeCheckout = await harness.ok(['describe', 'pod', 'checkout']);
    expect(describeCheckout).toMatch(/Warning\s+BackOff\s+.*Back-off restarting failed container main in pod checkout_default/);
    expect(describeCheckout).toMatch(/Normal\s+Scheduled\s+.*Successfully assigned default\/checkout to sim-worker-\d/);
    const describeFrontend = await harness.ok(['describe', 'pod', 'frontend']);
    expect(describeFrontend).toMatch(/Warning\s+Failed\s+.*Failed to pull image "registry.local\/frontend:nonexistent": .*not found/);
    expect(describeFrontend).toContain('Back-off pulling image "registry.local/frontend:nonexistent"');
    const describeHuge = await harness.ok(['describe', 'pod', 'huge']);
    expect(describeHuge).toMatch(/Warning\s+FailedScheduling\s+.*0\/3 nodes are available: 1 node\(s\) had untolerated taint \{node-role.kubernetes.io\/control-plane: \}, 2 Insufficient cpu\./);
    await waitFor(async () => /Warning\s+Unhealthy\s+.*Readiness probe failed/.test(await harness.ok(['describe', 'pod', 'slow'])));
  });

  it('serves logs: content, --tail, --timestamps, --previous, and errors like a real cluster', async () => {
    const logs = await harness.ok(['logs', 'web']);
    expect(logs).toContain('nginx/1.27.3');
    expect(logs).toContain('start worker processes');
    const tail = (await harness.ok(['logs', 'web', '--tail=2'])).trim().split('\n');
    expect(tail).toHaveLength(2);
    expect(await harness.ok(['logs', 'web', '--tail=1', '--timestamps'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);

    await waitFor(async () => JSON.parse(await harness.ok(['get', 'pod', 'checkout', '-o', 'json'])).status.containerStatuses[0].restartCount >= 1);
    const previous = await harness.ok(['logs', 'checkout', '--previous']);
    expect(previous).toContain('Connecting to database');
    expect(previous).toContain('Error: connect ECONNREFUSED 10.0.0.12:5432');
    expect(previous).not.toContain('secret');

    const noPrevious = await harness.kubectl(['logs', 'web', '--previous']);
    expect(noPrevious.code).toBe(1);
    expect(noPrevious.stderr).toContain('previous terminated container "main" in pod "web" not found');
    const pulling = await harness.kubectl(['logs', 'frontend']);
    expect(pulling.stderr).toContain('container "main" in pod "frontend" is waiting to start: trying and failing to pull image');
  });

  it('follows logs until the pod is deleted', async () => {
    await harness.ok(['apply', '-f', '-'], { input: podYaml('follow', 'nginx:1.27') });
    await waitFor(async () => (await statusOf('follow')) === 'Running');
    // Order, not time: the pod is deleted once the follow is streaming, and the follow then ends by itself (exit 0).
    const follow = spawn(kubectlPath, ['--kubeconfig', harness.kubeconfig, 'logs', '-f', 'follow'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    follow.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follow.once('exit', (code) => resolve(code)));
    try {
      await vi.waitFor(() => expect(stdout).toContain('start worker processes'), { timeout: 30_000 });
      await harness.ok(['delete', 'pod', 'follow', '--wait=false']);
      expect(await exited).toBe(0);
    } finally {
      follow.kill();
    }
    expect(stdout).toMatch(/"GET \/\S* HTTP\/1.1" 200/);
    // With a short --request-timeout the client gives up on its own.
    await harness.ok(['apply', '-f', '-'], { input: podYaml('follow2', 'nginx:1.27') });
    await waitFor(async () => (await statusOf('follow2')) === 'Running');
    const timed = await harness.kubectl(['logs', '-f', 'follow2', '--request-timeout=1s'], { timeoutMs: 10_000 });
    expect(timed.stdout).toContain('start worker processes');
  });

  it('executes commands over WebSocket with exit codes', async () => {
    const hostname = await harness.ok(['exec', 'web', '--', 'hostname']);
    expect(hostname).toBe('web\n');
    const printed = await harness.ok(['exec', 'web', '--', 'env']);
    expect(printed).toContain('HOSTNAME=web');
    expect(printed).toContain('KUBERNETES_SERVICE_HOST=10.96.0.1');
    expect(await harness.ok(['exec', 'web', '--', 'sh', '-c', 'cat /etc/os-release && echo done'])).toMatch(/Debian GNU\/Linux 12[\s\S]*done\n$/);
    const missing = await harness.kubectl(['exec', 'web', '--', 'kubectl-not-here', 'x']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('sh: kubectl-not-here: not found');
    const exit3 = await harness.kubectl(['exec', 'web', '--', 'sh', '-c', 'exit 3']);
    expect(exit3.code).toBe(3);
    const interactive = await harness.kubectl(['exec', '-i', 'web', '--', 'sh'], { input: 'echo hello from stdin\nhostname\n' });
    expect(interactive.stdout).toBe('hello from stdin\nweb\n');
    const pending = await harness.kubectl(['exec', 'huge', '--', 'env']);
    expect(pending.code).not.toBe(0);
    expect(pending.stderr).toMatch(/container not found \("main"\)|pod huge does not have a host assigned/);
  });

  it('reports metrics for kubectl top', async () => {
    const nodes = await harness.ok(['top', 'nodes']);
    expect(nodes).toMatch(/NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)/);
    expect(nodes).toMatch(/sim-worker-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
    const pods = await harness.ok(['top', 'pods', '--sort-by=cpu']);
    expect(pods).toMatch(/web\s+\d+m\s+\d+Mi/);
    expect(pods).not.toMatch(/^huge/m);
    const containers = await harness.ok(['top', 'pods', '-A', '--containers']);
    expect(containers).toMatch(/default\s+web\s+main\s+\d+m\s+\d+Mi/);
    // Deterministic: the same pod reports the same usage twice.
    expect(await harness.ok(['top', 'pod', 'web', '--no-headers'])).toBe(await harness.ok(['top', 'pod', 'web', '--no-headers']));
  });
});
