import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

describe('Jobs and StatefulSets through the real kubectl', () => {
  let harness: KubectlHarness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness?.close());

  it('completes a job (kubectl wait --for=condition=complete) and fails one past its backoffLimit', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1
kind: Job
metadata: {name: report}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: report, image: busybox:1.36, command: [sh, -c, "echo report ready"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: flaky}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: flaky, image: "registry.local/flaky-crash:1.0"}]
`,
    });
    expect(await harness.ok(['wait', '--for=condition=complete', 'job/report', '--timeout=15s'])).toContain('job.batch/report condition met');
    expect(await harness.ok(['get', 'job', 'report', '-o', 'jsonpath={.status.succeeded}'])).toBe('1');
    expect(await harness.ok(['logs', 'job/report'])).toBe('report ready\n');
    const completedPod = await harness.ok(['get', 'pods', '-l', 'job-name=report', '--no-headers']);
    expect(completedPod).toMatch(/0\/1\s+Completed\s+0/);

    await harness.ok(['wait', '--for=condition=failed', 'job/flaky', '--timeout=15s']);
    const flaky = JSON.parse(await harness.ok(['get', 'job', 'flaky', '-o', 'json']));
    expect(flaky.status.failed).toBe(2);
    expect(flaky.status.conditions.find((condition: any) => condition.type === 'Failed').reason).toBe('BackoffLimitExceeded');
    expect(await harness.ok(['get', 'pods', '-l', 'job-name=flaky', '--no-headers'])).toMatch(/0\/1\s+Error\s+0/);
  });

  it('creates ordered StatefulSet pods and rolls an update with history and undo', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:16.4", env: [{name: POSTGRES_PASSWORD, value: example}]}]}
`,
    });
    expect(await harness.ok(['rollout', 'status', 'statefulset/db', '--timeout=15s'])).toContain('partitioned roll out complete: 3 new pods have been updated...');
    const names = (await harness.ok(['get', 'pods', '-l', 'app=db', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').sort();
    expect(names).toEqual(['db-0', 'db-1', 'db-2']);
    const created = JSON.parse(await harness.ok(['get', 'pods', '-l', 'app=db', '-o', 'json'])).items.map((pod: any) => [pod.metadata.name, pod.metadata.resourceVersion]);
    expect(created.length).toBe(3);

    await harness.ok(['set', 'image', 'statefulset/db', 'db=postgres:16.6']);
    expect(await harness.ok(['rollout', 'status', 'statefulset/db', '--timeout=20s'])).toContain('3 new pods have been updated');
    await waitFor(async () => {
      const pods = JSON.parse(await harness.ok(['get', 'pods', '-l', 'app=db', '-o', 'json'])).items;
      return pods.length === 3 && pods.every((pod: any) => pod.spec.containers[0].image === 'postgres:16.6');
    });
    const history = await harness.ok(['rollout', 'history', 'statefulset/db']);
    expect(history).toMatch(/1\s+<none>\s+2\s+<none>/);
    await harness.ok(['rollout', 'undo', 'statefulset/db']);
    await waitFor(async () => {
      const pods = JSON.parse(await harness.ok(['get', 'pods', '-l', 'app=db', '-o', 'json'])).items;
      return pods.length === 3 && pods.every((pod: any) => pod.spec.containers[0].image === 'postgres:16.4' && pod.status.phase === 'Running');
    }, 20_000);
  });
});
