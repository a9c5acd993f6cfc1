/**
 * One run of the workflow: wires the run's stop signal to the bus, publishes events (with timestamp,
 * conversation_id and run_id) and folds them into the conversation's timeline (run-timeline.ts), invokes the graph,
 * names the conversation (run-title.ts), and always ends with exactly one `completed` event. Persistence happens here,
 * on the producer side, so a client that disconnects (or a failed approval stream) loses nothing. A storage failure
 * during the run (a timeline, approval or checkpoint write the database refuses) ends it with `workflow.error` +
 * `completed(error)` (what it says: run-failure.ts): a client must never be left with heartbeats and no end.
 */
import { gateLogLineOfEvent } from '../../domain/tool-calls/gate-log-lines.ts';
import { traceRun } from '../../platform/observability/tracing/spans.ts';
import { GraphRecursionError, isGraphBubbleUp } from '@langchain/langgraph/web';
import type { AgentEvent, AgentEventPayload, AgentEventType, CompletedStatus } from '@skyflo/protocol';
import type { ModelMessage } from 'ai';
import type { Emit, RunContext } from '../graph/run-context.ts';
import type { AgentStateValue } from '../graph/state.ts';
import { runInput } from '../graph/run-input.ts';
import type { Storage } from '../../platform/ports/index.ts';
import { busFailureEvent, isStorageError, storageFailureEvent } from './run-failure.ts';
import { createSecretScrubber } from '../graph/scrub-secrets.ts';
import { claimDecidedAtStart, releaseUnusedClaim } from '../../domain/tool-calls/execute/execution-claim.ts';
import { runEndedReason, userStopCause } from '../../domain/tool-calls/core/gate-tools.ts';
import type { RunAgentWith, RunInput, RunResult } from './run-agent-types.ts';
import { createRunTimeline, defaultTimelineFlushMs } from './run-timeline.ts';
import { createRunTitle } from './run-title.ts';

export type { RunAgentDeps, RunAgentWith, RunInput, RunResult } from './run-agent-types.ts';
export { defaultTimelineFlushMs } from './run-timeline.ts';

/** What the conversation's earlier turns cost, from the usage its timeline keeps (for AGENT_TOKEN_BUDGET). */
async function tokensSpent(storage: Storage, conversationId: string): Promise<number> {
  const conversation = await storage.conversations.get(conversationId);
  let total = 0;
  for (const entry of conversation?.timeline ?? []) {
    if (entry.type === 'assistant' && typeof entry.token_usage?.['total_tokens'] === 'number') total += entry.token_usage['total_tokens'] as number;
  }
  return total;
}

const firstLineOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);

/** One run, its trace's root span (issue 39; a no-op span unless OTEL tracing is on). */
export function runAgent(deps: RunAgentWith, input: RunInput): Promise<RunResult> {
  return traceRun({ runId: input.runId, conversationId: input.conversationId, kind: input.userMessage !== undefined ? 'chat' : 'decision' }, () => runAgentTraced(deps, input));
}

async function runAgentTraced(deps: RunAgentWith, input: RunInput): Promise<RunResult> {
  const { storage, bus } = deps;
  const controller = new AbortController();
  const startedAt = Date.now();
  // `completed` is the last event a client sees; anything the unwinding run emits after it is persisted only.
  let completedSent = false;
  /** set when publishing failed: the bus (Redis) is down */
  let busFailure: unknown;
  /** set when a write of this run failed (timeline, approval, checkpoint): the run ends with an error */
  let storageFailure: unknown;
  const failStorage = (error: unknown) => {
    if (storageFailure) return;
    storageFailure = error;
    deps.onStorageFailure?.(error);
    deps.logger?.error({ err: error, runId: input.runId }, 'storage failed during a run; ending the run');
    controller.abort(runEndedReason(`the run ended because the database failed (${firstLineOf(error)})`));
  };
  const completedPayload = (status: CompletedStatus, extra: { awaitingApproval?: boolean; failure?: string } = {}) => {
    const durationMs = Date.now() - startedAt;
    return {
      status,
      duration: durationMs / 1000,
      duration_ms: durationMs,
      ...(extra.awaitingApproval ? { awaiting_approval: true } : {}),
      ...(extra.failure ? { error: extra.failure } : {}),
    };
  };
  const timeline = createRunTimeline({ storage, conversationId: input.conversationId, runId: input.runId, flushMs: deps.timelineFlushMs ?? defaultTimelineFlushMs, onWriteFailure: failStorage });
  const title = createRunTitle(deps, input, controller.signal);

  const scrubSecrets = createSecretScrubber(deps.llm.secrets ?? []);

  async function emit<T extends AgentEventType>(type: T, payload: AgentEventPayload<T>, options: { early?: boolean } = {}): Promise<void> {
    if (type === 'completed' && completedSent) return;
    if (title.wanted && type === 'generation.complete') title.askFromAnswer((payload as unknown as AgentEventPayload<'generation.complete'>).content);
    const event = scrubSecrets({ conversation_id: input.conversationId, ...payload, type, timestamp: Date.now(), run_id: input.runId }) as unknown as AgentEvent;
    timeline.persist(event);
    try {
      deps.observeEvent?.(event);
    } catch (error) {
      deps.logger?.error({ err: error, runId: input.runId }, 'run event observer failed');
    }
    // a refused or lost execution and a failed preview get a line of their own in the log (issue 80 item 7)
    const line = gateLogLineOfEvent(event as unknown as { type: string });
    if (line) deps.logger?.[line.level](line.fields, line.message);
    if (completedSent) return;
    if (type === 'completed') {
      completedSent = true;
      // Normally the timeline is complete before the client is told the run is over (it may reload it at once),
      // and the conversation is free for its next chat or decision.
      if (!options.early) {
        timeline.finishRunOnNextWrite = input.release !== undefined;
        await timeline.flush();
        // no write took it (nothing was left to write): the release is a statement of its own
        timeline.finishRunOnNextWrite = false;
        await input.release?.(timeline.finishedByTimelineWrite).catch((error: unknown) => deps.logger?.error({ err: error, runId: input.runId }, 'could not release the conversation before completed; retried when the run ends'));
      }
    }
    try {
      await bus.publish(input.runId, type, event as unknown as Record<string, unknown>);
    } catch (error) {
      // Not a model failure and not the run's fault: the run stops (it can no longer be watched or stopped from
      // other processes), keeps what it produced (the timeline is in the database), and says why at the end.
      if (!busFailure) {
        busFailure = error;
        deps.logger?.error({ err: error, runId: input.runId }, 'event bus failed during a run; ending the run');
        controller.abort(runEndedReason(`the run ended because the event bus failed (${firstLineOf(error)})`));
      }
    }
  }

  const run: RunContext = {
    runId: input.runId,
    conversationId: input.conversationId,
    kind: input.userMessage !== undefined ? 'chat' : 'decision',
    requester: input.requester,
    ...(input.approver ? { approver: input.approver } : {}),
    startedAt,
    signal: controller.signal,
    emit: emit as Emit,
    ttftSent: false,
    decisions: {},
    ...(input.decided ? { decided: input.decided } : {}),
    ...(input.cluster ? { cluster: input.cluster } : {}),
    ...(input.scope ? { scope: input.scope } : {}),
    ...(input.clusterPrompt ? { clusterPrompt: input.clusterPrompt } : {}),
  };
  // The call this run's decision approved is claimed now, while the graph resumes (issue 38 goal 5); released below if
  // the run never reaches it.
  claimDecidedAtStart({ approvals: storage.approvals, enforcement: deps.enforcement }, run);
  if (deps.config.tokenBudget !== undefined) {
    try {
      run.tokensUsed = await tokensSpent(storage, input.conversationId);
    } catch (error) {
      failStorage(error);
    }
  }

  // A stop ends the stream at once: the model request and any running tool are aborted by the same signal, and
  // `completed(stopped)` goes out without waiting for the graph to unwind and checkpoint (which follows).
  let unsubscribeStop: () => Promise<void> = async () => {};
  try {
    unsubscribeStop = await bus.onStop(input.runId, () => {
      if (controller.signal.aborted) return;
      controller.abort(runEndedReason(userStopCause));
      if (!completedSent) void emit('completed', completedPayload('stopped'), { early: true }).catch(() => {});
    });
  } catch (error) {
    busFailure = error;
    controller.abort(runEndedReason(`the run ended because the event bus failed (${firstLineOf(error)})`));
  }

  /** A claim sent at the start for a call the run never reached is released before the run says it is over. */
  const releaseClaim = () =>
    releaseUnusedClaim({ approvals: storage.approvals, enforcement: deps.enforcement }, run).catch((error: unknown) => {
      // the reconciler closes it once the run is over (as outcome unknown: it cannot tell it never ran)
      deps.logger?.error({ err: error, runId: input.runId }, 'could not release the execution claim of a call the run did not reach');
    });

  let status: CompletedStatus = 'completed';
  let awaitingApproval = false;
  let failure: string | undefined;
  let finalState: AgentStateValue | undefined;
  try {
    if (busFailure) throw busFailure;
    if (storageFailure) throw storageFailure;
    if (input.prepare) {
      try {
        await input.prepare();
      } catch (error) {
        failStorage(error);
        throw error;
      }
    }
    // Issue 36: matching runbooks join the system prompt for this run, and the answer names them (runbook.used).
    const runbook = input.userMessage !== undefined ? await deps.runbooks?.contextFor(input.userMessage).catch((error: unknown) => void deps.logger?.error({ err: error, runId: input.runId }, 'could not read the runbooks; the run goes on without them')) : undefined;
    if (runbook) {
      run.clusterPrompt = [run.clusterPrompt, runbook.prompt].filter(Boolean).join('\n\n');
      await emit('runbook.used', { runbooks: runbook.used });
    }
    // Issue 81: the requester's own resolved incidents like this one, cited "Seen before: …" (not for scheduled checks:
    // their earlier runs are compared with findings.ts instead).
    const remembered =
      input.userMessage !== undefined && !input.requester.schedule
        ? await deps.incidentMemory?.contextFor({ userId: input.requester.id, conversationId: input.conversationId, message: input.userMessage }).catch((error: unknown) => void deps.logger?.error({ err: error, runId: input.runId }, 'could not read past incidents; the run goes on without them'))
        : undefined;
    if (remembered) {
      run.clusterPrompt = [run.clusterPrompt, remembered.prompt].filter(Boolean).join('\n\n');
      await emit('memory.used', { incidents: remembered.incidents.map((incident) => ({ conversation_id: incident.conversationId, title: incident.title, date: incident.date, resolved_by: incident.resolvedBy })) });
    }
    const graphInput = runInput({
      runId: input.runId,
      stopped: controller.signal.aborted,
      ...(input.userMessage !== undefined ? { messages: [{ role: 'user', content: input.userMessage } as ModelMessage] } : (input.inject ?? {})),
    });
    finalState = (await deps.graph.invoke(graphInput, {
      configurable: { thread_id: input.conversationId },
      // the same object reaches every node (LangGraph passes context by reference), so ttftSent/decisions are shared
      context: run as unknown as Record<string, unknown>,
      // Our own iteration counter stops the model loop with a clear message; this is only a backstop.
      recursionLimit: deps.config.maxIterations * 3 + 10,
      // One checkpoint when the run ends (also on error or stop) instead of one per step. Every state a later run
      // resumes from (awaiting approval, finished turn) is an end of a run, so nothing resumable is lost; a crash
      // mid-run resumes from the previous end, and the approval store (claimExecution) keeps a tool from running
      // twice. Per-step writes cost several PGlite transactions between an approval and tool.executing (P4).
      durability: 'exit',
    })) as AgentStateValue;
    awaitingApproval = finalState.awaitingApproval;
    if (busFailure || storageFailure) status = 'error';
    else if (finalState.stopped || controller.signal.aborted) status = 'stopped';
    else if (finalState.error) {
      status = 'error';
      failure = finalState.error;
    }
  } catch (error) {
    if (isGraphBubbleUp(error)) {
      await releaseClaim();
      throw error;
    }
    if (isStorageError(error)) failStorage(error);
    status = controller.signal.aborted && !busFailure && !storageFailure ? 'stopped' : 'error';
    if (status === 'error' && !busFailure && !storageFailure) {
      failure =
        error instanceof GraphRecursionError
          ? `The AI Agent has reached the maximum number of iterations of ${deps.config.maxIterations} (LLM_MAX_ITERATIONS).`
          : `The agent failed: ${error instanceof Error ? error.message : String(error)}`;
      deps.logger?.error({ err: error, runId: input.runId }, 'agent run failed');
      await emit('workflow.error', { error: failure, code: 'WORKFLOW_ERROR' }).catch(() => {});
    }
  }

  await releaseClaim();

  if (storageFailure && !busFailure) {
    const event = storageFailureEvent(storageFailure, storage.label);
    failure = event.error;
    status = 'error';
    awaitingApproval = false;
    await emit('workflow.error', event);
  }

  if (busFailure) {
    const event = busFailureEvent(busFailure);
    failure = event.error;
    status = 'error';
    await emit('workflow.error', event);
  }

  try {
    const named = await title.atEnd(status, finalState?.messages);
    // A stopped run still names its conversation: a title asked of the model when the stop came falls back to the
    // user's words (generateTitle catches the abort).
    if (named && (await storage.conversations.setTitleIfEmpty(input.conversationId, named))) {
      await emit('conversation.title.generated', { conversation_id: input.conversationId, title: named } as AgentEventPayload<'conversation.title.generated'>);
    }
  } catch (error) {
    deps.logger?.error({ err: error, runId: input.runId }, 'title generation failed');
  }

  try {
    await emit('completed', completedPayload(status, { awaitingApproval, failure }));
    await timeline.flush();
  } finally {
    await unsubscribeStop().catch(() => {});
  }
  return { status, awaitingApproval, ...(storageFailure ? { timelineIncomplete: true } : {}) };
}
