/**
 * The calls proposed outside a model turn, each through the gate in a run of its own: an Undo (the inverse of an
 * executed call, tool-calls/undo/propose-undo.ts) and a call an MCP client outside Skyflo made
 * (tool-calls/propose/propose-external-call.ts). This wires both to the agent's runs and conversations.
 */
import { createUndoProposer, type UndoRunInput } from '../../domain/tool-calls/undo/propose-undo.ts';
import { createExternalCalls, type ExternalRunInput } from '../../domain/tool-calls/propose/propose-external-call.ts';
import { applyEventToTimeline } from '../../domain/timeline/apply-event.ts';
import { approvalPageUrl } from '../../domain/passkeys/passkey-approvals.ts';
import { runAgent } from './run-agent.ts';
import type { AgentContext } from './agent-context.ts';
import type { AgentService } from './agent-service-types.ts';

export function createUndoAndExternalCalls({ deps, storage, accessibleConversation, conversationClusters, claim, launch, runDeps }: AgentContext): Pick<AgentService, 'prepareUndo' | 'proposeExternalCall' | 'externalCallState' | 'cancelExternalCall'> {
  // an undo run, and an external call's, knows the conversation's cluster and the requester's scope like any other run (issue 22)
  const startInjectedRun = (conversationId: string, runId: string, input: UndoRunInput | ExternalRunInput) =>
    launch(conversationId, runId, async (release) => {
      const clusterContext = conversationClusters ? await conversationClusters.forRun(input.requester.id, (await storage.conversations.get(conversationId))?.cluster) : {};
      return runAgent(runDeps, { runId, conversationId, ...input, ...clusterContext, release });
    });

  const proposeUndo = createUndoProposer({
    approvals: storage.approvals,
    secretBox: deps.secretBox,
    ...(deps.audit ? { audit: deps.audit } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    accessibleConversation: (user, conversationId) => accessibleConversation(user, conversationId, 'act'),
    claim,
    release: (runId) => storage.runs.finish(runId),
    start: startInjectedRun,
  });

  const externalCalls = createExternalCalls({
    approvals: storage.approvals,
    ...(deps.audit ? { audit: deps.audit } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    createConversation: async (user, title) => {
      const pinned = await conversationClusters?.pinFor(user.id, undefined);
      return storage.conversations.create({ userId: user.id, title, ...(pinned ? { cluster: pinned } : {}) });
    },
    // the proposer's own conversation only: the state of a call is its proposer's to read
    ownConversation: async (user, conversationId) => {
      const found = await storage.conversations.get(conversationId);
      return found && found.userId === user.id ? found : undefined;
    },
    claim,
    // a withdrawn call's card says so, as a call closed unresumable does (close-unresumable.ts), and so do its Slack
    // and Teams cards (the team's notifier sees the closing event as it sees a run's)
    closeCard: async (conversationId, event) => {
      await storage.conversations.updateTimeline(conversationId, (timeline) => applyEventToTimeline(timeline, event));
      deps.observeEvent?.(event);
    },
    start: startInjectedRun,
    approvalPage: (conversationId, callId) => (deps.passkeys ? deps.passkeys.approvalPage(conversationId, callId) : approvalPageUrl('', conversationId, callId)),
  });

  return {
    prepareUndo: (input) => proposeUndo(input),
    proposeExternalCall: (input) => externalCalls.propose(input),
    externalCallState: ({ user, conversationId, callId }) => externalCalls.stateOf(user, conversationId, callId),
    cancelExternalCall: (input) => externalCalls.cancel(input),
  };
}
