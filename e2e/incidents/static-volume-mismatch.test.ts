/**
 * Incident: an administrator made a static PersistentVolume for a claim, but the claim asks for more space and an
 * access mode the volume does not offer, so it stays Pending and the volume Available. Fix: create a volume that
 * matches (k8s_apply); the claim binds to it, the mismatching one stays free.
 */
import { expect, it } from 'vitest';
import { waitFor, incidentClusterForThisFile } from './support/incident-cluster.ts';

const cluster = incidentClusterForThisFile();

const volume = (name: string, size: string, modes: string) => `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}}
spec:
  capacity: {storage: ${size}}
  accessModes: [${modes}]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: nfs-manual
  nfs: {server: 10.20.0.4, path: /exports/${name}}
`;

it('leaves the claim Pending next to an Available volume that does not fit, and binds it to one that does', async () => {
  await cluster.apply(`${volume('shared-small', '5Gi', 'ReadWriteOnce')}---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: uploads}
spec:
  storageClassName: nfs-manual
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 20Gi}}
`);
  await waitFor(async () => (await cluster.events('uploads')).includes('ProvisioningFailed'));
  expect((await cluster.ok(['get', 'pv', 'shared-small', '--no-headers'])).trim()).toMatch(/^shared-small\s+5Gi\s+RWO\s+Retain\s+Available\s+nfs-manual\s+<unset>\s+\d+s$/);
  expect((await cluster.ok(['get', 'pvc', 'uploads', '--no-headers'])).trim()).toMatch(/^uploads\s+Pending\s+nfs-manual\s+<unset>/);
  // No class object: the controller cannot provision either, and says so.
  expect(await cluster.events('uploads')).toMatch(/Warning\s+ProvisioningFailed\s+persistentvolume-controller\s+storageclass\.storage\.k8s\.io "nfs-manual" not found/);

  expect(await cluster.fix('k8s_apply', { content: volume('shared-large', '50Gi', 'ReadWriteMany, ReadWriteOnce') })).toBe('persistentvolume/shared-large created');

  await waitFor(async () => (await cluster.json(['get', 'pvc', 'uploads'])).status.phase === 'Bound');
  expect((await cluster.ok(['get', 'pvc', 'uploads', '--no-headers'])).trim()).toMatch(/^uploads\s+Bound\s+shared-large\s+50Gi\s+RWO,RWX\s+nfs-manual/);
  expect((await cluster.ok(['get', 'pv', '--no-headers'])).trim().split('\n').map((line) => line.split(/\s+/).slice(0, 6).join(' '))).toEqual([
    'shared-large 50Gi RWO,RWX Retain Bound default/uploads',
    'shared-small 5Gi RWO Retain Available nfs-manual',
  ]);
});
