/**
 * What the agent's use cases share, built once per engine by createAgentService (create-agent-service.ts) and handed to
 * each use case beside it (prepare-chat.ts, prepare-decision.ts, run-requests.ts, engine-proposed-calls.ts): the
 * compiled graph and the run dependencies, the one-run-per-conversation claims, the decision rules' facts, the
 * conversations' clusters, and the access check every request makes.
 */
import type { AuthenticatedUser, PlatformStorage } from '../../platform/ports/index.ts';
import { symptomQueryIn } from '../../domain/tool-calls/verify/symptom-check.ts';
import { createDecisionFactsGatherer } from '../../domain/tool-calls/decide/gather-facts.ts';
import { conversationAccess, type ConversationAction } from '../../domain/tool-calls/decide/conversation-access.ts';
import { settleCardsOfDeadRunsIn } from '../../domain/tool-calls/execute/reconcile-orphaned-approvals.ts';
import { AgentRequestError } from '../../platform/errors/agent-request-error.ts';
import { createConversationRuns } from './conversation-runs.ts';
import { buildAgentGraph } from '../graph/build-graph.ts';
import { createResumeCheckpoints, pausedCallIds } from '../graph/resume-checkpoint.ts';
import type { RunAgentDeps, RunAgentWith, RunResult } from './run-agent-types.ts';
import { createRunEventAuditor } from '../../domain/audit/run-event-auditor.ts';
import { createSecretScrubber } from '../graph/scrub-secrets.ts';
import { createConversationClusters } from '../../domain/clusters/conversation-cluster.ts';
import type { AgentServiceDeps, ConversationFacts } from './agent-service-types.ts';

export type AgentContext = Awaited<ReturnType<typeof createAgentContext>>;

export async function createAgentContext(deps: AgentServiceDeps) {
  const { storage } = deps;
  const checkpointer = await storage.checkpointer();
  // The configured LLM keys never reach the audit trail, even pasted into a chat. Read per call: the key can change
  // at runtime (PUT /settings/llm).
  const scrubSecrets = (text: string) => createSecretScrubber(deps.llm.secrets ?? [])(text);
  // Tool calls proposed and executed go to the audit trail from the run's (scrubbed) events.
  const auditor = deps.audit
    ? createRunEventAuditor({ audit: deps.audit, ownerOf: async (id) => (await (storage.conversations.access ? storage.conversations.access(id) : storage.conversations.get(id)))?.userId, ...(deps.logger ? { logger: deps.logger } : {}) })
    : undefined;
  const observeEvent: RunAgentDeps['observeEvent'] = auditor
    ? (event) => {
        auditor.observe(event);
        deps.observeEvent?.(event);
      }
    : deps.observeEvent;
  // A decision hands the checkpoint it read to the run it starts (graph/resume-checkpoint.ts): one read, not two.
  const checkpoints = createResumeCheckpoints(checkpointer);
  // Compiled once per engine; each run passes its own RunContext to invoke.
  // issue 78: a change's verification re-asks the symptom query the conversation ran (when a data source exists)
  const symptomQuery = async (conversationId: string) => symptomQueryIn((await storage.conversations.get(conversationId))?.timeline ?? []);
  const runDeps: RunAgentWith = { ...deps, ...(observeEvent ? { observeEvent } : {}), graph: buildAgentGraph({ ...deps, approvals: storage.approvals, checkpointer: checkpoints.saver, symptomQuery }) };
  // One run per conversation, on any engine process (conversation-runs.ts): each use case claims, then launches.
  const { claim, launch, settled } = createConversationRuns<RunResult>({
    storage,
    bus: deps.bus,
    config: deps.config,
    logger: deps.logger,
    settleCardsOfDeadRun: (conversationId) => settleCardsOfDeadRunsIn({ storage, logger: deps.logger }, conversationId),
  });
  const idle = async () => {
    await settled();
    await auditor?.flush();
  };

  const policy = deps.approvalPolicy ?? { policy: 'self' as const, fourEyes: false };
  // Every fact a decision's rules read, gathered as the pending list gathers them (tool-calls/decide/gather-facts.ts).
  const decisionFacts = createDecisionFactsGatherer({
    environment: policy,
    approvals: storage.approvals,
    conversations: storage.conversations,
    scopeOf: deps.scopeOf,
    // the clusters configured now (issue 37 item 7): unknown when the MCP server cannot answer — execution still checks
    ...(deps.clusters ? { configuredClusters: () => deps.clusters!.directory.list() } : {}),
    pausedCallIds: async (conversationId) => pausedCallIds(await checkpoints.read(conversationId)),
    passkeys: deps.passkeys,
    inspector: deps.inspector,
    // issue 76: nothing is approved while the emergency stop is on
    ...(deps.emergencyStop ? { emergencyStop: () => deps.emergencyStop!.state() } : {}),
    ...(deps.freezes ? { activeFreeze: (call: { cluster?: string | undefined; namespaces: readonly string[] }) => deps.freezes!.activeFor(call) } : {}),
  });
  // A chat's start writes its audit record with its claim only where the audit trail is the storage's own.
  const ownAuditTrail = !deps.audit || deps.audit === (storage as Partial<PlatformStorage>).audit;
  const conversationClusters = deps.clusters ? createConversationClusters({ ...deps.clusters, ...(deps.scopeOf ? { scopeOf: deps.scopeOf } : {}) }) : undefined;
  const notFound = (conversationId: string) => new AgentRequestError(404, 'CONVERSATION_NOT_FOUND', `Conversation ${conversationId} not found`);

  /**
   * The conversation, when `user` may do `action` with it (tool-calls/decide/conversation-access.ts): chatting (`change`) only in
   * your own; deciding, stopping and re-attaching (`act`) also, with APPROVAL_POLICY=approver, as an approver or admin.
   * Refused access is reported as missing, so ids cannot be probed.
   */
  async function accessibleConversation(user: AuthenticatedUser, conversationId: string, action: ConversationAction): Promise<ConversationFacts> {
    // Its owner, cluster and title, not its timeline: a long conversation's is megabytes to read.
    const found = storage.conversations.access ? await storage.conversations.access(conversationId) : await storage.conversations.get(conversationId);
    // the actor's cluster scope matters only in someone else's conversation (issue 74 item 8)
    const actorScope = found && found.userId !== user.id ? await deps.scopeOf?.(user.id) : undefined;
    if (!found || !conversationAccess({ policy: policy.policy, actor: user, conversationOwnerId: found.userId, reach: { actorScope, conversationCluster: found.cluster } }, action)) throw notFound(conversationId);
    return { id: conversationId, userId: found.userId, title: found.title ?? '', ...(found.cluster !== undefined ? { cluster: found.cluster } : {}) };
  }

  return { deps, storage, scrubSecrets, observeEvent, checkpoints, runDeps, claim, launch, idle, policy, decisionFacts, ownAuditTrail, conversationClusters, accessibleConversation };
}
