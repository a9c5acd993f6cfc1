/**
 * Approval policy by scope (issue 22): per cluster, optionally narrowed by a namespace glob, writes are refused
 * (`read_only`), decided by the requester (`self`), by an approver (`approver`), or by an approver who is not the
 * requester (`four_eyes`). Admins set them (GET/PUT /clusters/policies); they are kept in the settings table. Where no
 * policy matches, the environment decides as before (APPROVAL_POLICY; APPROVAL_FOUR_EYES still applies to destructive
 * and high-risk calls everywhere).
 */
import type { ClusterPolicy, ClusterPolicyMode } from '@skyflo/protocol';
import { clusterPoliciesSchema } from '@skyflo/protocol';
import type { ApprovalPolicyApplied, ApprovalPolicyName, SettingsStore } from '../../platform/ports/index.ts';
import { globMatches } from '@skyflo/safety/patterns';
import { sharedRead } from '../../platform/reads/shared-read.ts';

export const clusterPoliciesKey = 'cluster_policies';

export interface ClusterPolicies {
  list(): Promise<ClusterPolicy[]>;
  replace(policies: ClusterPolicy[]): Promise<void>;
  /** the policy that applies to a call in `cluster` (and `namespace`, when it targets one) */
  resolve(cluster: string, namespace?: string): Promise<ApprovalPolicyApplied>;
  /** the mode for the cluster as a whole (GET /clusters) */
  clusterMode(cluster: string): Promise<ClusterPolicyMode>;
}

/** Picks the policy for one call: a matching namespace pattern wins over a cluster-wide entry; the first listed wins among equals. */
export function resolveClusterPolicy(policies: readonly ClusterPolicy[], defaults: { policy: ApprovalPolicyName }, cluster: string, namespace?: string): ApprovalPolicyApplied {
  const forCluster = policies.filter((entry) => globMatches(entry.cluster, cluster));
  const byNamespace = namespace === undefined ? undefined : forCluster.find((entry) => entry.namespace_pattern !== undefined && globMatches(entry.namespace_pattern, namespace));
  const clusterWide = forCluster.find((entry) => entry.namespace_pattern === undefined || entry.namespace_pattern === '*');
  const chosen = byNamespace ?? clusterWide;
  if (!chosen) return { mode: defaults.policy, source: `APPROVAL_POLICY=${defaults.policy}, no cluster policy for ${cluster}` };
  return { mode: chosen.mode, source: `cluster policy ${chosen.cluster}${chosen.namespace_pattern ? `, namespace ${chosen.namespace_pattern}` : ''}` };
}

export function createClusterPolicies(deps: { settings: SettingsStore; defaults: { policy: ApprovalPolicyName } }): ClusterPolicies {
  // Read by every run start (the prompt names each cluster's mode): one read for the runs that ask while it is in
  // flight (platform/reads/shared-read.ts); a replace here is read back by the next caller.
  const storedPolicies = sharedRead(() => deps.settings.get(clusterPoliciesKey));
  async function list(): Promise<ClusterPolicy[]> {
    const stored = await storedPolicies.read();
    if (stored === undefined || stored === null) return [];
    const parsed = clusterPoliciesSchema.safeParse(stored);
    // A stored value that no longer parses must not open anything up: every cluster falls back to read_only.
    return parsed.success ? parsed.data.policies : [{ cluster: '*', mode: 'read_only' }];
  }
  return {
    list,
    async replace(policies) {
      try {
        await deps.settings.put(clusterPoliciesKey, { policies });
      } finally {
        storedPolicies.forget();
      }
    },
    async resolve(cluster, namespace) {
      return resolveClusterPolicy(await list(), deps.defaults, cluster, namespace);
    },
    async clusterMode(cluster) {
      return resolveClusterPolicy(await list(), deps.defaults, cluster).mode;
    },
  };
}

/**
 * Who may decide a recorded call, from the policy recorded with it: `approver` and `four_eyes` need the approver or
 * admin role (and let them see the conversation), `four_eyes` also someone other than the requester; `self` lets
 * the requester decide. A call recorded without a policy follows the environment. APPROVAL_FOUR_EYES (destructive
 * and high-risk calls) applies in every mode.
 */
export function decisionPolicyOf(
  recorded: ApprovalPolicyApplied | undefined,
  environment: { policy: ApprovalPolicyName; fourEyes: boolean },
): { policy: ApprovalPolicyName; fourEyes: boolean; otherPersonRequired?: string; policySource?: string } {
  if (recorded?.mode === 'approver') return { policy: 'approver', fourEyes: environment.fourEyes, policySource: recorded.source };
  if (recorded?.mode === 'four_eyes') return { policy: 'approver', fourEyes: environment.fourEyes, otherPersonRequired: recorded.source, policySource: recorded.source };
  if (recorded?.mode === 'self') return { policy: 'self', fourEyes: environment.fourEyes };
  return environment;
}
