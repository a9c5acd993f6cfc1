import { clone, deepEqual, isPlainObject, type JsonObject } from '../util/json-values.ts';
import { isMergedScalarList, mergeKeyFor } from './list-merge-keys.ts';

/** Removes `$patch`, `$retainKeys`, `$setElementOrder/…` and `$deleteFromPrimitiveList/…` directives. */
export function stripDirectives(value: unknown): any {
  if (Array.isArray(value)) return value.filter((item) => !(isPlainObject(item) && item.$patch === 'delete')).map(stripDirectives);
  if (!isPlainObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$')) continue;
    result[key] = stripDirectives(item);
  }
  return result;
}

function mergeList(field: string, original: unknown, patch: unknown[]): unknown[] {
  const replace = patch.some((item) => isPlainObject(item) && item.$patch === 'replace' && Object.keys(item).length === 1);
  const items = patch.filter((item) => !(isPlainObject(item) && item.$patch === 'replace' && Object.keys(item).length === 1));
  if (replace || !Array.isArray(original)) return stripDirectives(items);
  if (isMergedScalarList(field)) {
    const result = [...original];
    for (const item of items) if (!result.some((existing) => deepEqual(existing, item))) result.push(item);
    return result;
  }
  const key = mergeKeyFor(field, [...items, ...original]);
  if (!key) return stripDirectives(items);
  const result: unknown[] = clone(original);
  for (const item of items) {
    if (!isPlainObject(item)) continue;
    const index = result.findIndex((existing) => isPlainObject(existing) && deepEqual(existing[key], item[key]));
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = mergeObject(result[index], item);
    else result.push(stripDirectives(item));
  }
  return result;
}

function mergeObject(original: unknown, patch: JsonObject): any {
  if (patch.$patch === 'replace') return stripDirectives(patch);
  const result: JsonObject = isPlainObject(original) ? { ...original } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(result[field]) && Array.isArray(value)) result[field] = result[field].filter((item: unknown) => !value.some((removed) => deepEqual(removed, item)));
      continue;
    }
    if (key.startsWith('$')) continue;
    if (value === null) delete result[key];
    else if (isPlainObject(value)) {
      if (value.$patch === 'delete') delete result[key];
      else result[key] = mergeObject(result[key], value);
    } else if (Array.isArray(value)) result[key] = mergeList(key, result[key], value);
    else result[key] = value;
  }
  // $retainKeys lists the only keys that may remain (used for union types such as deployment strategy).
  if (Array.isArray(patch.$retainKeys)) {
    for (const key of Object.keys(result)) if (!patch.$retainKeys.includes(key)) delete result[key];
  }
  return result;
}

/**
 * Applies a strategic merge patch using the built-in types' list merge keys (containers by name, env by
 * name, ports by containerPort/port, volumeMounts by mountPath…), with `$patch: replace|delete`,
 * `$retainKeys` and `$deleteFromPrimitiveList`; `$setElementOrder` is accepted and ignored.
 */
export function applyStrategicMergePatch(original: JsonObject, patch: unknown): JsonObject {
  if (!isPlainObject(patch)) return clone(original);
  return mergeObject(original, patch);
}

/**
 * Server-side apply's merge: the applied configuration wins field by field; keyed lists merge by key,
 * other lists are replaced. Fields the manager no longer applies are removed by the caller.
 */
export function applyConfiguration(live: unknown, applied: unknown, field = ''): any {
  if (isPlainObject(applied)) {
    const result: JsonObject = isPlainObject(live) ? { ...live } : {};
    for (const [key, value] of Object.entries(applied)) {
      if (value === null) continue;
      result[key] = applyConfiguration(result[key], value, key);
    }
    return result;
  }
  if (Array.isArray(applied)) {
    const key = mergeKeyFor(field, applied);
    if (!key || !Array.isArray(live) || !applied.every(isPlainObject)) return clone(applied);
    // Applied items come first in applied order; items others added are kept after them.
    const result: unknown[] = [];
    for (const item of applied as JsonObject[]) {
      const existing = live.find((candidate) => isPlainObject(candidate) && deepEqual(candidate[key], item[key]));
      result.push(applyConfiguration(existing, item, ''));
    }
    for (const item of live) {
      if (!applied.some((candidate) => isPlainObject(item) && deepEqual((candidate as JsonObject)[key], item[key]))) result.push(item);
    }
    return result;
  }
  return applied;
}
