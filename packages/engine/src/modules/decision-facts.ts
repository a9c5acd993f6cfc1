/**
 * What a decision reads about a call (issue 74 item 9), for the composition root (create-engine.ts): the pending list,
 * the passkey options and the notifications read it; the agent service gathers its decisions' facts with the same
 * function (tool-calls/decide/gather-facts.ts).
 */
import type { ClusterStatus } from '@skyflo/protocol';
import { pausedCallIds } from '../app/graph/resume-checkpoint.ts';
import type { PasskeyApprovals } from '../domain/passkeys/passkey-approvals.ts';
import type { EngineStorage } from '../app/graph/checkpoints.ts';
import type { ApprovalPolicyName } from '../domain/tool-calls/decide/decision-authority.ts';
import { createDecisionFactsGatherer } from '../domain/tool-calls/decide/gather-facts.ts';
import type { createGuardrails } from './guardrails.ts';

export interface DecisionFactsDeps {
  /** APPROVAL_POLICY, APPROVAL_FOUR_EYES */
  approvalPolicy: { policy: ApprovalPolicyName; fourEyes: boolean };
  storage: EngineStorage;
  scopeOf: (userId: string) => Promise<import('@skyflo/protocol').MemberScope | undefined>;
  /** whether the MCP server is up (the tools' status is 'ready') */
  toolsReady: () => boolean;
  /** the configured clusters (the cluster directory) */
  clusters: () => Promise<ClusterStatus[]>;
  passkeys: PasskeyApprovals;
  guardrails: Pick<Awaited<ReturnType<typeof createGuardrails>>, 'emergencyStop' | 'freezes'>;
}

export function createDecisionFacts(deps: DecisionFactsDeps) {
  const { storage, guardrails } = deps;
  return createDecisionFactsGatherer({
    environment: deps.approvalPolicy,
    approvals: storage.approvals,
    conversations: storage.conversations,
    scopeOf: deps.scopeOf,
    // while the MCP server loads nothing is called stale (the listing would wait for it); execution still checks
    configuredClusters: async () => {
      if (!deps.toolsReady()) throw new Error('the MCP server is not ready');
      return deps.clusters();
    },
    pausedCallIds: async (conversationId) => pausedCallIds(await (await storage.checkpointer()).getTuple({ configurable: { thread_id: conversationId } })),
    passkeys: deps.passkeys,
    emergencyStop: () => guardrails.emergencyStop.state(),
    activeFreeze: (call) => guardrails.freezes.activeFor(call),
  });
}
