/**
 * Decisions whose run died (engine crash, lost process) are closed and shown, at start and then periodically
 * (createAgentService starts this once); a call is never run later as a side effect of something else.
 */
import { reconcileOrphanedApprovals } from '../../domain/tool-calls/execute/reconcile-orphaned-approvals.ts';
import { resumeVerifications } from '../../domain/tool-calls/verify/resume-verifications.ts';
import type { AgentContext } from './agent-context.ts';

/** Starts reconciling now and every run lease; `stop` ends the timer and answers the pass under way, if any, to await. */
export function startOrphanReconciler({ deps, storage, observeEvent }: Pick<AgentContext, 'deps' | 'storage' | 'observeEvent'>): { stop(): Promise<void> | undefined } {
  let reconciling: Promise<void> | undefined;
  const reconcile = () => {
    reconciling ??= reconcileOrphanedApprovals({ storage, logger: deps.logger })
      // Issue 21: verifications a stopped engine left `verifying` are finished (remaining budget) or timed out.
      .then(() => resumeVerifications({ storage, tools: deps.tools, secretBox: deps.secretBox, config: deps.config, inspector: deps.inspector, ...(deps.clusters ? { clusters: deps.clusters } : {}), ...(deps.scopeOf ? { scopeOf: deps.scopeOf } : {}), ...(deps.executeAsApprover ? { executeAsApprover: deps.executeAsApprover } : {}), ...(deps.enforcement ? { enforcement: deps.enforcement } : {}), ...(deps.jenkinsIntegration ? { jenkinsIntegration: deps.jenkinsIntegration } : {}), ...(deps.approvalPolicy ? { approvalPolicy: deps.approvalPolicy } : {}), ...(deps.emergencyStop ? { emergencyStop: deps.emergencyStop } : {}), ...(deps.emergencyStopSignal ? { emergencyStopSignal: deps.emergencyStopSignal } : {}), ...(observeEvent ? { observeEvent } : {}), ...(deps.logger ? { logger: deps.logger } : {}) }))
      .then(() => undefined)
      .finally(() => (reconciling = undefined));
  };
  reconcile();
  const reconciler = setInterval(reconcile, Math.max(1_000, deps.config.runLeaseMs));
  reconciler.unref();
  return {
    stop() {
      clearInterval(reconciler);
      return reconciling;
    },
  };
}
