/**
 * The generated keys (`<name>-secrets`: JWT secret, encryption key, MCP token) live as long as the data they protect,
 * not as long as the SkyfloAI: the engine refuses a database first used with another encryption key, so a Secret
 * garbage-collected with the SkyfloAI while the data volume stays would break the next install of the same name.
 * So the Secret has no owner reference (one left by an older operator is removed), and the data volume records a
 * fingerprint of the key its database was first used with, so a later divergence is named in the status instead of
 * showing only as an engine that will not start.
 */
import { createHash } from 'node:crypto';
import { dataKeyAnnotation, generatedSecretKeys } from '../desired/desired-state.ts';
import { instanceNames, skyfloAiKind, type SkyfloAiObject } from '../desired/names.ts';
import type { KubeObject, KubeRest } from '../kube/kube-rest.ts';

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

/** sha256 of the key as stored, shortened: enough to tell two keys apart, useless for recovering either. */
export function keyFingerprint(base64Value: string): string {
  return createHash('sha256').update(Buffer.from(base64Value, 'base64')).digest('hex').slice(0, 16);
}

/**
 * Creates the generated Secret when missing (from `fresh`), releases it from an owner reference to the SkyfloAI, and
 * returns the fingerprint of its encryption key (undefined when that key is missing; the referenced-Secret check
 * reports it). `created` lists what was written, for the reconcile's actions.
 */
export async function ensureKeptSecret(kube: KubeRest, owner: SkyfloAiObject, desired: KubeObject): Promise<{ fingerprint?: string; actions: string[] }> {
  const actions: string[] = [];
  let secret = await kube.get<SecretObject>({ apiVersion: 'v1', kind: 'Secret', name: desired.metadata.name, namespace: desired.metadata.namespace });
  if (!secret) {
    secret = await kube.create<SecretObject>(desired);
    actions.push(`created Secret/${desired.metadata.name}`);
  } else if (secret.metadata.ownerReferences?.some((reference) => reference.kind === skyfloAiKind)) {
    const ownerReferences = secret.metadata.ownerReferences.filter((reference) => reference.kind !== skyfloAiKind);
    secret = await kube.replace<SecretObject>({ ...secret, apiVersion: 'v1', kind: 'Secret', metadata: { ...secret.metadata, ownerReferences } });
    actions.push(`kept Secret/${desired.metadata.name} (removed its owner reference to ${owner.metadata.name})`);
  }
  const key = secret.data?.[generatedSecretKeys.encryption];
  return { fingerprint: key ? keyFingerprint(key) : undefined, actions };
}

/**
 * Compares the data volume's recorded fingerprint with the Secret's. A volume without one (made by an older
 * operator) gets the current one: the best knowledge there is. Returns the problem to report, or undefined.
 */
export async function checkDataVolumeKey(kube: KubeRest, owner: SkyfloAiObject, claim: KubeObject | undefined, fingerprint: string | undefined): Promise<string | undefined> {
  if (!claim || !fingerprint) return undefined;
  const recorded = claim.metadata.annotations?.[dataKeyAnnotation];
  if (!recorded) {
    await kube.replace({ ...claim, apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { ...claim.metadata, annotations: { ...claim.metadata.annotations, [dataKeyAnnotation]: fingerprint } } });
    return undefined;
  }
  if (recorded === fingerprint) return undefined;
  const names = instanceNames(owner);
  const namespace = owner.metadata.namespace ?? 'default';
  return (
    `the data volume ${names.data} was first used with another encryption key (fingerprint ${recorded}) than Secret ${names.secrets} holds ` +
    `(key ${generatedSecretKeys.encryption}, fingerprint ${fingerprint}), so the engine will refuse to start: put the original ` +
    `${names.secrets} back (kubectl apply -n ${namespace} the Secret from your backup), or, to start over with an empty ` +
    `database, delete the volume (kubectl delete pvc ${names.data} -n ${namespace}; its conversations are lost)`
  );
}
