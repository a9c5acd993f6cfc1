import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { canonicalJson, isPodActive, isPodReady, isTerminating, setCondition } from './object-helpers.ts';
import { createPodFromTemplate, deletePodGracefully, podsOwnedBy } from './pod-template.ts';
import { ownerKeysForPodChange } from './replicaset-controller.ts';

/** Jobs: run pods until `completions` succeed (Complete) or failures exceed backoffLimit (Failed). */
export function createJobController(context: WorkloadContext): Controller {
  const { store, events } = context.cluster;
  return {
    name: 'job-controller',
    keysFor(change) {
      if (change.resource.group === 'batch' && change.resource.resource === 'jobs') return [keyOf(change.object.metadata.namespace, change.object.metadata.name)];
      return ownerKeysForPodChange(change, 'Job');
    },
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const type = context.types.get('batch', 'jobs');
      let job = store.get(type, namespace, name);
      if (!job || isTerminating(job) || !job.spec?.template) return;
      const uid = job.metadata.uid!;
      if (!job.spec.selector) {
        // The API server defaults these for Jobs without manualSelector; do it here if it did not.
        const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
        job = store.mutate(type, namespace, name, (latest) => {
          latest.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
          latest.spec.template = { ...latest.spec.template, metadata: { ...latest.spec.template.metadata, labels: { ...latest.spec.template.metadata?.labels, ...labels } } };
          return latest;
        }) ?? job;
      }
      const conditions: any[] = job.status?.conditions ?? [];
      const finished = conditions.some((condition) => (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True');
      const pods = podsOwnedBy(context, job);
      const succeeded = pods.filter((pod) => pod.status?.phase === 'Succeeded').length;
      const failed = pods.filter((pod) => pod.status?.phase === 'Failed').length;
      let active = pods.filter(isPodActive);
      const completions = job.spec.completions ?? 1;
      const parallelism = job.spec.parallelism ?? 1;
      const backoffLimit = job.spec.backoffLimit ?? 6;
      const now = context.timestamp();
      let nextConditions = conditions;
      let completionTime = job.status?.completionTime;
      if (!finished) {
        if (failed > backoffLimit) {
          for (const pod of active) deletePodGracefully(context, pod);
          active = [];
          nextConditions = setCondition(nextConditions, { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }, now, { lastProbeTime: now });
          nextConditions = setCondition(nextConditions, { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }, now, { lastProbeTime: now });
          events.record(job, { type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', component: 'job-controller' });
        } else if (succeeded >= completions) {
          nextConditions = setCondition(nextConditions, { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }, now, { lastProbeTime: now });
          nextConditions = setCondition(nextConditions, { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }, now, { lastProbeTime: now });
          completionTime = now;
          events.record(job, { reason: 'Completed', message: 'Job completed', component: 'job-controller' });
        } else if (!job.spec.suspend) {
          const wanted = Math.min(parallelism, completions - succeeded);
          for (let index = active.length; index < wanted; index++) {
            const pod = createPodFromTemplate(context, { owner: job, template: job.spec.template });
            active.push(pod);
            events.record(job, { reason: 'SuccessfulCreate', message: `Created pod: ${pod.metadata.name}`, component: 'job-controller' });
          }
        }
      }
      const status: Record<string, unknown> = {
        ...(job.status?.startTime || !job.spec.suspend ? { startTime: job.status?.startTime ?? now } : {}),
        ...(completionTime ? { completionTime } : {}),
        active: active.length || undefined,
        succeeded: succeeded || undefined,
        failed: failed || undefined,
        ready: active.filter(isPodReady).length,
        terminating: 0,
        uncountedTerminatedPods: {},
        ...(nextConditions.length ? { conditions: nextConditions } : {}),
      };
      const clean = JSON.parse(JSON.stringify(status));
      store.mutate(type, namespace, name, (latest) => {
        if (latest.metadata.uid !== uid || canonicalJson(latest.status ?? {}) === canonicalJson(clean)) return undefined;
        latest.status = clean;
        return latest;
      });
    },
  };
}
