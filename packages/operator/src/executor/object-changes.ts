/**
 * How the admission webhook judges a write whose exact content was not known ahead (issue 73): which fields an update
 * changes, as JSON pointers, and whether each lies under a pointer the grant allows (`*` matches one segment); which
 * values the grant fixes. Pure.
 */
import { canonicalJson, normaliseForAdmission } from '@skyflo/protocol';

const isRecord = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);
const segment = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** The object as a change is judged: admission's normal form, with the status kept (a status patch changes only it). */
export function comparable(object: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (!object) return {};
  return { ...normaliseForAdmission(object), ...(object['status'] !== undefined ? { status: object['status'] } : {}) };
}

/** The deepest pointers at which `after` differs from `before` (a key added, removed or changed; array items by index). */
export function changedPointers(before: unknown, after: unknown, at = ''): string[] {
  if (canonicalJson(before) === canonicalJson(after)) return [];
  // a map added or removed whole is judged leaf by leaf, as if the other side were empty
  if ((isRecord(before) || before === undefined) && (isRecord(after) || after === undefined) && (isRecord(before) || isRecord(after))) {
    before = before ?? {};
    after = after ?? {};
  }
  if (isRecord(before) && isRecord(after)) {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])].flatMap((key) => changedPointers(before[key], after[key], `${at}/${segment(key)}`));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    return Array.from({ length: Math.max(before.length, after.length) }, (_, index) => changedPointers(before[index], after[index], `${at}/${index}`)).flat();
  }
  return [at || '/'];
}

/** Whether `pointer` is `allowed` or lies under it; a `*` segment of `allowed` matches any one segment. */
export function isWithin(pointer: string, allowed: string): boolean {
  const have = pointer.split('/').slice(1);
  const want = allowed.split('/').slice(1);
  if (want.length > have.length) return false;
  return want.every((part, index) => part === '*' || part === have[index]);
}

/** The value at a JSON pointer (undefined when absent). */
export function valueAt(object: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((value, key) => (isRecord(value) ? value[key] : Array.isArray(value) ? value[Number(key)] : undefined), object);
}

/** Why the change from `before` to `after` is not the allowed one, or undefined when it is. */
export function outsideChange(before: Record<string, unknown> | null | undefined, after: Record<string, unknown> | null | undefined, change: { within: string[]; values?: Record<string, unknown> | undefined }): string | undefined {
  const changed = changedPointers(comparable(before), comparable(after));
  const stray = changed.filter((pointer) => !change.within.some((allowed) => isWithin(pointer, allowed)));
  if (stray.length > 0) return `it changes ${stray.slice(0, 5).join(', ')}${stray.length > 5 ? ` and ${stray.length - 5} more` : ''}, outside what the approved call changes (${change.within.join(', ')})`;
  for (const [pointer, value] of Object.entries(change.values ?? {})) {
    if (canonicalJson(valueAt(after, pointer)) !== canonicalJson(value)) return `it sets ${pointer} to something else than the approved value`;
  }
  return undefined;
}
