/**
 * Incident: a Postgres StatefulSet keeps its data in an emptyDir, so every pod restart starts from an empty
 * database (initdb runs again, rows are gone). Moving the data to a PersistentVolumeClaim
 * (k8s_apply for the claim, k8s_patch for the volume) keeps it across pod deletion and even across
 * deleting and re-creating the StatefulSet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const statefulSet = (volume: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: orders-db, namespace: default}
spec:
  serviceName: orders-db
  replicas: 1
  selector: {matchLabels: {app: orders-db}}
  template:
    metadata: {labels: {app: orders-db}}
    spec:
      containers:
      - name: postgres
        image: "postgres:16.6"
        env: [{name: POSTGRES_PASSWORD, value: example}]
        ports: [{name: postgres, containerPort: 5432}]
        readinessProbe: {exec: {command: [pg_isready, -U, postgres]}, periodSeconds: 2}
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
      volumes:
      - name: data
        ${volume}
`;

const claim = 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: orders-db-data, namespace: default}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n';

describe('incident: StatefulSet loses its data on restart', () => {
  let incident: IncidentHarness;
  const readyPod = async () => {
    await waitFor(async () => {
      const pod = JSON.parse((await incident.kubectl(['get', 'pod', 'orders-db-0', '-o', 'json'])).stdout || '{}');
      return !pod.metadata?.deletionTimestamp && pod.status?.conditions?.some((condition: any) => condition.type === 'Ready' && condition.status === 'True') && pod;
    }, 30_000);
  };
  const writeOrder = () => incident.exec('orders-db-0', ['sh', '-c', 'echo "order-42,paid" >> /var/lib/postgresql/data/orders.csv']);
  const restartPod = async () => {
    const uid = JSON.parse(await incident.ok(['get', 'pod', 'orders-db-0', '-o', 'json'])).metadata.uid;
    await incident.fix('k8s_delete', { name: 'orders-db-0', resource_type: 'pod' });
    await waitFor(async () => JSON.parse((await incident.kubectl(['get', 'pod', 'orders-db-0', '-o', 'json'])).stdout || '{}').metadata?.uid !== uid);
    await readyPod();
  };

  beforeAll(async () => {
    incident = await startIncident(statefulSet('emptyDir: {}'));
    await readyPod();
  });
  afterAll(() => incident?.close());

  it('shows the data gone after a pod restart: initdb runs again and the file is missing', async () => {
    expect(await incident.ok(['logs', 'orders-db-0'])).toContain('PostgreSQL init process complete; ready for start up.');
    expect((await writeOrder()).code).toBe(0);
    await restartPod();
    const logs = await incident.ok(['logs', 'orders-db-0']);
    expect(logs).toContain('PostgreSQL init process complete; ready for start up.');
    expect(logs).not.toContain('Skipping initialization');
    const lost = await incident.exec('orders-db-0', ['cat', '/var/lib/postgresql/data/orders.csv']);
    expect(lost).toMatchObject({ code: 1, stderr: expect.stringContaining('cat: /var/lib/postgresql/data/orders.csv: No such file or directory') });
  });

  it('is fixed by a PersistentVolumeClaim (k8s_apply, k8s_patch): data survives pod deletion and StatefulSet re-creation', async () => {
    await incident.fix('k8s_apply', { content: claim });
    // A JSON patch replaces the volume: merging would keep emptyDir next to the claim.
    await incident.fix('k8s_patch', { name: 'orders-db', resource_type: 'statefulset', patch_type: 'json', patch: '[{"op":"replace","path":"/spec/template/spec/volumes/0","value":{"name":"data","persistentVolumeClaim":{"claimName":"orders-db-data"}}}]' });
    await waitFor(async () => JSON.parse(await incident.ok(['get', 'pod', 'orders-db-0', '-o', 'json'])).spec.volumes?.[0]?.persistentVolumeClaim?.claimName === 'orders-db-data', 30_000);
    await readyPod();
    expect((await writeOrder()).code).toBe(0);

    await restartPod();

    expect(await incident.ok(['logs', 'orders-db-0'])).toContain('PostgreSQL Database directory appears to contain a database; Skipping initialization');
    expect((await incident.exec('orders-db-0', ['cat', '/var/lib/postgresql/data/orders.csv'])).stdout).toBe('order-42,paid\n');

    await incident.fix('k8s_delete', { name: 'orders-db', resource_type: 'statefulset' });
    await waitFor(async () => (await incident.kubectl(['get', 'pod', 'orders-db-0'])).code !== 0, 30_000);
    await incident.fix('k8s_apply', { content: statefulSet('persistentVolumeClaim: {claimName: orders-db-data}') });
    await readyPod();
    expect(await incident.exec('orders-db-0', ['cat', '/var/lib/postgresql/data/orders.csv'])).toMatchObject({ code: 0, stdout: 'order-42,paid\n' });
    expect(await incident.exec('orders-db-0', ['cat', '/var/lib/postgresql/data/PG_VERSION'])).toMatchObject({ code: 0, stdout: '16\n' });
  });
});
