/**
 * A rotated Secret rolls the pods that read it. Pods take a secretKeyRef's value only when they start, so the engine's
 * pod template carries a fingerprint of every user Secret key it reads (OIDC client secret, PagerDuty secrets, model API
 * key, Postgres and Redis URLs): a new value changes the template and the Deployment rolls. Only a SHA-256 over the
 * values is written, never a value. The operator-generated Secret is left out: it never changes under running pods.
 */
import { createHash } from 'node:crypto';
import type { DesiredState } from '../desired/desired-state.ts';
import { instanceNames, type SkyfloAiObject } from '../desired/names.ts';
import type { KubeObject, KubeRest } from '../kube/kube-rest.ts';
import type { SkyfloAiSpec } from '../spec/skyfloai-spec.ts';
import { references } from './referenced-secrets.ts';

export const secretsHashAnnotation = 'skyflo.ai/referenced-secrets-sha256';

/** The user Secrets (by name) a SkyfloAI's pods read: what the operator watches to roll the pods on a change. */
export function referencedSecretNames(owner: SkyfloAiObject, spec: SkyfloAiSpec): string[] {
  const generated = instanceNames(owner).secrets;
  return [...new Set(references(owner, spec).map((reference) => reference.name).filter((name) => name !== generated))];
}

/** SHA-256 over the referenced keys' current values (a missing Secret or key counts as absent); undefined when none are referenced. */
export async function referencedSecretsHash(kube: KubeRest, owner: SkyfloAiObject, spec: SkyfloAiSpec): Promise<string | undefined> {
  const generated = instanceNames(owner).secrets;
  const used = references(owner, spec).filter((reference) => reference.name !== generated);
  if (used.length === 0) return undefined;
  const namespace = owner.metadata.namespace ?? 'default';
  const secrets = new Map<string, (KubeObject & { data?: Record<string, string> }) | undefined>();
  const hash = createHash('sha256');
  for (const reference of [...used].sort((a, b) => `${a.name}/${a.key}`.localeCompare(`${b.name}/${b.key}`))) {
    if (!secrets.has(reference.name)) secrets.set(reference.name, await kube.get({ apiVersion: 'v1', kind: 'Secret', name: reference.name, namespace }));
    hash.update(`${reference.name}\0${reference.key}\0${secrets.get(reference.name)?.data?.[reference.key] ?? '<absent>'}\0`);
  }
  return hash.digest('hex');
}

/** Puts the fingerprint on the engine Deployment's pod template (the only pods that read user Secrets). */
export async function annotateReferencedSecrets(kube: KubeRest, owner: SkyfloAiObject, spec: SkyfloAiSpec, desired: DesiredState): Promise<void> {
  const fingerprint = await referencedSecretsHash(kube, owner, spec);
  if (!fingerprint) return;
  const engine = desired.objects.find(({ object }) => object.kind === 'Deployment' && object.metadata.name === instanceNames(owner).engine)?.object;
  const template = (engine?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)?.template;
  if (!template) return;
  template.metadata = { ...template.metadata, annotations: { ...template.metadata?.annotations, [secretsHashAnnotation]: fingerprint } };
}
