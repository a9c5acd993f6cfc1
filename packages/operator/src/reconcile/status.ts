/** Status of a SkyfloAI from what its Deployments report: per-component phase and replicas, and the three conditions. */
import type { KubeObject } from '../kube/kube-rest.ts';
import type { Component } from '../desired/names.ts';

export interface ComponentStatus {
  phase: 'Pending' | 'Progressing' | 'Running';
  readyReplicas: number;
  desiredReplicas: number;
}

export interface Condition {
  type: 'Ready' | 'Progressing' | 'Degraded' | 'ApprovalsEnforced' | 'PoliciesInCluster';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface SkyfloAiStatus {
  phase: 'Ready' | 'Progressing' | 'Degraded';
  /** the storage in effect (the spec's, defaulted), for `kubectl get sky` */
  storage?: 'embedded' | 'postgres';
  observedGeneration?: number;
  engine?: ComponentStatus;
  mcp?: ComponentStatus;
  /** with cluster-enforced approvals */
  executor?: ComponentStatus;
  conditions: Condition[];
  /** issue 76: the emergency stop engaged in Skyflo, written by the executor (executor/emergency-stop.ts); kept as found */
  emergencyStop?: { by: string; since: string; reason: string; summary: string };
}

export function componentStatus(deployment: KubeObject | undefined, desiredReplicas: number): ComponentStatus {
  if (!deployment) return { phase: 'Pending', readyReplicas: 0, desiredReplicas };
  const status = (deployment.status ?? {}) as { readyReplicas?: number; updatedReplicas?: number; replicas?: number; observedGeneration?: number };
  const readyReplicas = status.readyReplicas ?? 0;
  const rolledOut =
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    (status.updatedReplicas ?? 0) >= desiredReplicas &&
    (status.replicas ?? 0) <= desiredReplicas &&
    readyReplicas >= desiredReplicas;
  return { phase: rolledOut ? 'Running' : 'Progressing', readyReplicas, desiredReplicas };
}

/** Something that stops the applied spec from running, found while applying it (the pods cannot start until it is fixed). */
export interface RunProblem {
  reason: 'SecretMissing' | 'EncryptionKeyMismatch' | 'ExecutorRbacMissing' | 'McpRbacMissing' | 'RbacLeftover' | 'NotPermitted';
  message: string;
}

export const approvalsEnforcedByEngine = {
  reason: 'ApprovalsEnforcedByEngine',
  message:
    'approvals.enforcement is engine: the MCP server\'s ServiceAccount holds the access profile\'s write rules and only Skyflo\'s own ' +
    'approval gate stands between the model and the cluster; set spec.approvals.enforcement=cluster so the API server itself refuses ' +
    'any write that no one approved (docs/approvals-and-enforcement.md)',
};

/** Who enforces approvals, as a condition that `kubectl describe sky` shows (False + a warning for `engine`). */
function approvalsCondition(enforcement: 'cluster' | 'engine' | 'none', generation: number | undefined): Condition {
  if (enforcement === 'engine') return { type: 'ApprovalsEnforced', status: 'False', ...approvalsEnforcedByEngine, observedGeneration: generation };
  if (enforcement === 'none') return { type: 'ApprovalsEnforced', status: 'True', reason: 'ReadOnly', message: 'the access profile is read-only: Skyflo cannot write to this cluster', observedGeneration: generation };
  return { type: 'ApprovalsEnforced', status: 'True', reason: 'ClusterEnforced', message: 'the MCP server is read-only; each approved write runs under a ServiceAccount the executor mints for that approval, checked by its admission webhook', observedGeneration: generation };
}

/**
 * Status for a spec that was applied: Ready once both components run the current spec; Degraded, with the reason
 * and what to do, while a problem keeps the pods from starting (a rollout would otherwise look merely slow).
 */
export function appliedStatus(
  generation: number | undefined,
  storage: 'embedded' | 'postgres',
  components: Record<Component, ComponentStatus> & { executor?: ComponentStatus },
  problem?: RunProblem,
  enforcement: 'cluster' | 'engine' | 'none' = 'none',
): SkyfloAiStatus {
  const ready = components.engine.phase === 'Running' && components.mcp.phase === 'Running' && (!components.executor || components.executor.phase === 'Running');
  const summary =
    `engine ${components.engine.readyReplicas}/${components.engine.desiredReplicas} ready, mcp ${components.mcp.readyReplicas}/${components.mcp.desiredReplicas} ready` +
    (components.executor ? `, executor ${components.executor.readyReplicas}/${components.executor.desiredReplicas} ready` : '');
  const approvals = approvalsCondition(enforcement, generation);
  if (problem) {
    return {
      phase: 'Degraded',
      storage,
      observedGeneration: generation,
      ...components,
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'AllComponentsReady' : problem.reason, message: `${summary}; ${problem.message}`, observedGeneration: generation },
        { type: 'Progressing', status: 'False', reason: problem.reason, message: problem.message, observedGeneration: generation },
        { type: 'Degraded', status: 'True', reason: problem.reason, message: problem.message, observedGeneration: generation },
        approvals,
      ],
    };
  }
  return {
    phase: ready ? 'Ready' : 'Progressing',
    storage,
    observedGeneration: generation,
    ...components,
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'AllComponentsReady' : 'ComponentsNotReady', message: summary, observedGeneration: generation },
      { type: 'Progressing', status: ready ? 'False' : 'True', reason: ready ? 'Reconciled' : 'RollingOut', message: ready ? 'every component runs the current spec' : summary, observedGeneration: generation },
      { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'the spec is valid and was applied', observedGeneration: generation },
      approvals,
    ],
  };
}

/** Status when the operator refuses or fails to apply: Degraded with the reason, earlier components left as they were. */
export function degradedStatus(generation: number | undefined, reason: 'InvalidSpec' | 'ApplyFailed', message: string, previous: SkyfloAiStatus | undefined): SkyfloAiStatus {
  return {
    phase: 'Degraded',
    ...(previous?.storage ? { storage: previous.storage } : {}),
    observedGeneration: generation,
    ...(previous?.engine ? { engine: previous.engine } : {}),
    ...(previous?.mcp ? { mcp: previous.mcp } : {}),
    ...(previous?.executor ? { executor: previous.executor } : {}),
    conditions: [
      { type: 'Ready', status: 'False', reason, message, observedGeneration: generation },
      { type: 'Progressing', status: 'False', reason, message, observedGeneration: generation },
      { type: 'Degraded', status: 'True', reason, message, observedGeneration: generation },
    ],
  };
}

/** Keeps each condition's lastTransitionTime unless its status changed, as Kubernetes conventions ask. */
export function withTransitionTimes(next: SkyfloAiStatus, previous: SkyfloAiStatus | undefined, now: string): SkyfloAiStatus {
  return {
    ...next,
    conditions: next.conditions.map((condition) => {
      const before = previous?.conditions?.find((candidate) => candidate.type === condition.type);
      return { ...condition, lastTransitionTime: before && before.status === condition.status && before.lastTransitionTime ? before.lastTransitionTime : now };
    }),
  };
}
