/**
 * Storage through the real kubectl: the default StorageClass, dynamic provisioning (Immediate and
 * WaitForFirstConsumer), static volume matching and binding, the scheduler's volume checks, expansion,
 * reclaim policies, claim protection and StatefulSet volumeClaimTemplates — with the tables, describe
 * output, events and error messages of a v1.32 cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

let harness: KubectlHarness;
const kubectl = (args: string[], input?: string) => harness.kubectl(args, input === undefined ? {} : { input });
const ok = (args: string[], input?: string) => harness.ok(args, input === undefined ? {} : { input });
const json = async (args: string[]) => JSON.parse(await ok([...args, '-o', 'json']));
const apply = (yaml: string) => ok(['apply', '-f', '-'], yaml);

const claim = (name: string, options: { className?: string | null; size?: string; modes?: string[]; volumeName?: string; namespace?: string } = {}) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}${options.namespace ? `, namespace: ${options.namespace}` : ''}}
spec:
${options.className === undefined ? '' : `  storageClassName: ${JSON.stringify(options.className ?? '')}\n`}${options.volumeName ? `  volumeName: ${options.volumeName}\n` : ''}  accessModes: [${(options.modes ?? ['ReadWriteOnce']).join(', ')}]
  resources: {requests: {storage: ${options.size ?? '1Gi'}}}
`;

const podUsing = (name: string, claimName: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers:
  - name: app
    image: nginx:1.27
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: ${claimName}}
`;

const storageClass = (name: string, options: { provisioner?: string; mode?: string; expand?: boolean; reclaim?: string } = {}) => `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: ${name}}
provisioner: ${options.provisioner ?? 'ebs.csi.aws.com'}
volumeBindingMode: ${options.mode ?? 'Immediate'}
${options.reclaim ? `reclaimPolicy: ${options.reclaim}\n` : ''}${options.expand === undefined ? '' : `allowVolumeExpansion: ${options.expand}\n`}`;

const staticVolume = (name: string, options: { size?: string; modes?: string[]; className?: string; reclaim?: string; labels?: string } = {}) => `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}${options.labels ? `, labels: ${options.labels}` : ''}}
spec:
  capacity: {storage: ${options.size ?? '1Gi'}}
  accessModes: [${(options.modes ?? ['ReadWriteOnce']).join(', ')}]
  persistentVolumeReclaimPolicy: ${options.reclaim ?? 'Retain'}
  storageClassName: ${options.className ?? 'manual'}
  nfs: {server: 10.0.0.5, path: /exports/${name}}
`;

/** One row of `kubectl get <kind> <name> --no-headers`, split on runs of spaces. */
async function row(kind: string, name: string, extra: string[] = []): Promise<string[]> {
  return (await ok(['get', kind, name, '--no-headers', ...extra])).trim().split(/\s{2,}/);
}

async function eventsOf(name: string): Promise<string> {
  return ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,FROM:.source.component,MESSAGE:.message', '--no-headers']);
}

beforeAll(async () => {
  harness = await startHarness({ settings: { provisionDelayMs: 30 } });
});
afterAll(() => harness?.close());

describe('the default StorageClass', () => {
  it('lists `standard (default)` with the columns of kubectl get sc', async () => {
    const table = await ok(['get', 'storageclass']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/);
    expect(table).toMatch(/standard \(default\)\s+sim\.skyflo\.ai\/hostpath\s+Delete\s+WaitForFirstConsumer\s+true\s+\d+s/);
    const describe = await ok(['describe', 'sc', 'standard']);
    expect(describe).toMatch(/IsDefaultClass:\s+Yes/);
  });

  it('is written into a claim without a class, with the protection finalizer, and the claim waits for its first consumer', async () => {
    await apply(claim('waiting'));
    const created = await json(['get', 'pvc', 'waiting']);
    expect(created.spec.storageClassName).toBe('standard');
    expect(created.spec.volumeMode).toBe('Filesystem');
    expect(created.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    await waitFor(async () => (await eventsOf('waiting')).includes('WaitForFirstConsumer'));
    expect(await row('pvc', 'waiting')).toEqual(['waiting', 'Pending', 'standard', '<unset>', expect.stringMatching(/^\d+s$/)]);
    expect(await eventsOf('waiting')).toMatch(/Normal\s+WaitForFirstConsumer\s+persistentvolume-controller\s+waiting for first consumer to be created before binding/);
  });

  it('binds a WaitForFirstConsumer claim only once its pod is scheduled, on that pod\'s node', async () => {
    await apply(podUsing('consumer', 'waiting'));
    await waitFor(async () => (await json(['get', 'pvc', 'waiting'])).status.phase === 'Bound');
    const bound = await json(['get', 'pvc', 'waiting']);
    await waitFor(async () => (await json(['get', 'pod', 'consumer'])).status.phase === 'Running');
    const pod = await json(['get', 'pod', 'consumer']);
    expect(bound.metadata.annotations['volume.kubernetes.io/selected-node']).toBe(pod.spec.nodeName);
    expect(bound.spec.volumeName).toBe(`pvc-${bound.metadata.uid}`);
    expect(bound.status).toMatchObject({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
    const volume = await json(['get', 'pv', bound.spec.volumeName]);
    expect(volume.status.phase).toBe('Bound');
    expect(volume.spec.claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'waiting', uid: bound.metadata.uid });
    expect(volume.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0]).toEqual({ key: 'kubernetes.io/hostname', operator: 'In', values: [pod.spec.nodeName] });
    expect(volume.metadata.annotations['pv.kubernetes.io/provisioned-by']).toBe('sim.skyflo.ai/hostpath');
    expect(await row('pvc', 'waiting')).toEqual(['waiting', 'Bound', bound.spec.volumeName, '1Gi', 'RWO', 'standard', '<unset>', expect.stringMatching(/^\d+s$/)]);
    expect(await row('pv', bound.spec.volumeName)).toEqual([bound.spec.volumeName, '1Gi', 'RWO', 'Delete', 'Bound', 'default/waiting', 'standard', '<unset>', expect.stringMatching(/^\d+s$/)]);
    const describe = await ok(['describe', 'pvc', 'waiting']);
    expect(describe).toMatch(/Used By:\s+consumer/);
    expect(describe).toMatch(/Finalizers:\s+\[kubernetes\.io\/pvc-protection\]/);
    expect(describe).toContain("Waiting for a volume to be created either by the external provisioner 'sim.skyflo.ai/hostpath' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.");
    expect(describe).toMatch(/Provisioning\s+\S+\s+sim\.skyflo\.ai\/hostpath_\S+\s+External provisioner is provisioning volume for claim "default\/waiting"/);
    expect(describe).toContain(`Successfully provisioned volume ${bound.spec.volumeName}`);
    expect(await ok(['describe', 'pv', bound.spec.volumeName])).toMatch(/Term 0:\s+kubernetes\.io\/hostname in \[sim-worker-\d\]/);
  });
});

describe('claims the scheduler waits for', () => {
  it('keeps a pod Pending while its claim does not exist, then runs it once the claim is bound', async () => {
    await apply(podUsing('no-claim', 'later'));
    const message = '0/3 nodes are available: persistentvolumeclaim "later" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    await waitFor(async () => (await eventsOf('no-claim')).includes(message));
    expect(await eventsOf('no-claim')).toMatch(/Warning\s+FailedScheduling\s+default-scheduler/);
    const pod = await json(['get', 'pod', 'no-claim']);
    expect(pod.status.conditions.find((condition: any) => condition.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    await apply(claim('later'));
    await waitFor(async () => (await json(['get', 'pod', 'no-claim'])).status.phase === 'Running');
  });

  it('reports an unbound immediate claim whose class does not exist, and recovers when the class is created', async () => {
    await apply(`${claim('fast-data', { className: 'fast' })}---\n${podUsing('fast-pod', 'fast-data')}`);
    await waitFor(async () => (await eventsOf('fast-data')).includes('ProvisioningFailed'));
    expect(await eventsOf('fast-data')).toMatch(/Warning\s+ProvisioningFailed\s+persistentvolume-controller\s+storageclass\.storage\.k8s\.io "fast" not found/);
    await waitFor(async () => (await eventsOf('fast-pod')).includes('pod has unbound immediate PersistentVolumeClaims'));
    expect(await eventsOf('fast-pod')).toContain('0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
    expect(await row('pod', 'fast-pod')).toEqual(['fast-pod', '0/1', 'Pending', '0', expect.stringMatching(/^\d+s$/)]);

    await apply(storageClass('fast'));
    await waitFor(async () => (await json(['get', 'pod', 'fast-pod'])).status.phase === 'Running');
    const bound = await json(['get', 'pvc', 'fast-data']);
    expect(bound.status.phase).toBe('Bound');
    const volume = await json(['get', 'pv', bound.spec.volumeName]);
    // A block CSI driver: a CSI source, no node affinity (Immediate binding chose no node).
    expect(volume.spec.csi).toMatchObject({ driver: 'ebs.csi.aws.com', fsType: 'ext4' });
    expect(volume.spec.nodeAffinity).toBeUndefined();
  });

  it('explains a claim with an empty class and no volume, and leaves a class whose provisioner is not installed at ExternalProvisioning', async () => {
    await apply(`${claim('classless', { className: '' })}---\n${storageClass('ghost', { provisioner: 'example.com/not-installed' })}---\n${claim('haunted', { className: 'ghost' })}`);
    await waitFor(async () => (await eventsOf('classless')).includes('FailedBinding'));
    expect(await eventsOf('classless')).toMatch(/Normal\s+FailedBinding\s+persistentvolume-controller\s+no persistent volumes available for this claim and no storage class is set/);
    await waitFor(async () => (await eventsOf('haunted')).includes('ExternalProvisioning'));
    // Causal, not a pause: a claim of an installed provisioner, made after, goes through the same provisioning delay
    // and gets its volume; had the ghost class's claim been provisioned, it would have been first.
    await apply(claim('haunted-control', { className: 'fast' }));
    await waitFor(async () => (await json(['get', 'pvc', 'haunted-control'])).status.phase === 'Bound');
    expect((await json(['get', 'pvc', 'haunted'])).status.phase).toBe('Pending');
    expect((await json(['get', 'pvc', 'haunted'])).metadata.annotations['volume.kubernetes.io/storage-provisioner']).toBe('example.com/not-installed');
  });
});

describe('static volumes', () => {
  it('binds the smallest volume that fits and leaves others Available; a mismatch stays Pending', async () => {
    await apply([staticVolume('static-small', { size: '1Gi' }), staticVolume('static-large', { size: '10Gi' }), staticVolume('static-rwx', { size: '2Gi', modes: ['ReadWriteMany'] })].join('---\n'));
    await waitFor(async () => (await json(['get', 'pv', 'static-large'])).status.phase === 'Available');
    await apply(claim('wants-2gi', { className: 'manual', size: '2Gi' }));
    await waitFor(async () => (await json(['get', 'pvc', 'wants-2gi'])).status.phase === 'Bound');
    // 10Gi RWO fits; the 2Gi one offers only RWX; 1Gi is too small.
    expect((await json(['get', 'pvc', 'wants-2gi'])).spec.volumeName).toBe('static-large');
    expect(await row('pv', 'static-large')).toEqual(['static-large', '10Gi', 'RWO', 'Retain', 'Bound', 'default/wants-2gi', 'manual', '<unset>', expect.stringMatching(/^\d+s$/)]);
    expect((await json(['get', 'pv', 'static-large'])).metadata.annotations['pv.kubernetes.io/bound-by-controller']).toBe('yes');
    expect(await row('pv', 'static-small')).toEqual(['static-small', '1Gi', 'RWO', 'Retain', 'Available', 'manual', '<unset>', expect.stringMatching(/^\d+s$/)]);

    await apply(claim('wants-rox', { className: 'manual', modes: ['ReadOnlyMany'] }));
    await waitFor(async () => (await eventsOf('wants-rox')).includes('ProvisioningFailed'));
    expect(await eventsOf('wants-rox')).toContain('storageclass.storage.k8s.io "manual" not found');
    expect((await json(['get', 'pvc', 'wants-rox'])).status.phase).toBe('Pending');
  });

  it('binds a claim to the volume it names in spec.volumeName', async () => {
    // Its own class, so that no other pending claim takes the volume first.
    await apply(staticVolume('named-volume', { size: '5Gi', className: 'reserved' }));
    await apply(claim('named', { className: 'reserved', volumeName: 'named-volume' }));
    await waitFor(async () => (await json(['get', 'pvc', 'named'])).status.phase === 'Bound');
    const bound = await json(['get', 'pvc', 'named']);
    expect(bound.status.capacity.storage).toBe('5Gi');
    expect(bound.metadata.annotations['pv.kubernetes.io/bound-by-controller']).toBeUndefined();
    expect((await json(['get', 'pv', 'named-volume'])).spec.claimRef.uid).toBe(bound.metadata.uid);
  });

  it('releases a Retain volume when its claim goes (CLAIM still shown) and frees it once the claimRef is removed', async () => {
    await ok(['delete', 'pvc', 'wants-2gi']);
    await waitFor(async () => (await json(['get', 'pv', 'static-large'])).status.phase === 'Released');
    expect(await row('pv', 'static-large')).toEqual(['static-large', '10Gi', 'RWO', 'Retain', 'Released', 'default/wants-2gi', 'manual', '<unset>', expect.stringMatching(/^\d+s$/)]);
    // A new claim of the same name does not get the old data back.
    // With it, a claim that fits the Available 1Gi volume: once the binder has bound that one, it has also been over
    // the 2Gi claim, which the Released volume must not take.
    await apply(`${claim('wants-2gi', { className: 'manual', size: '2Gi' })}---\n${claim('released-control', { className: 'manual', size: '1Gi' })}`);
    await waitFor(async () => (await json(['get', 'pvc', 'released-control'])).status.phase === 'Bound');
    expect((await json(['get', 'pvc', 'released-control'])).spec.volumeName).toBe('static-small');
    expect((await json(['get', 'pvc', 'wants-2gi'])).status.phase).toBe('Pending');
    expect((await json(['get', 'pv', 'static-large'])).status.phase).toBe('Released');
    await ok(['patch', 'pv', 'static-large', '--type=json', '-p', '[{"op":"remove","path":"/spec/claimRef"}]']);
    await waitFor(async () => (await json(['get', 'pvc', 'wants-2gi'])).status.phase === 'Bound');
    expect((await json(['get', 'pvc', 'wants-2gi'])).spec.volumeName).toBe('static-large');
  });

  it('fails to delete a static volume under the Delete policy, as no plugin can', async () => {
    await apply(`${staticVolume('doomed', { className: 'scratch', reclaim: 'Delete' })}---\n${claim('doomed-claim', { className: 'scratch' })}`);
    await waitFor(async () => (await json(['get', 'pvc', 'doomed-claim'])).status.phase === 'Bound');
    await ok(['delete', 'pvc', 'doomed-claim']);
    await waitFor(async () => (await json(['get', 'pv', 'doomed'])).status.phase === 'Failed');
    const message = 'error getting deleter volume plugin for volume "doomed": no deletable volume plugin matched';
    expect(await ok(['describe', 'pv', 'doomed'])).toMatch(new RegExp(`Message:\\s+${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(await eventsOf('doomed')).toMatch(/Warning\s+VolumeFailedDelete\s+persistentvolume-controller/);
  });
});

describe('expansion, deletion and protection of provisioned claims', () => {
  it('refuses to grow a claim whose class does not allow expansion, with the admission message', async () => {
    await apply(`${storageClass('rigid', { expand: false })}---\n${claim('rigid-data', { className: 'rigid' })}`);
    await waitFor(async () => (await json(['get', 'pvc', 'rigid-data'])).status.phase === 'Bound');
    const refused = await kubectl(['patch', 'pvc', 'rigid-data', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim()).toBe('Error from server (Forbidden): persistentvolumeclaims "rigid-data" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
    const shrink = await kubectl(['patch', 'pvc', 'rigid-data', '-p', '{"spec":{"resources":{"requests":{"storage":"500Mi"}}}}']);
    expect(shrink.stderr).toContain('The PersistentVolumeClaim "rigid-data" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than status.capacity');
    const modes = await kubectl(['patch', 'pvc', 'rigid-data', '-p', '{"spec":{"accessModes":["ReadWriteMany"]}}']);
    expect(modes.stderr).toContain('The PersistentVolumeClaim "rigid-data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
    const immutable = await kubectl(['patch', 'sc', 'rigid', '-p', '{"reclaimPolicy":"Retain"}']);
    expect(immutable.stderr).toContain('The StorageClass "rigid" is invalid: reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.');
  });

  it('grows it once the class allows expansion: the volume, then (on the node of a running pod) the claim capacity', async () => {
    await ok(['patch', 'storageclass', 'rigid', '-p', '{"allowVolumeExpansion":true}']);
    await ok(['patch', 'pvc', 'rigid-data', '-p', '{"spec":{"resources":{"requests":{"storage":"3Gi"}}}}']);
    const volumeName = (await json(['get', 'pvc', 'rigid-data'])).spec.volumeName;
    await waitFor(async () => (await json(['get', 'pvc', 'rigid-data'])).status.conditions?.some((condition: any) => condition.type === 'FileSystemResizePending'));
    const pending = await json(['get', 'pvc', 'rigid-data']);
    expect(pending.status.capacity.storage).toBe('1Gi');
    expect(pending.status.allocatedResources).toEqual({ storage: '3Gi' });
    expect(pending.status.conditions[0].message).toBe('Waiting for user to (re-)start a pod to finish file system resize of volume on node.');
    expect((await json(['get', 'pv', volumeName])).spec.capacity.storage).toBe('3Gi');
    expect(await eventsOf('rigid-data')).toContain(`External resizer is resizing volume ${volumeName}`);
    expect(await eventsOf('rigid-data')).toMatch(/FileSystemResizeRequired\s+external-resizer ebs\.csi\.aws\.com\s+Require file system resize of volume on node/);

    await apply(podUsing('rigid-pod', 'rigid-data'));
    await waitFor(async () => (await json(['get', 'pvc', 'rigid-data'])).status.capacity.storage === '3Gi');
    const node = (await json(['get', 'pod', 'rigid-pod'])).spec.nodeName;
    expect((await json(['get', 'pvc', 'rigid-data'])).status.conditions).toBeUndefined();
    expect(await eventsOf('rigid-data')).toContain(`MountVolume.NodeExpandVolume succeeded for volume "${volumeName}" ${node}`);
    expect((await row('pvc', 'rigid-data'))[3]).toBe('3Gi');
  });

  it('keeps a claim in use Terminating (pvc-protection), then deletes it and its volume under the Delete policy', async () => {
    const volumeName = (await json(['get', 'pvc', 'rigid-data'])).spec.volumeName;
    // A claim no pod uses, deleted with it: once pvc-protection has let that one go, it has judged this one too.
    await apply(claim('unused-claim', { className: '' }));
    await ok(['delete', 'pvc', 'rigid-data', 'unused-claim', '--wait=false']);
    expect((await row('pvc', 'rigid-data'))[1]).toBe('Terminating');
    await waitFor(async () => (await kubectl(['get', 'pvc', 'unused-claim'])).stderr.includes('NotFound'));
    expect((await kubectl(['get', 'pvc', 'rigid-data'])).code).toBe(0);
    expect((await row('pvc', 'rigid-data'))[1]).toBe('Terminating');
    await ok(['delete', 'pod', 'rigid-pod', '--grace-period=0', '--force']);
    await waitFor(async () => (await kubectl(['get', 'pvc', 'rigid-data'])).code !== 0);
    await waitFor(async () => (await kubectl(['get', 'pv', volumeName])).stderr.includes('NotFound'));
  });

  it('grows a hostPath volume of the default class without a file system step', async () => {
    const name = (await json(['get', 'pvc', 'waiting'])).spec.volumeName;
    await ok(['patch', 'pvc', 'waiting', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
    await waitFor(async () => (await json(['get', 'pvc', 'waiting'])).status.capacity.storage === '2Gi');
    expect((await json(['get', 'pv', name])).spec.capacity.storage).toBe('2Gi');
    expect(await eventsOf('waiting')).toMatch(/VolumeResizeSuccessful\s+external-resizer sim\.skyflo\.ai\/hostpath\s+Resize volume succeeded/);
  });
});

describe('StatefulSet volumeClaimTemplates', () => {
  const statefulSet = (size: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: postgres
        image: postgres:16
        env: [{name: POSTGRES_PASSWORD, value: example}]
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata: {name: data, labels: {tier: storage}}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: ${size}}}
`;

  it('creates one claim per pod, named <template>-<set>-<ordinal>, and mounts it', async () => {
    await apply(statefulSet('1Gi'));
    await waitFor(async () => (await json(['get', 'statefulset', 'db'])).status.readyReplicas === 2);
    const claims = (await json(['get', 'pvc', '-l', 'app=db'])).items;
    expect(claims.map((item: any) => [item.metadata.name, item.status.phase, item.metadata.labels])).toEqual([
      ['data-db-0', 'Bound', { app: 'db', tier: 'storage' }],
      ['data-db-1', 'Bound', { app: 'db', tier: 'storage' }],
    ]);
    expect(claims[0].metadata.ownerReferences).toBeUndefined();
    const pod = await json(['get', 'pod', 'db-0']);
    expect(pod.spec.volumes[0]).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } });
    expect(await eventsOf('db')).toMatch(/SuccessfulCreate\s+statefulset-controller\s+create Claim data-db-0 Pod db-0 in StatefulSet db success/);
    const template = (await json(['get', 'statefulset', 'db'])).spec.volumeClaimTemplates[0];
    expect(template).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  });

  it('refuses to change a volumeClaimTemplate, like the API server', async () => {
    const result = await kubectl(['apply', '-f', '-'], statefulSet('5Gi'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "The StatefulSet \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
  });

  it('keeps the claims when pods are recreated or the set scales down, and reuses them', async () => {
    const first = (await json(['get', 'pvc', 'data-db-1'])).metadata.uid;
    await ok(['scale', 'statefulset', 'db', '--replicas=1']);
    await waitFor(async () => (await kubectl(['get', 'pod', 'db-1'])).code !== 0);
    expect((await json(['get', 'pvc', 'data-db-1'])).status.phase).toBe('Bound');
    await ok(['scale', 'statefulset', 'db', '--replicas=2']);
    await waitFor(async () => (await json(['get', 'statefulset', 'db'])).status.readyReplicas === 2);
    expect((await json(['get', 'pvc', 'data-db-1'])).metadata.uid).toBe(first);
    expect((await json(['get', 'pod', 'db-1'])).spec.volumes[0].persistentVolumeClaim.claimName).toBe('data-db-1');
  });
});
