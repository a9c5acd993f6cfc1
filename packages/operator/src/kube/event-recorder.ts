/** Kubernetes Events on a SkyfloAI: what the operator did and why it refused, as `kubectl describe sky` shows them. */
import { randomBytes } from 'node:crypto';
import type { KubeObject, KubeRest } from './kube-rest.ts';

export interface EventRecorder {
  record(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export function createEventRecorder(options: { kube: KubeRest; component: string; now?: () => Date; onError?: (error: unknown) => void }): EventRecorder {
  const now = options.now ?? (() => new Date());
  return {
    async record(involved, type, reason, message) {
      const timestamp = now().toISOString();
      try {
        await options.kube.create({
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${involved.metadata.name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`, namespace: involved.metadata.namespace ?? 'default' },
          involvedObject: { apiVersion: involved.apiVersion, kind: involved.kind, name: involved.metadata.name, namespace: involved.metadata.namespace, uid: involved.metadata.uid, resourceVersion: involved.metadata.resourceVersion },
          type,
          reason,
          message,
          source: { component: options.component },
          firstTimestamp: timestamp,
          lastTimestamp: timestamp,
          count: 1,
          reportingComponent: options.component,
        });
      } catch (error) {
        // An event is a courtesy: failing to write one must not fail the reconcile.
        options.onError?.(error);
      }
    },
  };
}
