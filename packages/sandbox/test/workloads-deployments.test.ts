import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

function deploymentYaml(name: string, image: string, options: { replicas?: number; changeCause?: string; progressDeadlineSeconds?: number } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${options.changeCause ? `  annotations: {kubernetes.io/change-cause: "${options.changeCause}"}\n` : ''}spec:
  replicas: ${options.replicas ?? 2}
${options.progressDeadlineSeconds ? `  progressDeadlineSeconds: ${options.progressDeadlineSeconds}\n` : ''}  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: app, image: "${image}"}]
`;
}

describe('Deployments through the real kubectl', () => {
  let harness: KubectlHarness;
  beforeAll(async () => {
    harness = await startHarness({ settings: { progressDeadlineMs: 600 } });
  });
  afterAll(() => harness?.close());

  const podLines = async (app: string) => (await harness.ok(['get', 'pods', '-l', `app=${app}`, '--no-headers'])).trim().split('\n').filter(Boolean);
  const images = async (app: string) =>
    JSON.parse(await harness.ok(['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items.filter((pod: any) => !pod.metadata.deletionTimestamp).map((pod: any) => pod.spec.containers[0].image);

  it('runs a new deployment to Ready pods and rollout status succeeds', async () => {
    await harness.ok(['apply', '-f', '-'], { input: deploymentYaml('web', 'nginx:1.27', { replicas: 2 }) });
    const status = await harness.ok(['rollout', 'status', 'deployment/web', '--timeout=15s']);
    expect(status).toContain('deployment "web" successfully rolled out');
    const lines = await podLines('web');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^web-[a-z0-9]{8,10}-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s/);
    const owner = JSON.parse(await harness.ok(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items[0].metadata.ownerReferences[0];
    expect(owner).toMatchObject({ kind: 'ReplicaSet', controller: true });
    const wide = await harness.ok(['get', 'deployment', 'web']);
    expect(wide).toMatch(/web\s+2\/2\s+2\s+2/);
  });

  it('scales up and down', async () => {
    await harness.ok(['scale', 'deployment/web', '--replicas=4']);
    await waitFor(async () => (await podLines('web')).filter((line) => /1\/1\s+Running/.test(line)).length === 4);
    await harness.ok(['scale', 'deployment/web', '--replicas=1']);
    await waitFor(async () => (await podLines('web')).length === 1);
    expect(await harness.ok(['get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}/{.status.replicas}'])).toBe('1/1');
  });

  it('set image rolls out a new ReplicaSet, history lists revisions with change-cause, undo goes back', async () => {
    await harness.ok(['apply', '-f', '-'], { input: deploymentYaml('api', 'registry.local/api:1.0.0', { changeCause: 'initial release' }) });
    await harness.ok(['rollout', 'status', 'deployment/api', '--timeout=15s']);
    await harness.ok(['set', 'image', 'deployment/api', 'app=registry.local/api:1.1.0']);
    await harness.ok(['annotate', 'deployment/api', 'kubernetes.io/change-cause=bump to 1.1.0', '--overwrite']);
    expect(await harness.ok(['rollout', 'status', 'deployment/api', '--timeout=15s'])).toContain('successfully rolled out');
    await waitFor(async () => (await images("api")).every((image: string) => image === 'registry.local/api:1.1.0') && (await images('api')).length === 2);
    const sets = JSON.parse(await harness.ok(['get', 'rs', '-l', 'app=api', '-o', 'json'])).items;
    expect(sets).toHaveLength(2);
    expect(sets.map((rs: any) => rs.metadata.annotations['deployment.kubernetes.io/revision']).sort()).toEqual(['1', '2']);
    expect(sets.every((rs: any) => rs.metadata.name === `api-${rs.metadata.labels['pod-template-hash']}`)).toBe(true);

    const history = await harness.ok(['rollout', 'history', 'deployment/api']);
    expect(history).toMatch(/1\s+initial release/);
    expect(history).toMatch(/2\s+bump to 1\.1\.0/);

    expect(await harness.ok(['rollout', 'undo', 'deployment/api', '--to-revision=1'])).toContain('rolled back');
    await harness.ok(['rollout', 'status', 'deployment/api', '--timeout=15s']);
    await waitFor(async () => (await images('api')).join() === 'registry.local/api:1.0.0,registry.local/api:1.0.0');
    // Undo reuses revision 1's ReplicaSet, which becomes revision 3.
    const after = JSON.parse(await harness.ok(['get', 'rs', '-l', 'app=api', '-o', 'json'])).items;
    expect(after).toHaveLength(2);
    expect(await harness.ok(['get', 'deployment', 'api', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}'])).toBe('3');
    expect(await harness.ok(['rollout', 'history', 'deployment/api'])).toMatch(/2\s+bump to 1\.1\.0[\s\S]*3\s+/);
  });

  it('rollout restart creates a new ReplicaSet; pause holds changes until resume', async () => {
    const before = JSON.parse(await harness.ok(['get', 'rs', '-l', 'app=web', '-o', 'json'])).items.length;
    await harness.ok(['rollout', 'restart', 'deployment/web']);
    await harness.ok(['rollout', 'status', 'deployment/web', '--timeout=15s']);
    const sets = JSON.parse(await harness.ok(['get', 'rs', '-l', 'app=web', '-o', 'json'])).items;
    expect(sets.length).toBe(before + 1);
    const newest = sets.find((rs: any) => rs.spec.replicas > 0);
    expect(newest.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeTruthy();

    await harness.ok(['rollout', 'pause', 'deployment/web']);
    await harness.ok(['set', 'image', 'deployment/web', 'app=nginx:1.28']);
    // The controller has seen the new image (observedGeneration caught up) and, paused, made no ReplicaSet for it.
    await waitFor(async () => {
      const deployment = JSON.parse(await harness.ok(['get', 'deployment', 'web', '-o', 'json']));
      return deployment.status.observedGeneration === deployment.metadata.generation;
    });
    expect(JSON.parse(await harness.ok(['get', 'rs', '-l', 'app=web', '-o', 'json'])).items.length).toBe(before + 1);
    expect(await harness.ok(['get', 'deployment', 'web', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}'])).toBe('DeploymentPaused');
    await harness.ok(['rollout', 'resume', 'deployment/web']);
    await harness.ok(['rollout', 'status', 'deployment/web', '--timeout=15s']);
    expect(await images('web')).toEqual(['nginx:1.28']);
  });

  it('reports ProgressDeadlineExceeded when the new pods never become ready', async () => {
    await harness.ok(['apply', '-f', '-'], { input: deploymentYaml('broken', 'registry.local/broken:1.0', { replicas: 1 }) });
    await harness.ok(['rollout', 'status', 'deployment/broken', '--timeout=15s']);
    await harness.ok(['set', 'image', 'deployment/broken', 'app=registry.local/broken-crash:1.1']);
    const result = await harness.kubectl(['rollout', 'status', 'deployment/broken', '--timeout=15s']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('deployment "broken" exceeded its progress deadline');
    // The old pod keeps serving: maxUnavailable rounds down to 0 for one replica.
    const lines = await podLines('broken');
    expect(lines.some((line) => /1\/1\s+Running/.test(line))).toBe(true);
    expect(lines.some((line) => /CrashLoopBackOff|Error|Running/.test(line) && line.includes('0/1'))).toBe(true);
  });
});
