import { randomBytes } from 'node:crypto';
import type { EventRecorder, KubeObject, SimClock } from '../cluster-types.ts';
import type { SimResourceRegistry } from '../resources/resource-registry.ts';
import { formatTimestamp } from '../util/json-values.ts';
import type { SimObjectStore } from './object-store.ts';

/**
 * Records core/v1 Events the way kubelet and controllers do: repeated (object, reason, message) triples
 * bump `count` and `lastTimestamp` instead of creating a new Event. events.k8s.io/v1 serves a view of them.
 */
export function createEventRecorder(store: SimObjectStore, registry: SimResourceRegistry, clock: SimClock): EventRecorder {
  const seen = new Map<string, string>();
  return {
    record(involved, event) {
      const events = registry.byResource('', 'events')!;
      const namespace = involved.metadata.namespace ?? 'default';
      const key = `${involved.metadata.uid}|${event.reason}|${event.message}`;
      const now = formatTimestamp(clock.now());
      const existingName = seen.get(key);
      if (existingName && store.getShared(events, namespace, existingName)) {
        store.mutate(events, namespace, existingName, (current) => {
          current.count = (current.count ?? 1) + 1;
          current.lastTimestamp = now;
          return current;
        });
        return;
      }
      const name = `${involved.metadata.name}.${randomBytes(8).toString('hex')}`;
      const object: KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: involved.apiVersion,
          kind: involved.kind,
          name: involved.metadata.name,
          namespace: involved.metadata.namespace,
          uid: involved.metadata.uid,
          resourceVersion: involved.metadata.resourceVersion,
        },
        reason: event.reason,
        message: event.message,
        type: event.type ?? 'Normal',
        source: { component: event.component ?? 'kube-sim' },
        reportingComponent: event.component ?? 'kube-sim',
        reportingInstance: '',
        firstTimestamp: now,
        lastTimestamp: now,
        eventTime: null,
        count: 1,
      };
      try {
        store.create(events, object);
        seen.set(key, name);
      } catch {
        // the namespace is gone or terminating: nothing to record against
      }
    },
  };
}
