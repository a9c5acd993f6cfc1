/** Server-side defaulting as `kubectl get -o json` shows it, for objects sent without the defaulted fields. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

const template = (app: string, image: string, env?: Array<{ name: string; value: string }>) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'main', image, ...(env ? { env } : {}) }] } });
const manifests = [
  { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db', 'postgres:16', [{ name: 'POSTGRES_PASSWORD', value: 'example' }]) } },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent', 'fluent-bit') } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template('web', 'nginx:latest') } },
  { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'registry.local/migrate:1.0' }] } } } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bare' }, spec: { containers: [{ name: 'main', image: 'busybox' }, { name: 'side', image: 'envoy:1.30' }] } },
];

describe('server-side defaulting', () => {
  let harness: KubectlHarness;
  const get = async (kind: string, name: string) => JSON.parse(await harness.ok(['get', kind, name, '-o', 'json']));

  beforeAll(async () => {
    harness = await startHarness();
    await harness.ok(['apply', '-f', '-'], { input: manifests.map((manifest) => toYaml(manifest)).join('---\n') });
  });
  afterAll(() => harness?.close());

  it('defaults StatefulSet and DaemonSet update strategies and history limits, without the controllers rewriting the spec', async () => {
    await waitFor(async () => (await get('statefulset', 'db')).status?.readyReplicas === 1);
    const statefulSet = await get('statefulset', 'db');
    expect(statefulSet.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(statefulSet.spec.revisionHistoryLimit).toBe(10);
    expect(statefulSet.spec.podManagementPolicy).toBe('OrderedReady');
    expect(statefulSet.spec.replicas).toBe(1);
    // A controller filling in spec fields would have bumped the generation.
    expect(statefulSet.metadata.generation).toBe(1);
    const daemonSet = await get('daemonset', 'agent');
    expect(daemonSet.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(daemonSet.spec.revisionHistoryLimit).toBe(10);
    expect(daemonSet.metadata.generation).toBe(1);
  });

  it('defaults a Deployment and its pod template', async () => {
    const deployment = await get('deployment', 'web');
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    expect(deployment.spec.progressDeadlineSeconds).toBe(600);
    expect(deployment.spec.revisionHistoryLimit).toBe(10);
    const podSpec = deployment.spec.template.spec;
    expect(podSpec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' });
    expect(podSpec.containers[0]).toMatchObject({ imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
  });

  it('defaults pods, including those a controller creates, with admission tolerations', async () => {
    const bare = await get('pod', 'bare');
    expect(bare.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, serviceAccountName: 'default', enableServiceLinks: true, priority: 0 });
    // No tag means :latest, which is pulled every time; a pinned tag is pulled if not present.
    expect(bare.spec.containers.map((container: any) => container.imagePullPolicy)).toEqual(['Always', 'IfNotPresent']);
    expect(bare.spec.tolerations.map((toleration: any) => `${toleration.key}:${toleration.tolerationSeconds}`)).toEqual(['node.kubernetes.io/not-ready:300', 'node.kubernetes.io/unreachable:300']);
    const owned = JSON.parse(await harness.ok(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items[0];
    expect(owned.spec).toMatchObject({ restartPolicy: 'Always', terminationGracePeriodSeconds: 30, serviceAccountName: 'default', enableServiceLinks: true });
    expect(owned.spec.tolerations).toHaveLength(2);
  });

  it('defaults a Service with an allocated cluster IP and a Job with its limits', async () => {
    const service = await get('service', 'web');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.sessionAffinity).toBe('None');
    expect(service.spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(service.spec.clusterIPs).toEqual([service.spec.clusterIP]);
    expect(service.spec.ports[0]).toEqual({ port: 80, protocol: 'TCP', targetPort: 80 });
    const job = await get('job', 'migrate');
    expect(job.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1, completionMode: 'NonIndexed', suspend: false });
  });
});
