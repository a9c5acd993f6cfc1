/**
 * Incident: a StatefulSet's volumeClaimTemplates name a StorageClass that does not exist in this cluster, so
 * its first claim stays Pending, pod 0 cannot be scheduled and (OrderedReady) pod 1 is never created. The
 * templates cannot be edited (the API server forbids it). Fix: create the class (k8s_apply); every replica
 * then gets its own claim `data-<set>-<ordinal>` and runs.
 */
import { expect, it } from 'vitest';
import { waitFor, incidentClusterForThisFile } from './support/incident-cluster.ts';

const cluster = incidentClusterForThisFile();

const statefulSet = (size: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kafka}
spec:
  serviceName: kafka
  replicas: 2
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec:
      containers:
      - name: broker
        image: registry.local/kafka:3.7
        volumeMounts: [{name: data, mountPath: /bitnami/kafka}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      storageClassName: premium-rwo
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: ${size}}}
`;

it('stalls on the first claim, refuses a template change, and rolls out once the class exists', async () => {
  await cluster.apply(statefulSet('8Gi'));
  await waitFor(async () => (await cluster.events('kafka-0')).includes('FailedScheduling'));
  expect(await cluster.ok(['describe', 'pod', 'kafka-0'])).toMatch(/ClaimName:\s+data-kafka-0/);
  expect(await cluster.events('kafka-0')).toContain('0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.');
  expect(await cluster.events('data-kafka-0')).toContain('storageclass.storage.k8s.io "premium-rwo" not found');
  expect(await cluster.events('kafka')).toMatch(/Normal\s+SuccessfulCreate\s+statefulset-controller\s+create Claim data-kafka-0 Pod kafka-0 in StatefulSet kafka success/);
  expect((await cluster.ok(['get', 'statefulset', 'kafka', '--no-headers'])).trim()).toMatch(/^kafka\s+0\/2\s+\d+s$/);
  expect((await cluster.kubectl(['get', 'pod', 'kafka-1'])).code).toBe(1);
  const edit = await cluster.kubectl(['apply', '-f', '-'], statefulSet('16Gi'));
  expect(edit.stderr).toContain("The StatefulSet \"kafka\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");

  await cluster.fix('k8s_apply', { content: 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: premium-rwo}\nprovisioner: pd.csi.storage.gke.io\nvolumeBindingMode: WaitForFirstConsumer\nallowVolumeExpansion: true\n' });

  await waitFor(async () => (await cluster.json(['get', 'statefulset', 'kafka'])).status.readyReplicas === 2, 20_000);
  const claims = (await cluster.ok(['get', 'pvc', '--no-headers'])).trim().split('\n').map((line) => line.split(/\s+/));
  expect(claims.map((columns) => [columns[0], columns[1], columns[3], columns[5]])).toEqual([
    ['data-kafka-0', 'Bound', '8Gi', 'premium-rwo'],
    ['data-kafka-1', 'Bound', '8Gi', 'premium-rwo'],
  ]);
  expect(await cluster.ok(['get', 'pod', 'kafka-1', '-o', 'jsonpath={.spec.volumes[0].persistentVolumeClaim.claimName}'])).toBe('data-kafka-1');
});
