/** `kubectl run -i`, `kubectl attach` and `kubectl exec -i` streams through the real kubectl. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

describe('attach and interactive runs through the real kubectl', () => {
  let harness: KubectlHarness;
  beforeAll(async () => {
    harness = await startHarness();
    await harness.ok(['apply', '-f', '-'], {
      input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: echo, image: "hashicorp/http-echo:1.0", args: [-text=hello from web, -listen=:8080], ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`,
    });
    await harness.ok(['rollout', 'status', 'deployment/web', '--timeout=20s']);
  });
  afterAll(() => harness?.close());

  it('streams a `kubectl run -i --rm` pod\'s output, returns its exit code and deletes it', async () => {
    const ok = await harness.kubectl(['run', 'check', '-i', '--rm', '--restart=Never', '--image=busybox:1.36', '--', 'sh', '-c', 'sleep 1; wget -qO- http://web; echo fetched'], { timeoutMs: 30_000 });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('hello from web\nfetched\npod "check" deleted\n');
    const failed = await harness.kubectl(['run', 'check-missing', '-i', '--rm', '--restart=Never', '--image=busybox:1.36', '--', 'wget', '-qO-', 'http://missing'], { timeoutMs: 30_000 });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("wget: bad address 'missing'");
    expect(failed.stderr).toContain('pod default/check-missing terminated (Error)');
    await waitFor(async () => (await harness.ok(['get', 'pods', '-o', 'name'])).split('\n').every((line) => !line.includes('check')));
  });

  it('shows what a `kubectl run -i` pod printed before kubectl attached, then the rest', async () => {
    // The first line is printed as the container starts, before kubectl has seen the pod running and attached: it is
    // sent as the attach's backlog, which kubectl drops if it arrives before its streams are set up.
    const result = await harness.kubectl(['run', 'early', '-i', '--rm', '--restart=Never', '--image=busybox:1.36', '--', 'sh', '-c', 'echo printed before the attach; sleep 1; echo printed after'], { timeoutMs: 30_000 });
    expect(result.stdout).toBe('printed before the attach\nprinted after\npod "early" deleted\n');
    expect(result.code).toBe(0);
  });

  it('feeds stdin to a `kubectl run -i` shell', async () => {
    const result = await harness.kubectl(['run', 'shell', '-i', '--rm', '--restart=Never', '--image=busybox:1.36', '--', 'sh'], { input: 'echo hello from stdin\nwget -qO- http://web\nexit 0\n', timeoutMs: 30_000 });
    expect(result.stdout).toContain('hello from stdin\nhello from web\n');
    expect(result.code).toBe(0);
  });

  it('attaches to a running container and streams what it prints from then on', async () => {
    await harness.ok(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: ticker}\nspec:\n  containers:\n  - {name: main, image: "busybox:1.36", command: [sh, -c, "i=0; while true; do i=$((i+1)); echo tick $i; sleep 5; done"]}\n' });
    await harness.ok(['wait', '--for=condition=Ready', 'pod/ticker', '--timeout=20s']);
    const attached = harness.kubectl(['attach', 'ticker'], { timeoutMs: 20_000 });
    await waitFor(async () => Number(/tick (\d+)\n$/.exec(await harness.ok(['logs', 'ticker']))?.[1] ?? 0) >= 15);
    await harness.ok(['delete', 'pod', 'ticker', '--wait=false']);
    const result = await attached;
    expect(result.code).toBe(0);
    const ticks = result.stdout.trim().split('\n');
    expect(ticks.length).toBeGreaterThan(2);
    for (const line of ticks) expect(line).toMatch(/^tick \d+$/);
    // Only new output: the attach started after the first ticks were printed.
    expect(ticks[0]).not.toBe('tick 1');
  });
});
