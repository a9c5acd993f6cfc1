/**
 * Issue 31 (9): who owns a workload's `spec.replicas` besides the call that set it — a HorizontalPodAutoscaler
 * targeting it — and what that controller will do with the count the call set. An HPA clamps the target's replicas
 * into [minReplicas, maxReplicas] on every sync (kube-controller-manager's --horizontal-pod-autoscaler-sync-period,
 * 15 s by default), so a count outside that range is set back at its next sync: predictable at once. A count inside
 * it may still be moved by the HPA's metrics, so the change is only `verified` once it held through one sync period.
 */
import type { KubeHttp } from './create-kube-http.ts';

/** kube-controller-manager's default --horizontal-pod-autoscaler-sync-period. */
export const defaultHpaSyncPeriodSeconds = 15;

export interface ReplicaOwner {
  /** "HorizontalPodAutoscaler shop/web-hpa", as a reverted_by_controller verdict names it */
  controller: string;
  minReplicas: number;
  maxReplicas: number;
  /** how often it re-evaluates the target (its sync period) */
  syncSeconds: number;
}

interface Hpa {
  metadata?: { name?: string };
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; minReplicas?: number; maxReplicas?: number };
}

/** The HPA targeting `kind/name` in `namespace`, or undefined (none, or the autoscaling API cannot be read). */
export async function findReplicaOwner(options: { http: Pick<KubeHttp, 'json'>; kind: string; namespace: string; name: string; syncSeconds: number; signal?: AbortSignal }): Promise<ReplicaOwner | undefined> {
  for (const version of ['v2', 'v1']) {
    let list: { items?: Hpa[] };
    try {
      list = await options.http.json<{ items?: Hpa[] }>({ path: `/apis/autoscaling/${version}/namespaces/${options.namespace}/horizontalpodautoscalers`, ...(options.signal ? { signal: options.signal } : {}) });
    } catch {
      continue; // autoscaling/v2 not served (a very old cluster): try v1; neither readable: nothing to predict
    }
    const hpa = (list.items ?? []).find((item) => item.spec?.scaleTargetRef?.kind === options.kind && item.spec.scaleTargetRef.name === options.name);
    if (!hpa) return undefined;
    return {
      controller: `HorizontalPodAutoscaler ${options.namespace}/${hpa.metadata?.name ?? '?'}`,
      minReplicas: Number(hpa.spec?.minReplicas ?? 1),
      maxReplicas: Number(hpa.spec?.maxReplicas ?? 0),
      syncSeconds: options.syncSeconds,
    };
  }
  return undefined;
}

/**
 * What the HPA will do with `replicas`: the count it will set instead, with why, or undefined when it leaves the count
 * to its metrics. A target scaled to 0 is left alone while minReplicas is not 0: the HPA turns itself off
 * (ScalingDisabled), as the real controller does.
 */
export function predictReplicaOwner(owner: ReplicaOwner, replicas: number): { replicas: number; why: string } | undefined {
  if (replicas === 0 && owner.minReplicas !== 0) return undefined;
  if (replicas > owner.maxReplicas) return { replicas: owner.maxReplicas, why: `${replicas} is above its maxReplicas ${owner.maxReplicas}` };
  if (replicas < owner.minReplicas) return { replicas: owner.minReplicas, why: `${replicas} is below its minReplicas ${owner.minReplicas}` };
  return undefined;
}

/** Whether the HPA owns replicas at all once they are `replicas` (a target scaled to 0 turns the HPA off). */
export function ownsReplicas(owner: Pick<ReplicaOwner, 'minReplicas'>, replicas: number): boolean {
  return !(replicas === 0 && owner.minReplicas !== 0);
}
