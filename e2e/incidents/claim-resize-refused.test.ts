/**
 * Incident: a database volume is full; growing its claim is refused because the StorageClass does not allow
 * expansion. Fix: enable allowVolumeExpansion on the class (k8s_patch), then grow the claim (k8s_patch); the
 * volume and, after the node's file system resize, the claim's capacity follow.
 */
import { expect, it } from 'vitest';
import { waitFor, incidentClusterForThisFile } from './support/incident-cluster.ts';

const cluster = incidentClusterForThisFile();

const manifest = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pg-data}
spec:
  storageClassName: gp3
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: pg-0}
spec:
  containers:
  - name: postgres
    image: postgres:16
    env: [{name: POSTGRES_PASSWORD, value: example}]
    volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: pg-data}
`;

it('refuses the resize like the real admission, then grows the claim once the class allows it', async () => {
  await cluster.apply(manifest);
  await waitFor(async () => /1\/1\s+Running/.test(await cluster.ok(['get', 'pod', 'pg-0', '--no-headers'])));
  const refused = await cluster.kubectl(['patch', 'pvc', 'pg-data', '-p', '{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}']);
  expect(refused.code).toBe(1);
  expect(refused.stderr.trim()).toBe('Error from server (Forbidden): persistentvolumeclaims "pg-data" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
  expect((await cluster.ok(['get', 'sc', 'gp3', '--no-headers'])).trim()).toMatch(/^gp3\s+ebs\.csi\.aws\.com\s+Delete\s+WaitForFirstConsumer\s+false\s+\d+s$/);
  // The agent's own tool meets the same refusal.
  const attempt = await cluster.harness.call('k8s_patch', { resource_type: 'pvc', name: 'pg-data', patch: '{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}' });
  expect(attempt.isError).toBe(true);
  expect(attempt.text).toContain('only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');

  await cluster.fix('k8s_patch', { resource_type: 'storageclass', name: 'gp3', patch: '{"allowVolumeExpansion": true}' });
  await cluster.fix('k8s_patch', { resource_type: 'pvc', name: 'pg-data', patch: '{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}' });

  await waitFor(async () => (await cluster.ok(['get', 'pvc', 'pg-data', '-o', 'jsonpath={.status.capacity.storage}'])) === '20Gi');
  const claim = await cluster.json(['get', 'pvc', 'pg-data']);
  expect((await cluster.ok(['get', 'pvc', 'pg-data', '--no-headers'])).trim()).toMatch(new RegExp(`^pg-data\\s+Bound\\s+${claim.spec.volumeName}\\s+20Gi\\s+RWO\\s+gp3`));
  expect(await cluster.ok(['get', 'pv', claim.spec.volumeName, '-o', 'jsonpath={.spec.capacity.storage}'])).toBe('20Gi');
  const events = await cluster.events('pg-data');
  expect(events).toMatch(/Normal\s+Resizing\s+external-resizer ebs\.csi\.aws\.com\s+External resizer is resizing volume pvc-/);
  expect(events).toMatch(/Normal\s+FileSystemResizeSuccessful\s+kubelet\s+MountVolume\.NodeExpandVolume succeeded for volume "pvc-[^"]+" sim-worker-\d/);
});
