/** Small helpers for plain JSON values (objects decoded from requests and stored objects). */

export type JsonObject = Record<string, any>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, index) => deepEqual(item, other[index]));
  }
  const left = a as JsonObject;
  const right = b as JsonObject;
  const leftKeys = Object.keys(left).filter((k) => left[k] !== undefined);
  const rightKeys = Object.keys(right).filter((k) => right[k] !== undefined);
  return leftKeys.length === rightKeys.length && leftKeys.every((k) => deepEqual(left[k], right[k]));
}

export function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

/** Reads a dotted path such as `status.phase` or `involvedObject.name`. */
export function readPath(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Timestamps the way the API server formats them: RFC 3339 in UTC, whole seconds. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
