/**
 * Pruning of unknown fields in custom resources, as the real apiextensions-apiserver does for every v1 CRD (its
 * schemas are structural): a field the schema does not declare is dropped when the object is decoded — on create,
 * update, patch, apply and the status subresource — unless its node says `x-kubernetes-preserve-unknown-fields: true`
 * (or `additionalProperties` allows it). `apiVersion`, `kind` and `metadata` are kept at the root and in an embedded
 * resource. Without this, a client that writes a field its CRD lacks works against kube-sim and silently loses it on
 * a real cluster (a signed object whose field is pruned no longer verifies).
 */
import type { KubeObject } from '../cluster-types.ts';
import { isPlainObject } from '../util/json-values.ts';
import { crdVersion } from './crd-resources.ts';

const objectFields = new Set(['apiVersion', 'kind', 'metadata']);

function prune(schema: unknown, value: unknown, keepObjectFields: boolean, path: string, pruned: string[]): void {
  if (!isPlainObject(schema)) return;
  if (Array.isArray(value)) {
    const items = schema.items;
    value.forEach((item, index) => prune(items, item, isPlainObject(items) && items['x-kubernetes-embedded-resource'] === true, `${path}[${index}]`, pruned));
    return;
  }
  if (!isPlainObject(value)) return;
  const properties = isPlainObject(schema.properties) ? schema.properties : {};
  const additional = schema.additionalProperties;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(value)) {
    if (keepObjectFields && objectFields.has(key)) continue;
    const declared = properties[key];
    const at = path ? `${path}.${key}` : key;
    if (isPlainObject(declared)) prune(declared, value[key], declared['x-kubernetes-embedded-resource'] === true, at, pruned);
    else if (isPlainObject(additional)) prune(additional, value[key], additional['x-kubernetes-embedded-resource'] === true, at, pruned);
    else if (!(preserve || additional === true)) {
      delete value[key];
      pruned.push(at);
    }
  }
}

/**
 * Drops, in place, what `crd`'s schema at `version` does not declare in `object` (nothing when it has no schema);
 * answers the dropped fields' paths (`spec.foo`, `status.items[0].bar`), which field validation reports.
 */
export function pruneCustomResource(crd: KubeObject, version: string, object: KubeObject): string[] {
  const schema = crdVersion(crd, version)?.schema?.openAPIV3Schema;
  const pruned: string[] = [];
  if (isPlainObject(schema)) prune(schema, object, true, '', pruned);
  return pruned;
}
