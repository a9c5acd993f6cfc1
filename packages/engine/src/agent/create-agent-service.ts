/**
 * The agent's use cases behind the HTTP routes: start a chat run, decide an approval and resume, stop a run,
 * list tools. Checks ownership and state, then starts the run in the background and returns its id at once;
 * the route streams the run's events from the bus. The run does not depend on the stream staying open.
 */
import { randomUUID } from 'node:crypto';
import type { AuthenticatedUser, Conversation } from '../ports/index.ts';
import { appendUserEntry } from '../timeline/apply-event.ts';
import { AgentRequestError } from './agent-request-error.ts';
import { runAgent, type RunAgentDeps, type RunResult } from './run-agent.ts';

export interface StartedRun {
  runId: string;
  conversationId: string;
  /** starts the run; call after subscribing to the run's events */
  start(): Promise<RunResult>;
}

export interface AgentService {
  prepareChat(input: { user: AuthenticatedUser; conversationId?: string; message: string }): Promise<StartedRun>;
  prepareDecision(input: { user: AuthenticatedUser; conversationId: string; callId: string; approve: boolean; reason?: string; argsHash?: string }): Promise<StartedRun>;
  stop(input: { user: AuthenticatedUser; conversationId: string; runId: string }): Promise<void>;
  /** 404 unless the user owns the conversation */
  assertOwner(input: { user: AuthenticatedUser; conversationId: string }): Promise<void>;
  /** resolves when every run started by this service has finished (for shutdown and tests) */
  idle(): Promise<void>;
}

export function createAgentService(deps: RunAgentDeps): AgentService {
  const { storage } = deps;
  // One run at a time per conversation in this process: two runs on one checkpoint thread would interleave.
  const activeRuns = new Map<string, { runId: string; done: Promise<unknown> }>();

  async function ownedConversation(user: AuthenticatedUser, conversationId: string): Promise<Conversation> {
    const conversation = await storage.conversations.get(conversationId);
    // Another user's conversation is reported as missing, so ids cannot be probed.
    if (!conversation || conversation.userId !== user.id) {
      throw new AgentRequestError(404, 'CONVERSATION_NOT_FOUND', `Conversation ${conversationId} not found`);
    }
    return conversation;
  }

  async function assertIdle(conversationId: string) {
    let active = activeRuns.get(conversationId);
    // A stopped run has already sent `completed` but may still be checkpointing; let it finish (briefly).
    if (active && (await deps.bus.isStopRequested(active.runId))) {
      await Promise.race([active.done, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      active = activeRuns.get(conversationId);
    }
    if (active) {
      throw new AgentRequestError(409, 'RUN_IN_PROGRESS', `A run (${active.runId}) is still in progress for this conversation; wait for it to finish or stop it with POST /agent/stop.`);
    }
  }

  function launch(conversationId: string, runId: string, execute: () => Promise<RunResult>): () => Promise<RunResult> {
    let started: Promise<RunResult> | undefined;
    // Reserve the conversation now, so a second request is refused even before the first stream subscribes.
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    activeRuns.set(conversationId, { runId, done });
    return () => {
      started ??= execute()
        .catch((error: unknown) => {
          deps.logger?.error({ err: error, runId }, 'agent run crashed');
          return { status: 'error', awaitingApproval: false } as RunResult;
        })
        .finally(() => {
          if (activeRuns.get(conversationId)?.runId === runId) activeRuns.delete(conversationId);
          release();
        });
      return started;
    };
  }

  return {
    async prepareChat({ user, conversationId, message }) {
      const content = message.trim();
      if (!content) throw new AgentRequestError(400, 'EMPTY_MESSAGE', 'The message is empty; send at least one user message with content.');
      let conversation: Conversation;
      if (conversationId) {
        conversation = await ownedConversation(user, conversationId);
        await assertIdle(conversationId);
        const awaiting = (await storage.approvals.listForConversation(conversationId)).filter((record) => record.status === 'awaiting');
        if (awaiting.length > 0) {
          throw new AgentRequestError(
            409,
            'APPROVAL_PENDING',
            `This conversation has tool calls waiting for approval (${awaiting.map((record) => record.callId).join(', ')}); approve or deny them with POST /agent/approvals/{call_id} first.`,
          );
        }
      } else {
        conversation = await storage.conversations.create({ userId: user.id });
      }
      const runId = randomUUID();
      const start = launch(conversation.id, runId, async () => {
        await storage.conversations.updateTimeline(conversation.id, (timeline) =>
          appendUserEntry(timeline, { id: randomUUID(), content, timestamp: Date.now() }),
        );
        return runAgent(deps, { runId, conversationId: conversation.id, userMessage: content, wantsTitle: !conversation.title });
      });
      return { runId, conversationId: conversation.id, start };
    },

    async prepareDecision({ user, conversationId, callId, approve, reason, argsHash }) {
      await ownedConversation(user, conversationId);
      const record = await storage.approvals.get(conversationId, callId);
      if (!record) throw new AgentRequestError(404, 'APPROVAL_NOT_FOUND', `No tool call ${callId} is waiting for approval in this conversation.`);
      if (record.status !== 'awaiting') {
        throw new AgentRequestError(409, 'ALREADY_DECIDED', `Tool call ${callId} was already ${record.status}; nothing was executed again.`);
      }
      if (argsHash !== undefined && argsHash !== record.argsHash) {
        throw new AgentRequestError(409, 'ARGS_MISMATCH', `Tool call ${callId} is not the call you were shown (its arguments hash differs); reload the conversation and decide again.`);
      }
      await assertIdle(conversationId);
      // The atomic awaiting → decided update is what makes a double click (or two engines) execute once.
      const decided = await storage.approvals.decide({ conversationId, callId, approve, decidedBy: user.id, reason });
      if (!decided) throw new AgentRequestError(409, 'ALREADY_DECIDED', `Tool call ${callId} was already decided; nothing was executed again.`);
      const runId = randomUUID();
      const start = launch(conversationId, runId, () => runAgent(deps, { runId, conversationId, wantsTitle: false }));
      return { runId, conversationId, start };
    },

    async stop({ user, conversationId, runId }) {
      await ownedConversation(user, conversationId);
      const local = [...activeRuns.entries()].find(([, active]) => active.runId === runId);
      if (local && local[0] !== conversationId) throw new AgentRequestError(404, 'RUN_NOT_FOUND', `Run ${runId} does not belong to conversation ${conversationId}`);
      // Through the bus, so the engine process running the workflow aborts it, whichever one that is.
      await deps.bus.requestStop(runId);
    },

    async assertOwner({ user, conversationId }) {
      await ownedConversation(user, conversationId);
    },

    async idle() {
      while (activeRuns.size > 0) await Promise.all([...activeRuns.values()].map((active) => active.done));
    },
  };
}
