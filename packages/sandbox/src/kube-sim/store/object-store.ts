import { randomUUID } from 'node:crypto';
import { ApiError, type DeleteRequestOptions, type KubeObject, type ObjectStore, type ResourceType, type SimClock, type StoreChange } from '../cluster-types.ts';
import { alreadyExists, conflict, invalid, notFound } from '../errors/api-errors.ts';
import { clone, deepEqual, formatTimestamp } from '../util/json-values.ts';

/** A change as kept for watch replay: `object` is the stored (shared, read-only) object. */
export interface RecordedChange extends StoreChange {
  resourceVersion: number;
}

/** The store plus server-internal views that avoid copying (lists of 10k pods must stay fast). */
export interface SimObjectStore extends ObjectStore {
  /** Stored objects sorted by namespace/name. Shared references: never mutate them. */
  listShared(resource: ResourceType, namespace?: string): readonly KubeObject[];
  getShared(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Objects whose ownerReferences name this uid. */
  dependentsOf(uid: string): Array<{ resource: ResourceType; object: KubeObject }>;
  /** Changes after `resourceVersion`, or undefined when that version is older than the kept history. */
  changesSince(resourceVersion: number): RecordedChange[] | undefined;
  /** Deletes as the API does: with finalizers or a grace period the object only gains a deletionTimestamp. */
  delete(resource: ResourceType, namespace: string | undefined, name: string, options?: DeleteRequestOptions): { object: KubeObject; removed: boolean };
  /** Drops every object of a resource (a CRD was deleted). */
  removeAll(resource: ResourceType): void;
}

const historyLimit = 20_000;
const historyTrimChunk = 2_000;
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

function bucketKey(resource: ResourceType): string {
  return `${resource.group}/${resource.resource}`;
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function byNamespaceAndName(left: KubeObject, right: KubeObject): number {
  const a = objectKey(left.metadata.namespace, left.metadata.name!);
  const b = objectKey(right.metadata.namespace, right.metadata.name!);
  return a < b ? -1 : a > b ? 1 : 0;
}

function randomSuffix(length = 5): string {
  let suffix = '';
  for (let i = 0; i < length; i++) suffix += nameAlphabet[Math.floor(Math.random() * nameAlphabet.length)];
  return suffix;
}

/** Everything except metadata and status: a change here bumps metadata.generation, like the real API. */
function specPart(object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest;
}

interface Bucket {
  resource: ResourceType;
  objects: Map<string, KubeObject>;
  /** cached sorted view, dropped on every write to the bucket */
  sorted?: KubeObject[];
  /** its keys, kept while writes only replace objects (then the view is rebuilt without sorting) */
  sortedKeys?: string[];
}

/** First index whose key is >= `key` (keys sorted ascending). */
function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (keys[middle] < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

export interface ObjectStoreOptions {
  /**
   * Grace period (seconds) of a delete: above 0 the object only turns Terminating and something else (the
   * pod termination queue) removes it later. `requested` is DeleteOptions.gracePeriodSeconds, if given.
   * Without this hook every delete without finalizers removes the object at once.
   */
  gracePeriodFor?(resource: ResourceType, object: KubeObject, requested: number | undefined): number;
}

/**
 * In-memory object store with one cluster-wide resourceVersion (like etcd's revision). Stored objects are
 * replaced on every write, never mutated in place, so server-internal readers can share them safely.
 */
export function createObjectStore(clock: SimClock, options: ObjectStoreOptions = {}): SimObjectStore {
  const buckets = new Map<string, Bucket>();
  const dependents = new Map<string, Set<string>>();
  const listeners = new Set<(change: StoreChange) => void>();
  const history: RecordedChange[] = [];
  let revision = 1;
  let historyStart = 1;

  function bucketFor(resource: ResourceType): Bucket {
    let bucket = buckets.get(bucketKey(resource));
    if (!bucket) {
      bucket = { resource, objects: new Map() };
      buckets.set(bucketKey(resource), bucket);
    }
    return bucket;
  }

  function indexOwners(resource: ResourceType, object: KubeObject, add: boolean): void {
    const entry = `${bucketKey(resource)}|${objectKey(object.metadata.namespace, object.metadata.name!)}`;
    for (const owner of object.metadata.ownerReferences ?? []) {
      if (!owner?.uid) continue;
      let set = dependents.get(owner.uid);
      if (add) {
        if (!set) dependents.set(owner.uid, (set = new Set()));
        set.add(entry);
      } else if (set) {
        set.delete(entry);
        if (set.size === 0) dependents.delete(owner.uid);
      }
    }
  }

  function emit(type: StoreChange['type'], resource: ResourceType, object: KubeObject, previous?: KubeObject): void {
    history.push({ type, resource, object, previous, resourceVersion: revision });
    // Why trim in chunks: dropping one entry per write shifts a 20k-entry array every time (O(n²) under load).
    if (history.length > historyLimit + historyTrimChunk) {
      const dropped = history.splice(0, history.length - historyLimit);
      historyStart = dropped[dropped.length - 1].resourceVersion + 1;
    }
    if (listeners.size === 0) return;
    // One copy shared by all listeners: listeners must treat changes as read-only.
    const change: StoreChange = { type, resource, object: clone(object), previous: previous && clone(previous) };
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        process.stderr.write(`kube-sim: store listener failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  }

  function checkNamespace(resource: ResourceType, object: KubeObject): void {
    if (!resource.namespaced) {
      delete object.metadata.namespace;
      return;
    }
    const namespace = object.metadata.namespace;
    if (!namespace) throw new ApiError(400, 'BadRequest', `the namespace of the provided object does not match the namespace sent on the request`);
    const namespaces = buckets.get('/namespaces');
    const owner = namespaces?.objects.get(objectKey(undefined, namespace));
    if (!owner) {
      throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    }
    if (owner.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `${resource.resource} "${object.metadata.name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: object.metadata.name,
        kind: resource.resource,
      });
    }
  }

  function put(resource: ResourceType, object: KubeObject): void {
    const bucket = bucketFor(resource);
    const key = objectKey(object.metadata.namespace, object.metadata.name!);
    // Replacing an object keeps the key order, so the next list rebuilds its view without sorting again.
    // (Views already handed out are never patched: a list being written keeps its snapshot.)
    if (!bucket.objects.has(key)) bucket.sortedKeys = undefined;
    bucket.sorted = undefined;
    bucket.objects.set(key, object);
  }

  function removeStored(resource: ResourceType, existing: KubeObject): KubeObject {
    const bucket = bucketFor(resource);
    bucket.objects.delete(objectKey(existing.metadata.namespace, existing.metadata.name!));
    bucket.sorted = undefined;
    bucket.sortedKeys = undefined;
    indexOwners(resource, existing, false);
    revision++;
    const removed: KubeObject = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(revision) } };
    emit('DELETED', resource, removed, existing);
    return removed;
  }

  /** Sets deletionTimestamp (now + grace, as the API server does) and deletionGracePeriodSeconds. */
  function markDeleted(resource: ResourceType, existing: KubeObject, graceSeconds: number): KubeObject {
    revision++;
    const marked: KubeObject = {
      ...existing,
      metadata: {
        ...existing.metadata,
        deletionTimestamp: formatTimestamp(new Date(clock.now().getTime() + graceSeconds * 1000)),
        deletionGracePeriodSeconds: graceSeconds,
        resourceVersion: String(revision),
      },
    };
    put(resource, marked);
    emit('MODIFIED', resource, marked, existing);
    return marked;
  }

  const store: SimObjectStore = {
    get(resource, namespace, name) {
      return clone(store.getShared(resource, namespace, name));
    },
    getShared(resource, namespace, name) {
      return buckets.get(bucketKey(resource))?.objects.get(objectKey(resource.namespaced ? namespace : undefined, name));
    },
    list(resource, namespace) {
      return store.listShared(resource, namespace).map((object) => clone(object));
    },
    listShared(resource, namespace) {
      const bucket = buckets.get(bucketKey(resource));
      if (!bucket) return [];
      if (!bucket.sortedKeys) bucket.sortedKeys = [...bucket.objects.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (!bucket.sorted) bucket.sorted = bucket.sortedKeys.map((key) => bucket.objects.get(key)!);
      if (!namespace || !resource.namespaced) return bucket.sorted;
      // Keys are `namespace/name`, so one namespace is a contiguous run of the sorted view.
      const prefix = `${namespace}/`;
      const start = lowerBound(bucket.sortedKeys, prefix);
      const end = lowerBound(bucket.sortedKeys, `${namespace}0`); // '0' sorts right after '/'
      return bucket.sorted.slice(start, end);
    },
    ownedBy(resource, ownerUid) {
      return store.dependentsOf(ownerUid)
        .filter((entry) => entry.resource.group === resource.group && entry.resource.resource === resource.resource)
        .map((entry) => entry.object)
        .sort(byNamespaceAndName)
        .map((object) => clone(object));
    },
    create(resource, input) {
      const object = clone(input);
      object.metadata = object.metadata ?? {};
      const metadata = object.metadata;
      if (!metadata.name && metadata.generateName) {
        do metadata.name = `${metadata.generateName}${randomSuffix()}`;
        while (store.getShared(resource, metadata.namespace, metadata.name));
      }
      if (!metadata.name) {
        throw invalid(resource, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]);
      }
      checkNamespace(resource, object);
      if (store.getShared(resource, metadata.namespace, metadata.name)) throw alreadyExists(resource, metadata.name);
      revision++;
      object.apiVersion = object.apiVersion ?? (resource.group ? `${resource.group}/${resource.version}` : resource.version);
      object.kind = object.kind ?? resource.kind;
      metadata.uid = randomUUID();
      metadata.resourceVersion = String(revision);
      metadata.creationTimestamp = formatTimestamp(clock.now());
      metadata.generation = 1;
      delete metadata.deletionTimestamp;
      put(resource, object);
      indexOwners(resource, object, true);
      emit('ADDED', resource, object);
      return clone(object);
    },
    update(resource, input) {
      const object = clone(input);
      const name = object.metadata?.name;
      if (!name) throw invalid(resource, '', [{ field: 'metadata.name', message: 'Required value: name is required', reason: 'FieldValueRequired' }]);
      const namespace = resource.namespaced ? object.metadata.namespace : undefined;
      const existing = store.getShared(resource, namespace, name);
      if (!existing) throw notFound(resource, name);
      if (object.metadata.resourceVersion && object.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        throw conflict(resource, name);
      }
      const metadata = object.metadata;
      metadata.uid = existing.metadata.uid;
      metadata.creationTimestamp = existing.metadata.creationTimestamp;
      if (!resource.namespaced) delete metadata.namespace;
      // deletionTimestamp can be set by delete only, and never unset.
      if (existing.metadata.deletionTimestamp) metadata.deletionTimestamp = existing.metadata.deletionTimestamp;
      else delete metadata.deletionTimestamp;
      const changedSpec = !deepEqual(specPart(object), specPart(existing));
      metadata.generation = (existing.metadata.generation ?? 1) + (changedSpec ? 1 : 0);
      metadata.resourceVersion = existing.metadata.resourceVersion;
      if (deepEqual(object, existing)) return clone(existing);
      // The last finalizer gone: removed now, unless a graceful deletion (a pod's grace period) still runs.
      if (metadata.deletionTimestamp && !(metadata.finalizers?.length) && !(Number(metadata.deletionGracePeriodSeconds ?? 0) > 0)) {
        return clone(removeStored(resource, existing));
      }
      revision++;
      metadata.resourceVersion = String(revision);
      indexOwners(resource, existing, false);
      put(resource, object);
      indexOwners(resource, object, true);
      emit('MODIFIED', resource, object, existing);
      return clone(object);
    },
    mutate(resource, namespace, name, mutate) {
      const current = store.get(resource, namespace, name);
      if (!current) return undefined;
      const before = clone(current);
      const result = mutate(current) ?? current;
      // A mutator that changed nothing (or returned undefined without touching the copy) writes nothing.
      if (deepEqual(result, before)) return before;
      result.metadata.resourceVersion = before.metadata.resourceVersion;
      return store.update(resource, result);
    },
    remove(resource, namespace, name) {
      const existing = store.getShared(resource, namespace, name);
      if (!existing) return undefined;
      return clone(removeStored(resource, existing));
    },
    delete(resource, namespace, name, deleteOptions = {}) {
      const existing = store.getShared(resource, namespace, name);
      if (!existing) throw notFound(resource, name);
      const isNamespace = resource.group === '' && resource.resource === 'namespaces';
      if (isNamespace && !existing.metadata.deletionTimestamp) {
        // Namespaces terminate: the namespace lifecycle empties them and then removes them.
        revision++;
        const marked: KubeObject = {
          ...existing,
          metadata: { ...existing.metadata, deletionTimestamp: formatTimestamp(clock.now()), resourceVersion: String(revision) },
          spec: { finalizers: ['kubernetes'] },
          status: { ...(existing.status ?? {}), phase: 'Terminating' },
        };
        put(resource, marked);
        emit('MODIFIED', resource, marked, existing);
        return { object: clone(marked), removed: false };
      }
      if (isNamespace) return { object: clone(existing), removed: false };
      const grace = Math.max(0, Math.floor(options.gracePeriodFor?.(resource, existing, deleteOptions.gracePeriodSeconds) ?? 0));
      const hasFinalizers = Boolean(existing.metadata.finalizers?.length);
      if (existing.metadata.deletionTimestamp) {
        // Already terminating: only a shorter grace period changes anything (a force delete of a Terminating pod).
        const current = Number(existing.metadata.deletionGracePeriodSeconds ?? 0);
        if (grace >= current) return { object: clone(existing), removed: false };
        if (grace === 0 && !hasFinalizers) return { object: clone(removeStored(resource, existing)), removed: true };
        return { object: clone(markDeleted(resource, existing, grace)), removed: false };
      }
      if (hasFinalizers || grace > 0) return { object: clone(markDeleted(resource, existing, grace)), removed: false };
      return { object: clone(removeStored(resource, existing)), removed: true };
    },
    removeAll(resource) {
      const bucket = buckets.get(bucketKey(resource));
      if (!bucket) return;
      for (const object of [...bucket.objects.values()]) removeStored(resource, object);
    },
    dependentsOf(uid) {
      const result: Array<{ resource: ResourceType; object: KubeObject }> = [];
      for (const entry of dependents.get(uid) ?? []) {
        const [bucketName, key] = entry.split('|');
        const bucket = buckets.get(bucketName);
        const object = bucket?.objects.get(key);
        if (bucket && object) result.push({ resource: bucket.resource, object });
      }
      return result;
    },
    changesSince(resourceVersion) {
      if (resourceVersion + 1 < historyStart) return undefined;
      let low = 0;
      let high = history.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (history[middle].resourceVersion <= resourceVersion) low = middle + 1;
        else high = middle;
      }
      return history.slice(low);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    currentResourceVersion: () => String(revision),
  };
  return store;
}
