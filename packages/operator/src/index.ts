/** Public surface of @skyflo/operator. */
export { main } from './main.ts';
export { startOperator, type Operator, type OperatorOptions } from './controller/create-operator.ts';
export { reconcileSkyfloAi, type ReconcileDeps, type ReconcileResult } from './reconcile/reconcile-skyfloai.ts';
export { createWorkQueue, type WorkQueue } from './controller/work-queue.ts';
export { createLeaderElector, type LeaderElector } from './controller/leader-election.ts';
export { accessProfileOf, parseSkyfloAiSpec, skyfloAiSpecSchema, specProblems, type AccessProfile, type SkyfloAiSpec } from './spec/skyfloai-spec.ts';
export { desiredState } from './desired/desired-state.ts';
export { installMcpRbac, installMcpRbacName, type McpRbacMode } from './reconcile/install-rbac.ts';
export { namespacedRules, profileRules, toolPermissions, type PolicyRule } from './rbac/tool-permissions.ts';
export { createKubeRest, type KubeRest, type KubeObject } from './kube/kube-rest.ts';
export { startExecutor, ExecutorError, type ExecutorOptions, type RunningExecutor } from './executor/index.ts';
export { executorMain } from './executor/executor-main.ts';
export {
  approvalWebhookConfiguration,
  executorClusterScopeRules,
  executorDryRunRules,
  executorGrantRules,
  executorInstallNamespaceRules,
  executorServiceAccountName,
} from './executor/index.ts';
