/**
 * HorizontalPodAutoscalers through the real kubectl: `kubectl autoscale` (autoscaling/v1) and v2 manifests,
 * the controller's formula and limits, its conditions and events, and `kubectl get/describe hpa` as on a
 * v1.32 cluster. CPU load comes from the SIM_CPU_MILLICORES env of the containers (metrics.k8s.io reports it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

let harness: KubectlHarness;
const ok = (args: string[], input?: string) => harness.ok(args, input === undefined ? {} : { input });
const json = async (args: string[]) => JSON.parse(await ok([...args, '-o', 'json']));

const deployment = (name: string, options: { replicas?: number; request?: string; load?: number; image?: string } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${options.replicas ?? 1}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: app
        image: ${options.image ?? 'registry.local/api:1.0'}
${options.load ? `        env: [{name: SIM_CPU_MILLICORES, value: "${options.load}"}]\n` : ''}${options.request ? `        resources: {requests: {cpu: ${options.request}}}\n` : ''}`;

const condition = (hpa: any, type: string) => (hpa.status?.conditions ?? []).find((entry: any) => entry.type === type);
const hpaRow = async (name: string) => (await ok(['get', 'hpa', name, '--no-headers'])).trim().split(/\s{2,}/);
const eventsOf = (name: string) => ok(['get', 'events', '--field-selector', `involvedObject.name=${name},involvedObject.kind=HorizontalPodAutoscaler`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,FROM:.source.component,MESSAGE:.message', '--no-headers']);

beforeAll(async () => {
  harness = await startHarness({ settings: { hpaSyncPeriodMs: 100, hpaDownscaleStabilizationMs: 1_500 } });
});
afterAll(() => harness?.close());

describe('kubectl autoscale and an HPA without CPU requests', () => {
  it('creates an autoscaling/v1 HPA that kubectl get hpa shows through v2', async () => {
    await ok(['apply', '-f', '-'], deployment('norequests', { replicas: 2 }));
    await waitFor(async () => (await json(['get', 'deployment', 'norequests'])).status.readyReplicas === 2);
    expect(await ok(['autoscale', 'deployment', 'norequests', '--min=2', '--max=5', '--cpu-percent=50'])).toContain('horizontalpodautoscaler.autoscaling/norequests autoscaled');
    const table = await ok(['get', 'hpa']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
    const stored = await json(['get', 'hpa', 'norequests']);
    expect(stored.apiVersion).toBe('autoscaling/v2');
    expect(stored.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
  });

  it('reports the missing request as the controller does: condition, events, <unknown> target', async () => {
    await waitFor(async () => condition(await json(['get', 'hpa', 'norequests']), 'ScalingActive')?.message?.includes('missing request'));
    const hpa = await json(['get', 'hpa', 'norequests']);
    const pod = (await json(['get', 'pods', '-l', 'app=norequests'])).items[0].metadata.name;
    expect(condition(hpa, 'AbleToScale')).toMatchObject({ status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });
    expect(condition(hpa, 'ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
    expect(condition(hpa, 'ScalingActive').message).toMatch(/^the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod norequests-[a-z0-9]+-[a-z0-9]{5}$/);
    expect(condition(hpa, 'ScalingLimited')).toBeUndefined();
    expect(hpa.status.currentMetrics).toEqual([{ type: '' }]);
    expect(await hpaRow('norequests')).toEqual(['norequests', 'Deployment/norequests', 'cpu: <unknown>/50%', '2', '5', '2', expect.stringMatching(/^\d+s$/)]);
    const describe = await ok(['describe', 'hpa', 'norequests']);
    expect(describe).toMatch(/Reference:\s+Deployment\/norequests/);
    expect(describe).toMatch(/resource cpu on pods\s+\(as a percentage of request\):\s+<unknown> \/ 50%/);
    expect(describe).toMatch(/Deployment pods:\s+2 current \/ 0 desired/);
    expect(describe).toMatch(/ScalingActive\s+False\s+FailedGetResourceMetric\s+the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod norequests-/);
    const events = await eventsOf('norequests');
    expect(events).toMatch(/Warning\s+FailedGetResourceMetric\s+horizontal-pod-autoscaler\s+failed to get cpu utilization: missing request for cpu in container app of Pod norequests-/);
    expect(events).toMatch(/Warning\s+FailedComputeMetricsReplicas\s+horizontal-pod-autoscaler\s+invalid metrics \(1 invalid out of 1\), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container app of Pod/);
    expect(pod).toMatch(/^norequests-/);
  });

  it('serves the v1 view with the conditions annotation', async () => {
    const v1 = await json(['get', 'horizontalpodautoscalers.v1.autoscaling', 'norequests']);
    expect(v1.apiVersion).toBe('autoscaling/v1');
    expect(v1.spec).toEqual({ scaleTargetRef: { kind: 'Deployment', name: 'norequests', apiVersion: 'apps/v1' }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 50 });
    expect(JSON.parse(v1.metadata.annotations['autoscaling.alpha.kubernetes.io/conditions']).map((entry: any) => entry.type)).toEqual(['AbleToScale', 'ScalingActive']);
  });
});

describe('an HPA with metrics', () => {
  const hpa = (name: string, max: number) => `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: ${name}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${name}}
  minReplicas: 1
  maxReplicas: ${max}
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`;

  it('scales up by the formula, within the scale-up limit, and stops at maxReplicas (ScalingLimited TooManyReplicas)', async () => {
    // 180m of 100m requested = 180% against a 50% target: ceil(1 × 180/50) = 4 wanted from 1 pod.
    await ok(['apply', '-f', '-'], `${deployment('busy', { request: '100m', load: 180 })}---\n${hpa('busy', 3)}`);
    await waitFor(async () => (await json(['get', 'hpa', 'busy'])).status.currentReplicas === 3 && (await json(['get', 'deployment', 'busy'])).status.readyReplicas === 3, 15_000);
    const scaled = await json(['get', 'hpa', 'busy']);
    expect(condition(scaled, 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' });
    await waitFor(async () => condition(await json(['get', 'hpa', 'busy']), 'ScalingLimited')?.reason === 'TooManyReplicas');
    const limited = await json(['get', 'hpa', 'busy']);
    expect(condition(limited, 'ScalingLimited')).toMatchObject({ status: 'True', message: 'the desired replica count is more than the maximum replica count' });
    expect(limited.status.currentMetrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 180, averageValue: '180m' } } }]);
    expect(await hpaRow('busy')).toEqual(['busy', 'Deployment/busy', 'cpu: 180%/50%', '1', '3', '3', expect.stringMatching(/^\d+s$/)]);
    expect(await eventsOf('busy')).toMatch(/Normal\s+SuccessfulRescale\s+horizontal-pod-autoscaler\s+New size: 3; reason: cpu resource utilization \(percentage of request\) above target/);
    const describe = await ok(['describe', 'hpa', 'busy']);
    expect(describe).toMatch(/resource cpu on pods\s+\(as a percentage of request\):\s+180% \(180m\) \/ 50%/);
    expect(describe).toMatch(/ScalingLimited\s+True\s+TooManyReplicas\s+the desired replica count is more than the maximum replica count/);
  });

  it('scales down only after the stabilization window; a raised minReplicas then wins (TooFewReplicas)', async () => {
    await ok(['set', 'env', 'deployment/busy', 'SIM_CPU_MILLICORES=5']);
    await waitFor(async () => condition(await json(['get', 'hpa', 'busy']), 'AbleToScale')?.reason === 'ScaleDownStabilized', 15_000);
    expect(condition(await json(['get', 'hpa', 'busy']), 'AbleToScale').message).toBe('recent recommendations were higher than current one, applying the highest recent recommendation');
    // 5% of the request against 50%: ceil(3 × 0.1) = 1 pod once the 1.5 s window has passed.
    await waitFor(async () => (await json(['get', 'deployment', 'busy'])).spec.replicas === 1, 15_000);
    expect(await eventsOf('busy')).toContain('New size: 1; reason: All metrics below target');
    await waitFor(async () => condition(await json(['get', 'hpa', 'busy']), 'ScalingLimited')?.reason === 'DesiredWithinRange');

    await ok(['patch', 'hpa', 'busy', '-p', '{"spec":{"minReplicas":2}}']);
    await waitFor(async () => condition(await json(['get', 'hpa', 'busy']), 'ScalingLimited')?.reason === 'TooFewReplicas', 15_000);
    expect(condition(await json(['get', 'hpa', 'busy']), 'ScalingLimited').message).toBe('the desired replica count is less than the minimum replica count');
    expect((await json(['get', 'deployment', 'busy'])).spec.replicas).toBe(2);
    expect(await eventsOf('busy')).toContain('New size: 2; reason: Current number of replicas below Spec.MinReplicas');
  });

  it('says when the target pods report no metrics, and when the target does not exist', async () => {
    await ok(['apply', '-f', '-'], `${deployment('broken', { request: '100m', image: 'registry.acme.io/api:doesnotexist' })}---\n${hpa('broken', 3)}---\n${hpa('orphan', 3)}`);
    await waitFor(async () => condition(await json(['get', 'hpa', 'broken']), 'ScalingActive')?.message?.includes('no metrics returned'));
    expect(condition(await json(['get', 'hpa', 'broken']), 'ScalingActive').message).toBe('the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API');
    await waitFor(async () => condition(await json(['get', 'hpa', 'orphan']), 'AbleToScale')?.status === 'False');
    expect(condition(await json(['get', 'hpa', 'orphan']), 'AbleToScale')).toMatchObject({ reason: 'FailedGetScale', message: 'the HPA controller was unable to get the target\'s current scale: deployments/scale.apps "orphan" not found' });
    expect(await eventsOf('orphan')).toMatch(/Warning\s+FailedGetScale\s+horizontal-pod-autoscaler\s+deployments\/scale\.apps "orphan" not found/);
  });

  it('rejects an invalid HPA with the API server\'s message', async () => {
    const result = await harness.kubectl(['apply', '-f', '-'], { input: hpa('bad', 0) });
    expect(result.stderr).toContain('The HorizontalPodAutoscaler "bad" is invalid: spec.maxReplicas: Invalid value: 0: must be greater than or equal to 1');
  });
});
