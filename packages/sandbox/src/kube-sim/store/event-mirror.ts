import type { KubeObject } from '../cluster-types.ts';
import type { SimResourceRegistry } from '../resources/resource-registry.ts';
import type { SimObjectStore } from './object-store.ts';

function copyMetadata(object: KubeObject): KubeObject['metadata'] {
  const { uid: _uid, resourceVersion: _resourceVersion, creationTimestamp: _created, generation: _generation, managedFields: _managed, ...rest } = object.metadata;
  return rest;
}

/** core/v1 Event → events.k8s.io/v1 Event (the field mapping the API server's conversion uses). */
export function toEventsV1(event: KubeObject): KubeObject {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: copyMetadata(event),
    eventTime: event.eventTime ?? null,
    ...(event.series ? { series: event.series } : {}),
    reportingController: event.reportingComponent || event.source?.component || '',
    reportingInstance: event.reportingInstance || event.source?.host || '',
    ...(event.action ? { action: event.action } : {}),
    reason: event.reason,
    regarding: event.involvedObject,
    ...(event.related ? { related: event.related } : {}),
    note: event.message,
    type: event.type,
    ...(event.source ? { deprecatedSource: event.source } : {}),
    deprecatedFirstTimestamp: event.firstTimestamp ?? null,
    deprecatedLastTimestamp: event.lastTimestamp ?? null,
    deprecatedCount: event.count ?? 1,
  };
}

/** events.k8s.io/v1 Event → core/v1 Event. */
export function toCoreEvent(event: KubeObject): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: copyMetadata(event),
    involvedObject: event.regarding ?? {},
    ...(event.related ? { related: event.related } : {}),
    reason: event.reason,
    message: event.note,
    type: event.type,
    source: event.deprecatedSource ?? { component: event.reportingController },
    reportingComponent: event.reportingController ?? '',
    reportingInstance: event.reportingInstance ?? '',
    ...(event.action ? { action: event.action } : {}),
    ...(event.series ? { series: event.series } : {}),
    eventTime: event.eventTime ?? null,
    firstTimestamp: event.deprecatedFirstTimestamp ?? event.eventTime ?? null,
    lastTimestamp: event.deprecatedLastTimestamp ?? event.series?.lastObservedTime ?? event.eventTime ?? null,
    count: event.deprecatedCount ?? event.series?.count ?? 1,
  };
}

/**
 * The real API server stores one Event and serves it as core/v1 and events.k8s.io/v1. Here each write to
 * one is mirrored into the other (converted), so `kubectl get events` and `kubectl events` both see them.
 */
export function startEventMirror(store: SimObjectStore, registry: SimResourceRegistry): () => void {
  const core = registry.byResource('', 'events')!;
  const modern = registry.byResource('events.k8s.io', 'events')!;
  let mirroring = false;

  return store.subscribe((change) => {
    if (mirroring || change.resource.resource !== 'events' || (change.resource.group !== '' && change.resource.group !== 'events.k8s.io')) return;
    const target = change.resource.group === '' ? modern : core;
    const convert = change.resource.group === '' ? toEventsV1 : toCoreEvent;
    const { namespace, name } = change.object.metadata;
    mirroring = true;
    try {
      if (change.type === 'DELETED') store.remove(target, namespace, name!);
      else if (store.getShared(target, namespace, name!)) store.update(target, convert(change.object));
      else store.create(target, convert(change.object));
    } catch {
      // the namespace is terminating: the mirror copy goes with it
    } finally {
      mirroring = false;
    }
  });
}
