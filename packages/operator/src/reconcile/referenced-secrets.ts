/**
 * Secrets the pods read keys from: the user's (Postgres URL, Redis URL, model API key) and the generated one. A
 * missing Secret or key otherwise shows only as pods stuck in CreateContainerConfigError and a SkyfloAI that stays
 * "Progressing" for ever; this names the Secret, the key and the field that refers to it, and what to run.
 */
import { authSecretReferences } from '../desired/auth-env.ts';
import { generatedSecretKeys } from '../desired/desired-state.ts';
import { instanceNames, type SkyfloAiObject } from '../desired/names.ts';
import type { KubeObject, KubeRest } from '../kube/kube-rest.ts';
import type { SkyfloAiSpec } from '../spec/skyfloai-spec.ts';

interface SecretReference {
  /** the spec field that names it, e.g. spec.storage.postgres.urlSecretRef */
  field: string;
  name: string;
  key: string;
  /** what the value looks like, for the suggested command */
  example: string;
}

export function references(owner: SkyfloAiObject, spec: SkyfloAiSpec): SecretReference[] {
  const list: SecretReference[] = [];
  if (spec.storage.type === 'postgres' && spec.storage.postgres) list.push({ field: 'spec.storage.postgres.urlSecretRef', ...spec.storage.postgres.urlSecretRef, example: 'postgres://user:password@host:5432/skyflo' });
  if (spec.redis) list.push({ field: 'spec.redis.urlSecretRef', ...spec.redis.urlSecretRef, example: 'redis://host:6379' });
  if (spec.llm.apiKeySecretRef) list.push({ field: 'spec.llm.apiKeySecretRef', ...spec.llm.apiKeySecretRef, example: '<the provider API key>' });
  list.push(...authSecretReferences(spec));
  const generated = instanceNames(owner).secrets;
  for (const key of Object.values(generatedSecretKeys)) list.push({ field: `the operator-generated Secret`, name: generated, key, example: '' });
  return list;
}

/** One sentence per missing Secret or key; empty when every referenced key exists. */
export async function missingSecretKeys(kube: KubeRest, owner: SkyfloAiObject, spec: SkyfloAiSpec): Promise<string[]> {
  const namespace = owner.metadata.namespace ?? 'default';
  const secrets = new Map<string, (KubeObject & { data?: Record<string, string> }) | undefined>();
  const problems: string[] = [];
  for (const reference of references(owner, spec)) {
    if (!secrets.has(reference.name)) secrets.set(reference.name, await kube.get({ apiVersion: 'v1', kind: 'Secret', name: reference.name, namespace }));
    const secret = secrets.get(reference.name);
    const create = reference.example ? `: kubectl create secret generic ${reference.name} -n ${namespace} --from-literal=${reference.key}='${reference.example}'` : '';
    if (!secret) {
      problems.push(`Secret ${namespace}/${reference.name} (${reference.field}) does not exist${create ? `; create it${create}` : ''}`);
    } else if (secret.data?.[reference.key] === undefined) {
      const keys = Object.keys(secret.data ?? {});
      const fix = reference.example ? `add it or name the right key in ${reference.field}.key` : 'put it back from your backup of this Secret';
      problems.push(`Secret ${namespace}/${reference.name} (${reference.field}) has no key "${reference.key}" (its keys: ${keys.length ? keys.join(', ') : 'none'}); ${fix}`);
    }
  }
  return problems;
}
