/**
 * The agent's use cases behind the HTTP routes: start a chat run, decide an approval and resume, stop a run,
 * list tools. Checks ownership and state, then starts the run in the background and returns its id at once;
 * the route streams the run's events from the bus. The run does not depend on the stream staying open.
 */
import { randomUUID } from 'node:crypto';
import type { AuthenticatedUser, Conversation } from '../ports/index.ts';
import { appendUserEntry } from '../timeline/apply-event.ts';
import { AgentRequestError } from './agent-request-error.ts';
import { buildAgentGraph } from '../graph/build-graph.ts';
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
  /** 404 unless the run exists in the user's conversation and its events are still kept */
  assertRunEvents(input: { user: AuthenticatedUser; conversationId: string; runId: string }): Promise<void>;
  /** resolves when every run started by this service has finished (for shutdown and tests) */
  idle(): Promise<void>;
}

/** How long a new request waits for a stopped run to finish checkpointing before answering 409. */
const STOPPED_RUN_GRACE_MS = 5_000;

export function createAgentService(deps: RunAgentDeps): AgentService {
  const { storage } = deps;
  // Compiled once per engine; each run passes its own RunContext to invoke.
  const runDeps = { ...deps, graph: buildAgentGraph({ ...deps, approvals: storage.approvals, checkpointer: storage.checkpointer }) };
  // Runs started by this process, so shutdown (and tests) can wait for them; the guard itself is storage.runs.
  const localRuns = new Map<string, Promise<unknown>>();

  async function ownedConversation(user: AuthenticatedUser, conversationId: string): Promise<Conversation> {
    const conversation = await storage.conversations.get(conversationId);
    // Another user's conversation is reported as missing, so ids cannot be probed.
    if (!conversation || conversation.userId !== user.id) {
      throw new AgentRequestError(404, 'CONVERSATION_NOT_FOUND', `Conversation ${conversationId} not found`);
    }
    return conversation;
  }

  /**
   * Claims the conversation for `runId` in storage, so that on ANY engine process a second chat or approval
   * while a run is active is refused: two runs on one checkpoint thread would interleave their state.
   */
  async function claim(conversationId: string, runId: string): Promise<void> {
    const stopWaitUntil = Date.now() + STOPPED_RUN_GRACE_MS;
    for (;;) {
      const claimed = await storage.runs.begin({ runId, conversationId, leaseMs: deps.config.runLeaseMs });
      if (claimed.ok) return;
      // A stopped run has already sent `completed` but may still be checkpointing; let it finish (briefly).
      if (Date.now() < stopWaitUntil && (await deps.bus.isStopRequested(claimed.active.runId))) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        continue;
      }
      throw new AgentRequestError(
        409,
        'RUN_IN_PROGRESS',
        `A run is already in progress for this conversation (run_id ${claimed.active.runId}); stop it with POST /agent/stop or wait for it to finish.`,
      );
    }
  }

  /** Returns the run's starter; the claim is released when the run ends (or its lease lapses if it never starts). */
  function launch(conversationId: string, runId: string, execute: () => Promise<RunResult>): () => Promise<RunResult> {
    let started: Promise<RunResult> | undefined;
    return () => {
      if (started) return started;
      // Renewing the lease is what tells other processes this run is alive; a third of the lease leaves slack.
      const renewal = setInterval(() => void storage.runs.renew(runId, deps.config.runLeaseMs).catch(() => undefined), Math.max(1, Math.floor(deps.config.runLeaseMs / 3)));
      renewal.unref();
      started = execute()
        .catch((error: unknown) => {
          deps.logger?.error({ err: error, runId }, 'agent run crashed');
          return { status: 'error', awaitingApproval: false } as RunResult;
        })
        .finally(async () => {
          clearInterval(renewal);
          await storage.runs.finish(runId).catch((error: unknown) => deps.logger?.error({ err: error, runId }, 'could not mark the run finished; its lease will free the conversation'));
          localRuns.delete(runId);
        });
      localRuns.set(runId, started);
      return started;
    };
  }

  return {
    async prepareChat({ user, conversationId, message }) {
      const content = message.trim();
      if (!content) throw new AgentRequestError(400, 'EMPTY_MESSAGE', 'The message is empty; send at least one user message with content.');
      const runId = randomUUID();
      let conversation: Conversation;
      if (conversationId) {
        conversation = await ownedConversation(user, conversationId);
        await claim(conversationId, runId);
        const awaiting = (await storage.approvals.listForConversation(conversationId)).filter((record) => record.status === 'awaiting');
        if (awaiting.length > 0) {
          await storage.runs.finish(runId);
          throw new AgentRequestError(
            409,
            'APPROVAL_PENDING',
            `This conversation has tool calls waiting for approval (${awaiting.map((record) => record.callId).join(', ')}); approve or deny them with POST /agent/approvals/{call_id} first.`,
          );
        }
      } else {
        conversation = await storage.conversations.create({ userId: user.id });
        await claim(conversation.id, runId);
      }
      const start = launch(conversation.id, runId, async () => {
        await storage.conversations.updateTimeline(conversation.id, (timeline) =>
          appendUserEntry(timeline, { id: randomUUID(), content, timestamp: Date.now() }),
        );
        return runAgent(runDeps, { runId, conversationId: conversation.id, userMessage: content, wantsTitle: !conversation.title });
      });
      return { runId, conversationId: conversation.id, start };
    },

    async prepareDecision({ user, conversationId, callId, approve, reason, argsHash }) {
      // Both reads at once (Postgres serves them in parallel); the record is only used once ownership is confirmed.
      const [, record] = await Promise.all([ownedConversation(user, conversationId), storage.approvals.get(conversationId, callId)]);
      if (!record) throw new AgentRequestError(404, 'APPROVAL_NOT_FOUND', `No tool call ${callId} is waiting for approval in this conversation.`);
      if (record.status !== 'awaiting') {
        throw new AgentRequestError(409, 'ALREADY_DECIDED', `Tool call ${callId} was already ${record.status}; nothing was executed again.`);
      }
      if (argsHash !== undefined && argsHash !== record.argsHash) {
        throw new AgentRequestError(409, 'ARGS_MISMATCH', `Tool call ${callId} is not the call you were shown (its arguments hash differs); reload the conversation and decide again.`);
      }
      const runId = randomUUID();
      await claim(conversationId, runId);
      // The atomic awaiting → decided update is what makes a double click (or two engines) execute once.
      const decided = await storage.approvals.decide({ conversationId, callId, approve, decidedBy: user.id, reason });
      if (!decided) {
        await storage.runs.finish(runId);
        throw new AgentRequestError(409, 'ALREADY_DECIDED', `Tool call ${callId} was already decided; nothing was executed again.`);
      }
      const start = launch(conversationId, runId, () => runAgent(runDeps, { runId, conversationId, wantsTitle: false, decided }));
      return { runId, conversationId, start };
    },

    async stop({ user, conversationId, runId }) {
      await ownedConversation(user, conversationId);
      const run = await storage.runs.get(runId);
      if (run && run.conversationId !== conversationId) throw new AgentRequestError(404, 'RUN_NOT_FOUND', `Run ${runId} does not belong to conversation ${conversationId}`);
      // Through the bus, so the engine process running the workflow aborts it, whichever one that is.
      await deps.bus.requestStop(runId);
    },

    async assertRunEvents({ user, conversationId, runId }) {
      await ownedConversation(user, conversationId);
      const run = await storage.runs.get(runId);
      if (!run || run.conversationId !== conversationId) {
        throw new AgentRequestError(404, 'RUN_NOT_FOUND', `Run ${runId} not found in conversation ${conversationId}; use the run_id of the \`ready\` event of a chat or approval stream.`);
      }
      const expiredBefore = Date.now() - deps.config.runEventsTtlSeconds * 1000;
      if (run.finishedAt && run.finishedAt.getTime() < expiredBefore) {
        throw new AgentRequestError(
          404,
          'RUN_EVENTS_EXPIRED',
          `Run ${runId} finished at ${run.finishedAt.toISOString()} and its events are no longer kept (EVENT_BUFFER_TTL_SECONDS); read the outcome with GET /conversations/${conversationId}.`,
        );
      }
    },

    async idle() {
      while (localRuns.size > 0) await Promise.all([...localRuns.values()]);
    },
  };
}
