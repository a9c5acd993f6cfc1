/**
 * Incident: a claim of the default (WaitForFirstConsumer) class stays Pending; its only consumer cannot be
 * scheduled because of a wrong nodeSelector. The claim waits for the pod, not the other way round. Fix: correct
 * the nodeSelector (k8s_patch); the pod is scheduled, and only then is the volume provisioned, on that pod's node.
 */
import { expect, it } from 'vitest';
import { waitFor, incidentClusterForThisFile } from './support/incident-cluster.ts';

const cluster = incidentClusterForThisFile();

const manifest = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: cache}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 2Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache}
spec:
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      nodeSelector: {disktype: ssd}
      containers:
      - name: redis
        image: redis:7
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: cache}
`;

it('keeps the claim waiting for its unschedulable pod, and binds it on the pod\'s node once the pod is placed', async () => {
  await cluster.apply(manifest);
  const pod = (await cluster.json(['get', 'pods', '-l', 'app=cache'])).items[0].metadata.name;
  await waitFor(async () => (await cluster.events('cache')).includes('WaitForPodScheduled'));
  expect(await cluster.events('cache')).toMatch(new RegExp(`Normal\\s+WaitForPodScheduled\\s+persistentvolume-controller\\s+waiting for pod ${pod} to be scheduled`));
  expect((await cluster.ok(['get', 'pvc', 'cache', '--no-headers'])).trim()).toMatch(/^cache\s+Pending\s+standard\s+<unset>/);
  await waitFor(async () => (await cluster.events(pod)).includes('FailedScheduling'));
  expect(await cluster.ok(['describe', 'pod', pod])).toContain("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
  expect(await cluster.ok(['get', 'pv', '--no-headers'])).toBe('');

  await cluster.fix('k8s_patch', { resource_type: 'deployment', name: 'cache', patch: '{"spec":{"template":{"spec":{"nodeSelector":{"disktype":null}}}}}' });

  await waitFor(async () => (await cluster.json(['get', 'pvc', 'cache'])).status.phase === 'Bound');
  const running = await waitFor(async () => (await cluster.json(['get', 'pods', '-l', 'app=cache', '--field-selector', 'status.phase=Running'])).items[0]);
  const claim = await cluster.json(['get', 'pvc', 'cache']);
  expect(claim.metadata.annotations['volume.kubernetes.io/selected-node']).toBe(running.spec.nodeName);
  const volume = await cluster.json(['get', 'pv', claim.spec.volumeName]);
  expect(volume.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).toEqual([running.spec.nodeName]);
  expect(await cluster.ok(['describe', 'pvc', 'cache'])).toMatch(new RegExp(`Used By:\\s+${running.metadata.name}`));
});
