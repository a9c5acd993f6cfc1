import { isPlainObject } from '../util/json-values.ts';

/**
 * Merge keys of the built-in types' lists (the `patchMergeKey` struct tags in k8s.io/api), by field name.
 * Field names are unambiguous across the built-in kinds except `ports`, whose key depends on the item shape
 * (containerPort for containers, port for services).
 */
const mergeKeyByField: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  podConditions: 'type',
  webhooks: 'name', // Validating/MutatingWebhookConfiguration
};

/** Lists of scalars that merge as sets rather than being replaced. */
const mergedScalarLists = new Set(['finalizers']);

export function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  if (field === 'ports') {
    const sample = items.find(isPlainObject);
    if (!sample) return undefined;
    return 'containerPort' in sample ? 'containerPort' : 'port';
  }
  return mergeKeyByField[field];
}

export function isMergedScalarList(field: string): boolean {
  return mergedScalarLists.has(field);
}
