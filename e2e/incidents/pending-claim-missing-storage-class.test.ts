/**
 * Incident: a Deployment stays Pending because its PersistentVolumeClaim names a StorageClass that was never
 * created (`fast-ssd`). Fix: create the class through k8s_apply; the claim is provisioned and the pod runs.
 */
import { expect, it } from 'vitest';
import { waitFor, incidentClusterForThisFile } from './support/incident-cluster.ts';

const cluster = incidentClusterForThisFile();

const manifest = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: reports-data}
spec:
  storageClassName: fast-ssd
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reports}
spec:
  replicas: 1
  selector: {matchLabels: {app: reports}}
  template:
    metadata: {labels: {app: reports}}
    spec:
      containers:
      - name: reports
        image: registry.acme.io/reports:3.1.0
        volumeMounts: [{name: data, mountPath: /var/lib/reports}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: reports-data}
`;

it('shows the claim Pending on a missing class and the pod unschedulable, and recovers once the class exists', async () => {
  await cluster.apply(manifest);
  await waitFor(async () => (await cluster.events('reports-data')).includes('ProvisioningFailed'));
  expect((await cluster.ok(['get', 'pvc', 'reports-data', '--no-headers'])).trim()).toMatch(/^reports-data\s+Pending\s+fast-ssd\s+<unset>\s+\d+s$/);
  expect(await cluster.ok(['describe', 'pvc', 'reports-data'])).toMatch(/Warning\s+ProvisioningFailed\s+\S+\s+persistentvolume-controller\s+storageclass\.storage\.k8s\.io "fast-ssd" not found/);
  const pod = (await cluster.json(['get', 'pods', '-l', 'app=reports'])).items[0].metadata.name;
  await waitFor(async () => (await cluster.events(pod)).includes('FailedScheduling'));
  expect(await cluster.ok(['describe', 'pod', pod])).toContain('0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
  expect((await cluster.ok(['get', 'pod', pod, '--no-headers'])).trim()).toMatch(/0\/1\s+Pending/);

  const output = await cluster.fix('k8s_apply', { content: 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast-ssd}\nprovisioner: ebs.csi.aws.com\nvolumeBindingMode: Immediate\nallowVolumeExpansion: true\n' });
  expect(output).toBe('storageclass.storage.k8s.io/fast-ssd created');

  await waitFor(async () => /1\/1\s+Running/.test(await cluster.ok(['get', 'pod', pod, '--no-headers'])));
  const claim = await cluster.json(['get', 'pvc', 'reports-data']);
  expect(claim.status.phase).toBe('Bound');
  expect((await cluster.ok(['get', 'pv', claim.spec.volumeName, '--no-headers'])).trim()).toMatch(new RegExp(`^${claim.spec.volumeName}\\s+10Gi\\s+RWO\\s+Delete\\s+Bound\\s+default/reports-data\\s+fast-ssd`));
  expect(await cluster.events('reports-data')).toContain(`Successfully provisioned volume ${claim.spec.volumeName}`);
});
