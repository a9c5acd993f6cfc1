/**
 * Clusters for the composition root (create-engine.ts), issue 22: the MCP server's list_clusters (briefly cached),
 * per-cluster policies over the environment's, their health for /health, their routes; and, where the cluster
 * enforces approvals (issue 34: SKYFLO_APPROVAL_ENFORCEMENT=cluster), the enforcement and its stray key sweep.
 */
import { createClusterDirectory } from '../domain/clusters/cluster-directory.ts';
import { createClusterHealth } from '../domain/clusters/cluster-health.ts';
import { createClusterPolicies } from '../domain/clusters/cluster-policies.ts';
import { createClusterEnforcement, type ClusterEnforcementDeps } from '../domain/clusters/enforcement/cluster-enforcement.ts';
import type { Config } from '../platform/config/index.ts';
import type { MountedRoutes } from '../http/app.ts';
import { clusterRoutes, type ClusterRouteDeps } from '../http/routes/clusters/index.ts';
import type { ToolGateway } from '../platform/ports/tool-gateway.ts';
import { createStrayKeySweep } from '../domain/passkeys/stray-key-sweep.ts';
import type { PlatformStorage } from '../platform/ports/index.ts';
import type { ApprovalPolicyName } from '../domain/tool-calls/decide/decision-authority.ts';

export interface ClustersDeps {
  config: Pick<Config, 'enforcement'>;
  storage: PlatformStorage;
  /** the tools (ours and the external MCP servers'): list_clusters */
  tools: ToolGateway;
  /** the environment's approval policy, the default of every cluster */
  approvalPolicy: { policy: ApprovalPolicyName };
  /** which calls need a passkey: the executors count a policy's approvers by them */
  passkeyRequirement: NonNullable<ClusterEnforcementDeps['passkeyRequirement']>;
  logger: { warn(object: unknown, message?: string): void; error(object: unknown, message?: string): void };
}

export async function createClusters(deps: ClustersDeps) {
  const { config, storage } = deps;
  // Clusters (issue 22): the MCP server's list_clusters, briefly cached; per-cluster policies over the environment's.
  const directory = createClusterDirectory({ tools: deps.tools });
  const policies = createClusterPolicies({ settings: storage.settings, defaults: deps.approvalPolicy });
  const health = createClusterHealth({ directory });
  // Issue 34: approvals the cluster enforces (SKYFLO_APPROVAL_ENFORCEMENT=cluster): signed, mirrored, per-approval credentials.
  const enforcement = config.enforcement.mode === 'cluster' ? await createClusterEnforcement({ config: config.enforcement, passkeyRequirement: deps.passkeyRequirement, logger: { warn: (object, message) => deps.logger.warn(object, message) } }) : undefined;
  // Keys a failed removal left on an executor are taken off on a beat (never added: passkeys/stray-key-sweep.ts).
  const strayKeySweep = enforcement
    ? createStrayKeySweep({
        users: storage.users,
        passkeys: storage.passkeys,
        deviceKeys: storage.deviceKeys,
        removeStrays: (registry) => enforcement.removeStrayApproverKeys(registry),
        audit: storage.audit,
        logger: deps.logger,
        intervalMs: config.enforcement.approverKeySweepMs,
      })
    : undefined;
  const routes: MountedRoutes<any>[] = [
    { plugin: clusterRoutes, options: { directory, policies, users: storage.users, audit: storage.audit, ...(enforcement ? { enforcementOf: (cluster: string) => enforcement.modeFor(cluster) } : {}) } satisfies ClusterRouteDeps },
  ];
  return { directory, policies, health, enforcement, strayKeySweep, routes };
}
