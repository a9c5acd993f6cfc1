import type { KubeObject, OwnerReference } from '../cluster-types.ts';

const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5-character suffix Kubernetes appends to generated names (no vowels, so no accidental words). */
export function randomSuffix(length = 5): string {
  let suffix = '';
  for (let index = 0; index < length; index++) suffix += nameAlphabet[Math.floor(Math.random() * nameAlphabet.length)];
  return suffix;
}

/** FNV-1a 32-bit over a canonical JSON rendering, encoded like client-go's rand.SafeEncodeString. */
export function templateHash(value: unknown, collisionCount = 0): string {
  let hash = 0x811c9dc5;
  const text = canonicalJson(value) + (collisionCount ? String(collisionCount) : '');
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [...String(hash)].map((digit) => nameAlphabet[digit.charCodeAt(0) % nameAlphabet.length]).join('');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      // null equals absent here, as when the API server decodes into typed structs (`creationTimestamp: null`).
      .filter(([, item]) => item !== undefined && item !== null)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((reference) => reference.controller);
}

export function isControlledBy(object: KubeObject, owner: KubeObject): boolean {
  return controllerOf(object)?.uid === owner.metadata.uid;
}

export function isTerminating(object: KubeObject): boolean {
  return Boolean(object.metadata.deletionTimestamp);
}

export function isPodReady(pod: KubeObject): boolean {
  return (pod.status?.conditions ?? []).some((condition: any) => condition.type === 'Ready' && condition.status === 'True');
}

/** A pod that counts toward a controller's replicas: not finished and not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return !isTerminating(pod) && phase !== 'Succeeded' && phase !== 'Failed';
}

interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** metav1.LabelSelector semantics; an empty or missing selector matches nothing (as controllers treat it). */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (matchLabels.length === 0 && expressions.length === 0) return false;
  const actual = labels ?? {};
  if (!matchLabels.every(([key, value]) => actual[key] === value)) return false;
  return expressions.every((expression) => {
    const has = Object.prototype.hasOwnProperty.call(actual, expression.key);
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        return has && values.includes(actual[expression.key]);
      case 'NotIn':
        return !has || !values.includes(actual[expression.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

/** Resolves an int-or-percent (`maxSurge: 25%`) against a total, rounding as Kubernetes does. */
export function intOrPercent(value: unknown, total: number, fallback: string | number, roundUp: boolean): number {
  const raw = value ?? fallback;
  if (typeof raw === 'number') return raw;
  const text = String(raw);
  if (text.endsWith('%')) {
    const scaled = (Number(text.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
  }
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed : 0;
}

/** Sets or replaces a condition, keeping lastTransitionTime when the status did not change. */
export function setCondition(conditions: any[] | undefined, next: { type: string; status: string; reason?: string; message?: string }, now: string, extra: Record<string, unknown> = {}): any[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((condition) => condition.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const condition = {
    ...extra,
    ...next,
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime : now,
  };
  if (index >= 0) list[index] = condition;
  else list.push(condition);
  return list;
}

export function stripUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}
