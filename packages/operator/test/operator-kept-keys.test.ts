/**
 * What a reinstall and a missing Secret look like to the user, on kube-sim with the real kubectl: the generated keys
 * outlive `kubectl delete sky` together with the data volume, a key that no longer matches the data is named in the
 * status with what to do, and a missing Postgres/Redis Secret or key is named in a condition instead of leaving the
 * SkyfloAI "Progressing" for ever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../src/reconcile/kept-keys.ts';
import { condition, eventually, startOperatorHarness, type OperatorHarness } from './support/operator-harness.ts';

let harness: OperatorHarness;

const skyfloAi = (name: string, namespace: string, spec = '{}') => `apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: ${spec}\n`;

async function waitForCondition(name: string, namespace: string, type: string, test: (condition: any) => boolean, what: string): Promise<any> {
  let last: any;
  try {
    return await eventually(async () => {
      last = await harness.tryGet('skyfloai', name, namespace);
      return last && last.status?.observedGeneration === last.metadata.generation && test(condition(last, type)) ? last : undefined;
    }, { what });
  } catch (error) {
    throw new Error(`${(error as Error).message}; status: ${JSON.stringify(last?.status)}`);
  }
}

const isReady = (name: string, namespace: string) => waitForCondition(name, namespace, 'Ready', (ready) => ready?.status === 'True', `${namespace}/${name} to be Ready`);

async function warnings(name: string, namespace: string): Promise<Array<{ reason: string; message: string }>> {
  const list = await harness.getJson(['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${name}`]);
  return list.items.filter((event: any) => event.type === 'Warning');
}

beforeAll(async () => {
  harness = await startOperatorHarness();
  await harness.startInProcess();
  await harness.kubectl(['create', 'namespace', 'keys']);
  await harness.kubectl(['create', 'namespace', 'refs']);
});

afterAll(async () => {
  await harness?.close();
});

describe('the generated keys stay with the data', () => {
  it('survive `kubectl delete sky`, are reused by a reinstall, and a key that no longer matches the data volume is named with what to do', async () => {
    await harness.apply(skyfloAi('sky', 'keys'));
    await isReady('sky', 'keys');
    const original = await harness.tryGet('secret', 'sky-secrets', 'keys');
    expect(original.metadata.ownerReferences ?? []).toEqual([]);
    const claim = await harness.tryGet('pvc', 'sky-data', 'keys');
    // the volume records which key its database belongs to: a fingerprint, never the key
    expect(claim.metadata.annotations['skyflo.ai/encryption-key-sha256']).toBe(keyFingerprint(original.data['encryption-key']));
    expect(JSON.stringify(claim)).not.toContain(original.data['encryption-key']);

    // uninstall: the workloads go with the SkyfloAI, the data and its keys stay
    await harness.kubectl(['delete', 'sky', 'sky', '-n', 'keys']);
    await eventually(async () => (await harness.tryGet('deployment', 'sky-engine', 'keys')) === undefined, { what: 'the engine to be garbage-collected' });
    const kept = await harness.tryGet('secret', 'sky-secrets', 'keys');
    expect(kept.data).toEqual(original.data);
    expect(await harness.tryGet('pvc', 'sky-data', 'keys')).toBeDefined();

    // reinstall under the same name: the same keys, so the engine can open its database
    await harness.apply(skyfloAi('sky', 'keys'));
    const reinstalled = await isReady('sky', 'keys');
    expect(condition(reinstalled, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect((await harness.tryGet('secret', 'sky-secrets', 'keys')).data).toEqual(original.data);

    // the keys are lost anyway (deleted by hand): the operator generates new ones, and says they do not fit the data
    await harness.kubectl(['delete', 'secret', 'sky-secrets', '-n', 'keys']);
    const diverged = await waitForCondition('sky', 'keys', 'Degraded', (degraded) => degraded?.status === 'True', 'the Degraded condition');
    const degraded = condition(diverged, 'Degraded');
    expect(diverged.status.phase).toBe('Degraded');
    expect(degraded.reason).toBe('EncryptionKeyMismatch');
    expect(degraded.message).toContain('the data volume sky-data was first used with another encryption key');
    expect(degraded.message).toContain('put the original sky-secrets back');
    expect(degraded.message).toContain('kubectl delete pvc sky-data -n keys');
    expect(degraded.message).not.toContain(original.data['encryption-key']);
    expect((await warnings('sky', 'keys')).some((event) => event.reason === 'EncryptionKeyMismatch')).toBe(true);
    expect(await harness.kubectl(['get', 'sky', 'sky', '-n', 'keys'])).toMatch(/^sky\s+Degraded\s/m);

    // restoring the backup of the Secret clears it
    await harness.kubectl(['patch', 'secret', 'sky-secrets', '-n', 'keys', '--type=merge', '-p', JSON.stringify({ data: original.data })]);
    const restored = await waitForCondition('sky', 'keys', 'Degraded', (condition) => condition?.status === 'False', 'the Degraded condition to clear');
    expect(restored.status.phase).toBe('Ready');
  });

  it('takes over a Secret an older operator made owned by the SkyfloAI, so deleting the SkyfloAI no longer deletes it', async () => {
    await harness.apply(skyfloAi('old', 'keys'));
    const sky = await isReady('old', 'keys');
    // what the previous operator version wrote: the Secret owned by the SkyfloAI
    const ownerReference = { apiVersion: 'skyflo.ai/v1', kind: 'SkyfloAI', name: 'old', uid: sky.metadata.uid, controller: true, blockOwnerDeletion: true };
    await harness.kubectl(['patch', 'secret', 'old-secrets', '-n', 'keys', '--type=merge', '-p', JSON.stringify({ metadata: { ownerReferences: [ownerReference] } })]);
    await eventually(async () => ((await harness.tryGet('secret', 'old-secrets', 'keys')).metadata.ownerReferences ?? []).length === 0, { what: 'the owner reference to be removed' });
    await harness.kubectl(['delete', 'sky', 'old', '-n', 'keys']);
    await eventually(async () => (await harness.tryGet('deployment', 'old-engine', 'keys')) === undefined, { what: 'the engine to be garbage-collected' });
    expect(await harness.tryGet('secret', 'old-secrets', 'keys')).toBeDefined();
  });
});

describe('a referenced Secret that is missing', () => {
  it('is named, with its key and the field that refers to it, in a SecretMissing condition until it exists', async () => {
    await harness.kubectl(['create', 'secret', 'generic', 'redis', '-n', 'refs', '--from-literal=uri=redis://redis:6379']);
    const spec = { engine: { replicas: 3 }, storage: { type: 'postgres', postgres: { urlSecretRef: { name: 'pg' } } }, redis: { urlSecretRef: { name: 'redis' } } };
    await harness.apply(skyfloAi('scaled', 'refs', JSON.stringify(spec)));
    const missing = await waitForCondition('scaled', 'refs', 'Degraded', (degraded) => degraded?.reason === 'SecretMissing', 'the SecretMissing condition');
    expect(missing.status.phase).toBe('Degraded');
    const message = condition(missing, 'Degraded').message;
    expect(message).toContain('Secret refs/pg (spec.storage.postgres.urlSecretRef) does not exist');
    expect(message).toContain("kubectl create secret generic pg -n refs --from-literal=url='postgres://user:password@host:5432/skyflo'");
    expect(message).toContain('Secret refs/redis (spec.redis.urlSecretRef) has no key "url" (its keys: uri)');
    expect(condition(missing, 'Progressing')).toMatchObject({ status: 'False', reason: 'SecretMissing' });
    expect(condition(missing, 'Ready')).toMatchObject({ status: 'False', reason: 'SecretMissing' });
    expect((await warnings('scaled', 'refs')).some((event) => event.reason === 'SecretMissing' && event.message.includes('refs/pg'))).toBe(true);
    // the objects were applied all the same, so the pods start as soon as the Secrets are there
    expect(await harness.tryGet('deployment', 'scaled-engine', 'refs')).toBeDefined();

    await harness.kubectl(['create', 'secret', 'generic', 'pg', '-n', 'refs', '--from-literal=url=postgres://skyflo@db:5432/skyflo']);
    await harness.kubectl(['patch', 'secret', 'redis', '-n', 'refs', '--type=merge', '-p', JSON.stringify({ stringData: { url: 'redis://redis:6379' } })]);
    const fixed = await isReady('scaled', 'refs');
    expect(condition(fixed, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(fixed.status.engine).toEqual({ phase: 'Running', readyReplicas: 3, desiredReplicas: 3 });
  });
});
