import { deepEqual, isPlainObject, type JsonObject } from '../util/json-values.ts';
import { mergeKeyFor } from './list-merge-keys.ts';

/** A FieldsV1 set: `f:<field>` for map keys, `k:{"name":"x"}` for keyed list items, `.` for the node itself. */
export type FieldsTree = { [key: string]: FieldsTree };

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldsTree;
  subresource?: string;
}

/** The set of fields present in a (partial) object, in FieldsV1 form. */
export function fieldsOf(value: unknown, field = ''): FieldsTree {
  const tree: FieldsTree = {};
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      if (field === '' && (key === 'apiVersion' || key === 'kind')) continue;
      tree[`f:${key}`] = isPlainObject(item) || Array.isArray(item) ? fieldsOf(item, key) : {};
    }
  } else if (Array.isArray(value)) {
    const key = mergeKeyFor(field, value);
    if (!key || !value.every(isPlainObject)) return {};
    for (const item of value as JsonObject[]) {
      tree[`k:${JSON.stringify({ [key]: item[key] })}`] = { '.': {}, ...fieldsOf(item, '') };
    }
  }
  return tree;
}

function isOwnedByOthers(key: string, others: FieldsTree[]): boolean {
  return others.some((tree) => key in tree);
}

function childTrees(key: string, others: FieldsTree[]): FieldsTree[] {
  return others.filter((tree) => key in tree).map((tree) => tree[key]);
}

/**
 * Removes fields a manager applied before but no longer applies, unless another manager also owns them —
 * how server-side apply lets `kubectl apply --server-side` drop a label by leaving it out.
 */
export function removeUnappliedFields(live: unknown, previous: FieldsTree, next: FieldsTree, others: FieldsTree[]): void {
  for (const key of Object.keys(previous)) {
    if (key === '.') continue;
    const owned = isOwnedByOthers(key, others);
    if (key.startsWith('f:') && isPlainObject(live)) {
      const field = key.slice(2);
      if (!(key in next)) {
        if (!owned) delete live[field];
      } else if (live[field] !== undefined) removeUnappliedFields(live[field], previous[key], next[key], childTrees(key, others));
    } else if (key.startsWith('k:') && Array.isArray(live)) {
      const selector = JSON.parse(key.slice(2)) as JsonObject;
      const index = live.findIndex((item) => isPlainObject(item) && Object.entries(selector).every(([name, value]) => deepEqual(item[name], value)));
      if (index < 0) continue;
      if (!(key in next)) {
        if (!owned) live.splice(index, 1);
      } else removeUnappliedFields(live[index], previous[key], next[key], childTrees(key, others));
    }
  }
}

/** Replaces the manager's entry (same manager, operation and subresource) or adds one. */
export function recordManager(existing: unknown[] | undefined, entry: ManagedFieldsEntry): ManagedFieldsEntry[] {
  const entries = (Array.isArray(existing) ? existing : []).filter(isPlainObject) as ManagedFieldsEntry[];
  const others = entries.filter((candidate) => !(candidate.manager === entry.manager && candidate.operation === entry.operation && (candidate.subresource ?? '') === (entry.subresource ?? '')));
  return [...others, entry];
}

/** The manager name the API server derives from a User-Agent when no fieldManager is given. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const name = (userAgent ?? 'unknown').split('/')[0].trim();
  return name || 'unknown';
}
