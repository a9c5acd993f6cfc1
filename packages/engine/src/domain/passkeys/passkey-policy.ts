/**
 * When approving a call needs the approver's passkey (issue 35): per cluster, "every approval", "destructive and
 * high-risk calls" or "never". A cluster labelled production (SKYFLO_CLUSTER_LABELS: "prod", "production") defaults
 * to destructive and high-risk, any other to never; an admin sets a cluster's mode in Settings → Clusters. Kept in the
 * settings table next to the clusters' approval policies (clusters/cluster-policies.ts).
 */
import { clusterPasskeyPoliciesSchema, type ClusterPasskeyPolicy, type PasskeyPolicyMode } from '@skyflo/protocol';
import type { ApprovalRecord, SettingsStore } from '../../platform/ports/index.ts';
import { globMatches } from '@skyflo/safety/patterns';

export const passkeyPoliciesKey = 'cluster_passkey_policies';

/** The label that makes a cluster production by default. */
export const isProductionLabel = (label: string | undefined): boolean => label !== undefined && /^prod(uction)?$/i.test(label.trim());

export const defaultPasskeyMode = (label: string | undefined): PasskeyPolicyMode => (isProductionLabel(label) ? 'destructive_and_high_risk' : 'never');

/**
 * A call's mode: the first stored entry whose cluster pattern (a glob: "prod-*", "*") matches, else the default from
 * the label recorded with the call. A call bound to no cluster (an MCP server without clusters) follows only "*".
 */
export function passkeyModeOf(policies: readonly ClusterPasskeyPolicy[], cluster: { name: string; label?: string | undefined } | undefined): PasskeyPolicyMode {
  if (!cluster) return policies.find((entry) => entry.cluster === '*')?.mode ?? 'never';
  return policies.find((entry) => entry.cluster === cluster.name)?.mode ?? policies.find((entry) => globMatches(entry.cluster, cluster.name))?.mode ?? defaultPasskeyMode(cluster.label);
}

/** Why approving this call needs a passkey, or undefined when it does not. */
export function passkeyRequirement(mode: PasskeyPolicyMode, call: Pick<ApprovalRecord, 'destructive' | 'risks' | 'cluster'>): string | undefined {
  const where = call.cluster ? `cluster ${call.cluster.name}` : 'this cluster';
  if (mode === 'every_approval') return `${where} asks for a passkey on every approval`;
  if (mode !== 'destructive_and_high_risk') return undefined;
  if (call.destructive) return `${where} asks for a passkey on destructive calls, and this one is destructive`;
  const high = [...new Set(call.risks.filter((risk) => risk.severity === 'high').map((risk) => risk.code))];
  return high.length > 0 ? `${where} asks for a passkey on high-risk calls, and this one carries ${high.join(', ')}` : undefined;
}

export interface PasskeyPolicies {
  list(): Promise<ClusterPasskeyPolicy[]>;
  replace(policies: ClusterPasskeyPolicy[]): Promise<void>;
  /** why approving `call` needs a passkey now, or undefined */
  requirementOf(call: Pick<ApprovalRecord, 'destructive' | 'risks' | 'cluster'>): Promise<string | undefined>;
}

export function createPasskeyPolicies(deps: { settings: SettingsStore }): PasskeyPolicies {
  async function list(): Promise<ClusterPasskeyPolicy[]> {
    const stored = await deps.settings.get(passkeyPoliciesKey);
    if (stored === undefined || stored === null) return [];
    const parsed = clusterPasskeyPoliciesSchema.safeParse(stored);
    // A stored value that no longer parses must not lift a requirement: every cluster asks on every approval.
    return parsed.success ? parsed.data.policies : [{ cluster: '*', mode: 'every_approval' }];
  }
  return {
    list,
    replace: (policies) => deps.settings.put(passkeyPoliciesKey, { policies }),
    async requirementOf(call) {
      return passkeyRequirement(passkeyModeOf(await list(), call.cluster), call);
    },
  };
}
