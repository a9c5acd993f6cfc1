/**
 * One run per conversation, across every engine process: a chat, a decision or an Undo claims the conversation in
 * storage (storage.runs) before it starts, keeps the claim alive while it runs, and releases it when it ends. Split
 * out of the agent service (create-agent-service.ts), which asks `claim` and `launch` for each of its use cases.
 */
import { AgentRequestError } from '../../platform/errors/agent-request-error.ts';
import type { EventBus, Storage } from '../../platform/ports/index.ts';
import { isDatabaseUnavailable } from '../../platform/storage-faults/database-unavailable.ts';
import type { AgentConfig } from '../../platform/config/agent.ts';

/** How long a new request waits for a stopped run to finish checkpointing before answering 409. */
const STOPPED_RUN_GRACE_MS = 5_000;

/** The answer to a run the user's limit of concurrent runs refuses (also from a chat's one-statement start). */
export function tooManyRuns(running: number, maxRunsPerUser: number): AgentRequestError {
  return new AgentRequestError(
    429,
    'TOO_MANY_RUNS',
    `You already have ${running} agent runs in progress (the limit is ${maxRunsPerUser} per user, MAX_CONCURRENT_RUNS_PER_USER); wait for one to finish or stop it with POST /agent/stop.`,
  );
}

export interface ConversationRunsDeps {
  storage: Pick<Storage, 'runs'>;
  bus: Pick<EventBus, 'isStopRequested'>;
  config: Pick<AgentConfig, 'runLeaseMs' | 'maxRunsPerUser'>;
  logger?: { error(object: unknown, message?: string): void } | undefined;
  /**
   * Settles the cards a dead run left under way in the conversation (reconcile-orphaned-approvals.ts), when a claim
   * ended that run's lapsed lease itself: the reconciler names only the runs it ends, so it never would.
   */
  settleCardsOfDeadRun?: (conversationId: string) => Promise<boolean>;
}

export function createConversationRuns<Result extends { status: string; awaitingApproval: boolean; timelineIncomplete?: boolean }>(deps: ConversationRunsDeps) {
  const { storage } = deps;
  // Runs started by this process, so shutdown (and tests) can wait for them; the guard itself is storage.runs.
  const localRuns = new Map<string, Promise<unknown>>();
  // Runs of this process that have ended but whose claim could not be released yet (the database was down).
  const unreleased = new Set<string>();

  /**
   * Claims the conversation for `runId` in storage, so that on ANY engine process a second chat or approval
   * while a run is active is refused: two runs on one checkpoint thread would interleave their state.
   */
  async function claim(conversationId: string, runId: string, userId: string): Promise<void> {
    const stopWaitUntil = Date.now() + STOPPED_RUN_GRACE_MS;
    for (;;) {
      const claimed = await storage.runs.begin({ runId, conversationId, leaseMs: deps.config.runLeaseMs, userId, maxRunningPerUser: deps.config.maxRunsPerUser });
      // Before the new run writes its own cards, so the dead run's are not left spinning beside them; and also when
      // the claim is then refused (another claim took the conversation it freed, the user's limit filled): no one
      // else knows that run ended, so its cards would spin for ever.
      if (claimed.endedLapsedRun) await deps.settleCardsOfDeadRun?.(conversationId);
      if (claimed.ok) return;
      if (claimed.reason === 'user_limit') {
        throw tooManyRuns(claimed.running, deps.config.maxRunsPerUser);
      }
      // A run of this process that ended while the database was down still holds it: release it now rather than
      // refuse the user until the next retry (or the lease) frees it.
      if (unreleased.has(claimed.active.runId)) {
        await storage.runs.finish(claimed.active.runId);
        unreleased.delete(claimed.active.runId);
        continue;
      }
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

  /**
   * Frees the conversation's claim after a failed release, retrying while the database is unreachable (a restart):
   * otherwise the conversation stays refused (RUN_IN_PROGRESS) until the run's lease lapses, although the database
   * came back long before. Gives up after a lease, when the lapsed lease frees it anyway.
   */
  async function retryRelease(runId: string, error: unknown): Promise<void> {
    unreleased.add(runId);
    const giveUpAt = Date.now() + deps.config.runLeaseMs;
    try {
      while (isDatabaseUnavailable(error) && Date.now() < giveUpAt) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, deps.config.runLeaseMs / 4)).unref());
        if (!unreleased.has(runId)) return; // a claim on its conversation released it meanwhile
        try {
          await storage.runs.finish(runId);
          return;
        } catch (next) {
          error = next;
        }
      }
      deps.logger?.error({ err: error, runId }, 'could not mark the run finished; its lease will free the conversation');
    } finally {
      unreleased.delete(runId);
    }
  }

  /**
   * Returns the run's starter; `execute` gets the claim's release, which the run calls just before its `completed`
   * (run-agent.ts); the claim is released again, if need be, when the run ends (or its lease lapses if it never starts).
   */
  function launch(conversationId: string, runId: string, execute: (release: (finishedByTimelineWrite?: boolean) => Promise<void>) => Promise<Result>): () => Promise<Result> {
    let started: Promise<Result> | undefined;
    return () => {
      if (started) return started;
      // Renewing the lease is what tells other processes this run is alive; a third of the lease leaves slack.
      const renewal = setInterval(() => void storage.runs.renew(runId, deps.config.runLeaseMs).catch(() => undefined), Math.max(1, Math.floor(deps.config.runLeaseMs / 3)));
      renewal.unref();
      let released = false;
      const release = async (finishedByTimelineWrite = false) => {
        if (!finishedByTimelineWrite) await storage.runs.finish(runId);
        released = true;
      };
      // A run the database refused a write may have lost timeline writes (run-agent.ts): its claim is released as any
      // run's (retried while the database is unreachable), and its cards are settled from the approval rows, which
      // committed with each change, once the database takes writes again (a full disk may take a tiny release long
      // before the timeline's rewrite): retried in the background until it works.
      let timelineIncomplete = false;
      started = execute(release)
        .then((result) => {
          timelineIncomplete = result.timelineIncomplete === true;
          return result;
        })
        .catch((error: unknown) => {
          deps.logger?.error({ err: error, runId }, 'agent run crashed');
          return { status: 'error', awaitingApproval: false } as Result;
        })
        .finally(async () => {
          clearInterval(renewal);
          // Released before `completed` already, normally: then not again (a statement per run saved). Otherwise now;
          // retries are not awaited by idle().
          if (!released) await storage.runs.finish(runId).catch((error: unknown) => void retryRelease(runId, error));
          if (timelineIncomplete) void settleWhenWritable(conversationId);
          localRuns.delete(runId);
        });
      localRuns.set(runId, started);
      return started;
    };
  }

  /**
   * Settles a conversation whose run lost timeline writes, retrying (every second or so, for up to an hour) until the
   * database takes the write; not awaited by idle() or shutdown (the reconciler's own passes settle dead runs after a
   * restart).
   */
  async function settleWhenWritable(conversationId: string): Promise<void> {
    if (!deps.settleCardsOfDeadRun) return;
    const giveUpAt = Date.now() + 60 * 60_000;
    while (!(await deps.settleCardsOfDeadRun(conversationId)) && Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, Math.max(100, deps.config.runLeaseMs / 4))).unref());
    }
  }

  /** Resolves when every run started here has finished. */
  async function settled(): Promise<void> {
    while (localRuns.size > 0) await Promise.all([...localRuns.values()]);
  }

  return { claim, launch, settled };
}
