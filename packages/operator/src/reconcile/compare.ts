/**
 * Diff: does an object in the cluster still say what we want? Only the fields we set are compared (the API server
 * adds defaults and status), so `desired` must be a subset of `actual`. Lists must match in length, so an extra
 * container or port someone added counts as drift.
 */
import type { KubeObject } from '../kube/kube-rest.ts';

export function isSubset(desired: unknown, actual: unknown): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(actual) && actual.length === desired.length && desired.every((item, index) => isSubset(item, actual[index]));
  }
  if (desired && typeof desired === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(desired).every(([key, value]) => value === undefined || isSubset(value, (actual as Record<string, unknown>)[key]));
  }
  // Quantities and ports may come back as the other JSON type ("1" vs 1).
  return desired === actual || (desired !== null && actual !== null && actual !== undefined && String(desired) === String(actual));
}

/** The top-level fields that carry an object's content (spec, rules, data...), without identity and status. */
export function payload(object: KubeObject): Record<string, unknown> {
  const { apiVersion: _apiVersion, kind: _kind, metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

/** True when `actual` has drifted from `desired`: content, our labels/annotations, or our owner reference. */
export function hasDrifted(desired: KubeObject, actual: KubeObject): boolean {
  if (!isSubset(payload(desired), payload(actual))) return true;
  if (!isSubset(desired.metadata.labels ?? {}, actual.metadata.labels ?? {})) return true;
  if (!isSubset(desired.metadata.annotations ?? {}, actual.metadata.annotations ?? {})) return true;
  const owners = desired.metadata.ownerReferences ?? [];
  return !owners.every((owner) => actual.metadata.ownerReferences?.some((existing) => existing.uid === owner.uid && existing.controller === owner.controller));
}

/**
 * What to PUT to bring `actual` back to `desired`: our content replaces theirs, labels and annotations are merged,
 * and fields the API server assigned for good are kept (a Service's cluster IP cannot change).
 */
export function mergeForReplace(desired: KubeObject, actual: KubeObject): KubeObject {
  const merged: KubeObject = {
    ...actual,
    ...payload(desired),
    metadata: {
      ...actual.metadata,
      labels: { ...actual.metadata.labels, ...desired.metadata.labels },
      annotations: { ...actual.metadata.annotations, ...desired.metadata.annotations },
      ownerReferences: desired.metadata.ownerReferences ?? actual.metadata.ownerReferences,
    },
  };
  if (desired.kind === 'Service') {
    const actualSpec = (actual.spec ?? {}) as Record<string, unknown>;
    const kept = Object.fromEntries(['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy'].filter((key) => actualSpec[key] !== undefined).map((key) => [key, actualSpec[key]]));
    merged.spec = { ...(desired.spec as object), ...kept };
  }
  return merged;
}
