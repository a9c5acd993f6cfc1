/**
 * Both sides of a preview's diff, normalised the same way before diffing (issue 37 item 8): a two-line rollback
 * showed "+7 −8" because the ReplicaSet's template carries `creationTimestamp: null` and keys in another order than
 * the live Deployment. Server-managed noise (creationTimestamp: null anywhere, managedFields, resourceVersion,
 * generation, uid, the top-level creationTimestamp and status) is dropped, and every mapping's keys are sorted (`name` first), so
 * the diff shows only what the change moves. Lists keep their order: it is meaningful (containers, args).
 */

/** The object's own top-level order stays readable: apiVersion, kind, metadata first, then the rest sorted. */
const topLevelFirst = ['apiVersion', 'kind', 'metadata'];

/** `name` leads a mapping (a container, a port, metadata), as Kubernetes writes it: a changed field then reads as itself, not as a list item's first line. */
const rank = (key: string) => (key === 'name' ? 0 : 1);

function sortedValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedValue);
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>)
    // `creationTimestamp: null` is what an empty ObjectMeta serialises to (a pod template's): never a change
    .filter(([key, field]) => !(key === 'creationTimestamp' && field === null))
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, field]) => [key, sortedValue(field)]));
}

/** The object as the diff compares it (see the module comment); the input is not modified. */
export function normalizeForDiff(object: Record<string, any>): Record<string, unknown> {
  const { status: _status, metadata = {}, ...rest } = object;
  const { resourceVersion: _rv, generation: _g, uid: _uid, creationTimestamp: _ct, managedFields: _mf, ...keptMetadata } = (metadata ?? {}) as Record<string, unknown>;
  const sorted = sortedValue({ ...rest, metadata: keptMetadata }) as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of topLevelFirst) if (key in sorted) ordered[key] = sorted[key];
  for (const [key, field] of Object.entries(sorted)) if (!topLevelFirst.includes(key)) ordered[key] = field;
  return ordered;
}
