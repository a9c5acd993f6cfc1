/**
 * Which SkyfloAIs read which user Secrets, so an edit to one (a rotated OIDC client secret, a new PagerDuty token)
 * reconciles exactly those SkyfloAIs at once, and the new fingerprint rolls their pods (reconcile/secret-rollout.ts),
 * rather than waiting for the periodic resync.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { SkyfloAiObject } from '../desired/names.ts';
import { referencedSecretNames } from '../reconcile/secret-rollout.ts';
import { parseSkyfloAiSpec } from '../spec/skyfloai-spec.ts';

export interface SecretIndex {
  /** record (or, for a deleted one, forget) the Secrets a SkyfloAI refers to */
  track(skyfloAi: KubernetesObject, deleted: boolean): void;
  /** the SkyfloAI keys ("namespace/name") that read this Secret */
  readersOf(secret: KubernetesObject): string[];
}

export function createSecretIndex(): SecretIndex {
  const byOwner = new Map<string, { namespace: string; names: Set<string> }>();
  return {
    track(object, deleted) {
      const namespace = object.metadata?.namespace ?? 'default';
      const key = `${namespace}/${object.metadata?.name}`;
      const { spec } = parseSkyfloAiSpec((object as { spec?: unknown }).spec);
      if (deleted || !spec) byOwner.delete(key);
      else byOwner.set(key, { namespace, names: new Set(referencedSecretNames(object as SkyfloAiObject, spec)) });
    },
    readersOf(secret) {
      const namespace = secret.metadata?.namespace;
      const name = secret.metadata?.name ?? '';
      return [...byOwner].filter(([, entry]) => entry.namespace === namespace && entry.names.has(name)).map(([key]) => key);
    },
  };
}
