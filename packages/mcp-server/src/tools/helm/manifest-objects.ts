/**
 * The objects a Helm call writes (or deletes), read from the exact manifest text its preview rendered: kind,
 * apiVersion, name and metadata.namespace of every document (hooks included, `List` items expanded). The engine judges
 * the caller's scope on each of them (issue 31: a chart installed into `staging` may template a ConfigMap into `prod`
 * or a ClusterRoleBinding), so they come from the same text the preview's manifest_digest covers: an approval bound to
 * the digest is bound to these objects too.
 *
 * A namespaced object without metadata.namespace lands in the release's namespace; which kinds are namespaced is the
 * engine's call (its table of built-in kinds and the cluster's CRDs), so the namespace is left out here, not guessed.
 * The ref's shape is part of preview_tool_call's result, so it is written with that result (@skyflo/protocol).
 */
import { parseAllDocuments } from 'yaml';
import type { ManifestObjectRef } from '@skyflo/protocol';

const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

export function manifestObjectsOf(manifest: string): ManifestObjectRef[] {
  const objects: ManifestObjectRef[] = [];
  for (const document of parseAllDocuments(manifest)) {
    if (document.errors.length > 0) {
      objects.push({}); // unreadable: reported as an object nobody can place, so a scoped caller is refused
      continue;
    }
    const value: unknown = document.toJSON();
    if (value === null || value === undefined) continue; // an empty document (comments only)
    const items = isObject(value) && typeof value['kind'] === 'string' && value['kind'].endsWith('List') && Array.isArray(value['items']) ? value['items'] : [value];
    for (const item of items) objects.push(refOf(item));
  }
  return objects;
}

function refOf(item: unknown): ManifestObjectRef {
  if (!isObject(item)) return {};
  const metadata = isObject(item['metadata']) ? item['metadata'] : {};
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  const kind = text(item['kind']);
  const apiVersion = text(item['apiVersion']);
  const name = text(metadata['name']);
  const namespace = text(metadata['namespace']);
  return { ...(kind ? { kind } : {}), ...(apiVersion ? { apiVersion } : {}), ...(name ? { name } : {}), ...(namespace ? { namespace } : {}) };
}

/**
 * The objects an upgrade or rollback touches: every object of the new manifest, plus those of the live release that
 * the new one no longer has (helm deletes them, which is as much a write to their namespace as creating them).
 */
export function touchedObjects(live: string, proposed: string): ManifestObjectRef[] {
  const written = manifestObjectsOf(proposed);
  const key = (object: ManifestObjectRef) => `${object.kind ?? ''}/${object.namespace ?? ''}/${object.name ?? ''}`;
  const kept = new Set(written.map(key));
  const removed = live.trim() ? manifestObjectsOf(live).filter((object) => !kept.has(key(object))) : [];
  return [...written, ...removed.map((object) => ({ ...object, removed: true }))];
}
