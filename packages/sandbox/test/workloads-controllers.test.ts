import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/kube-sim/cluster-types.ts';
import { installWorkloads } from '../src/kube-sim/workloads/index.ts';
import { createFakeCluster, eventually, type FakeCluster } from './support/fake-cluster.ts';

function deployment(name: string, image: string, replicas = 2): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
    },
  };
}

describe('workload controllers (in-memory cluster)', () => {
  let cluster: FakeCluster;
  afterEach(() => cluster?.close());

  it('rolls a deployment out to Ready pods and rolls a new image to a new ReplicaSet', async () => {
    cluster = createFakeCluster();
    installWorkloads(cluster, {});
    const deployments = cluster.registry.byResource('apps', 'deployments')!;
    const replicaSets = cluster.registry.byResource('apps', 'replicasets')!;
    const pods = cluster.registry.byResource('', 'pods')!;
    cluster.store.create(deployments, deployment('web', 'nginx:1.27'));
    const done = await eventually(() => {
      const current = cluster.store.get(deployments, 'default', 'web');
      return current?.status?.availableReplicas === 2 && current.status.updatedReplicas === 2 ? current : undefined;
    });
    expect(done.status.conditions.find((condition: any) => condition.type === 'Progressing').reason).toBe('NewReplicaSetAvailable');
    const running = cluster.store.list(pods, 'default');
    expect(running).toHaveLength(2);
    expect(running.every((pod) => pod.status.phase === 'Running' && pod.spec.nodeName && pod.status.podIP)).toBe(true);
    expect(running[0].metadata.name).toMatch(/^web-[a-z0-9]+-[a-z0-9]{5}$/);

    cluster.store.mutate(deployments, 'default', 'web', (current) => {
      current.spec.template.spec.containers[0].image = 'nginx:1.28';
      return current;
    });
    await eventually(() => {
      const current = cluster.store.get(deployments, 'default', 'web');
      const progressing = current?.status?.conditions?.find((condition: any) => condition.type === 'Progressing');
      return current?.status?.updatedReplicas === 2 && current.status.replicas === 2 && current.status.availableReplicas === 2 && progressing?.reason === 'NewReplicaSetAvailable' && current.metadata.annotations?.['deployment.kubernetes.io/revision'] === '2';
    });
    const sets = cluster.store.list(replicaSets, 'default');
    expect(sets.map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs.spec.replicas]).sort()).toEqual([['1', 0], ['2', 2]]);
    const images = cluster.store.list(pods, 'default').filter((pod) => !pod.metadata.deletionTimestamp).map((pod) => pod.spec.containers[0].image);
    expect(images).toEqual(['nginx:1.28', 'nginx:1.28']);
  });
});
