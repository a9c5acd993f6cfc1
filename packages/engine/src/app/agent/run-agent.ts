/**
 * One run of the workflow: wires the run's stop signal to the bus, publishes events (with timestamp,
 * conversation_id and run_id) and folds them into the conversation's timeline, invokes the graph, names the
 * conversation, and always ends with exactly one `completed` event. Persistence happens here, on the producer
 * side, so a client that disconnects (or a failed approval stream) loses nothing. A storage failure during the run
 * (a timeline, approval or checkpoint write the database refuses) ends it with `workflow.error` + `completed(error)`
 * (what it says: run-failure.ts): a client must never be left with heartbeats and no end.
 */
import { gateLogLineOfEvent } from '../../domain/tool-calls/gate-log-lines.ts';
import { traceRun } from '../../platform/observability/tracing/spans.ts';
import { GraphRecursionError, isGraphBubbleUp } from '@langchain/langgraph/web';
import type { AgentEvent, AgentEventPayload, AgentEventType, CompletedStatus, TimelineEntry } from '@skyflo/protocol';
import type { ModelMessage } from 'ai';
import type { AgentGraph } from '../graph/build-graph.ts';
import type { Emit, GraphDeps, RunContext } from '../graph/run-context.ts';
import type { AgentStateValue } from '../graph/state.ts';
import { runInput } from '../graph/run-input.ts';
import { affectsTimeline, applyEventToTimeline } from '../../domain/timeline/apply-event.ts';
import type { ApprovalRecord, EventBus, Storage } from '../../platform/ports/index.ts';
import { busFailureEvent, isStorageError, storageFailureEvent } from './run-failure.ts';
import { fallbackTitle, generateTitle } from './generate-title.ts';
import { createSecretScrubber } from '../graph/scrub-secrets.ts';
import type { Runbooks } from '../runbooks/create-runbooks.ts';
import type { IncidentMemory } from '../incident-memory/incident-memory.ts';
import { claimDecidedAtStart, releaseUnusedClaim } from '../../domain/tool-calls/execute/execution-claim.ts';
import { runEndedReason, userStopCause } from '../../domain/tool-calls/core/gate-tools.ts';

export interface RunAgentDeps extends Omit<GraphDeps, 'approvals' | 'checkpointer'> {
  storage: Storage;
  bus: EventBus;
  logger?: { error(object: unknown, message?: string): void; warn(object: unknown, message?: string): void; info(object: unknown, message?: string): void };
  /**
   * Sees every event of every run after it is scrubbed (the audit trail's tool-call records, metrics). Must not
   * throw or block: it is called synchronously on the run's hot path.
   */
  observeEvent?: (event: AgentEvent) => void;
  /** told of a write the storage refused during a run (a full disk is remembered for /health: storage/disk-full.ts) */
  onStorageFailure?: (error: unknown) => void;
  /** override of defaultTimelineFlushMs (tests) */
  timelineFlushMs?: number;
  /** the team's runbooks matching a chat's message, fenced for the system prompt (runbooks/create-runbooks.ts) */
  runbooks?: Pick<Runbooks, 'contextFor'>;
  /** issue 81: the requester's resolved past incidents like this message, fenced for the system prompt */
  incidentMemory?: Pick<IncidentMemory, 'contextFor'>;
}

/** What one run needs: the service's dependencies plus the graph it compiled once (graph/build-graph.ts). */
export type RunAgentWith = RunAgentDeps & { graph: AgentGraph };

export interface RunInput {
  runId: string;
  conversationId: string;
  /** the new user message (chat); absent when resuming after an approval decision */
  userMessage?: string;
  /** generate a title when the conversation has none */
  wantsTitle: boolean;
  /** the approval decided just before this run (saves the gate re-reading the row it was returned by) */
  decided?: ApprovalRecord;
  /** the conversation's owner, shown as the requester of the calls this run proposes */
  requester: { id: string; email?: string; alert?: string; /** issue 81: a scheduled check's run (read-only ones propose nothing) */ schedule?: { name: string; readOnly: boolean } };
  /** who decided the approval that started this run */
  approver?: RunContext['approver'];
  /** the conversation's cluster, the requester's scope and the prompt naming them (issue 22) */
  cluster?: string;
  scope?: RunContext['scope'];
  clusterPrompt?: string;
  /**
   * A storage write that belongs to the run but precedes the graph (the chat's user entry in the timeline); it runs
   * inside the run, so its failure ends the run with `workflow.error` + `completed(error)` like any other.
   */
  prepare?: () => Promise<void>;
  /**
   * Issue 21 (Undo): history and calls added to the conversation's state before the graph runs, so the engine's own
   * proposal (the inverse of an executed call) goes through the gate like any call: previewed, recorded, awaiting.
   */
  inject?: { messages: ModelMessage[]; pendingTools: AgentStateValue['pendingTools'] };
  /**
   * Frees the conversation's claim (storage.runs). Called once the run's work and timeline are done, just before its
   * final `completed` is sent: a client that approves the moment it sees `completed{awaiting_approval}` (or chats on
   * at `completed`) must find the conversation free, not be refused with RUN_IN_PROGRESS (issue 32 item 4). Not
   * called for the early `completed(stopped)`: the stopped graph is still unwinding and checkpointing then.
   * `finishedByTimelineWrite`: the run's last timeline write already marked it finished, in the same statement
   * (storage.conversations.updateTimelineAndFinishRun); the claim is only to be recorded as released.
   */
  release?: (finishedByTimelineWrite?: boolean) => Promise<void>;
}

export interface RunResult {
  status: CompletedStatus;
  awaitingApproval: boolean;
  /**
   * The database refused a write of the run (a timeline write may be lost): the conversation's cards are settled from
   * the approval rows once the database takes writes again (conversation-runs.ts).
   */
  timelineIncomplete?: boolean;
}

/**
 * Timeline events that complete what the client already shows (a metric, the finished text it streamed, the usage,
 * the approval it just sent): persisted with the run's next write, or after defaultTimelineFlushMs at the latest, instead of
 * costing a write of their own. A reload in between still shows them: it replays the run's events from the bus.
 */
const persistLater: ReadonlySet<AgentEventType> = new Set<AgentEventType>(['ttft', 'generation.complete', 'thinking.complete', 'token.usage', 'tools.pending', 'tool.approved']);

/** At most this long (ms) between a persistLater event and its write (a crash loses at most this much). */
export const defaultTimelineFlushMs = 1000;

function assistantTextOf(messages: ModelMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index]!;
    if (message.role !== 'assistant') continue;
    if (typeof message.content === 'string') return message.content;
    const text = message.content.filter((part) => part.type === 'text').map((part) => (part as { text: string }).text).join('');
    if (text) return text;
  }
  return '';
}

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
  // Timeline writes are serialised per run and never block token streaming; `completed` waits for them.
  // Events that arrive while a write is in flight are folded into the NEXT write together: one read-modify-write
  // transaction per burst instead of one per event. Why it matters: on PGlite every statement is a round trip to the
  // one database thread, which serialises all runs; a write costs five (begin, read, update, mirror, end), and on a
  // busy machine 100 runs starting together waited seconds for them (P2). So the events that only complete what the
  // user already sees (see persistLater) wait up to defaultTimelineFlushMs for the next write instead of making their own;
  // a tool's progress, an error and `completed` write at once, taking everything queued. The write starts a
  // macrotask later, so the query the run issues right after emitting (e.g. claiming an approved call before
  // tool.executing) is not queued behind it.
  let persisted: Promise<unknown> = Promise.resolve();
  let queued: AgentEvent[] = [];
  let writeScheduled = false;
  let flushTimer: NodeJS.Timeout | undefined;
  // Set at `completed`: the write that takes the last events also releases the conversation, in one statement.
  let finishRunOnNextWrite = false;
  let finishedByTimelineWrite = false;
  const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
  const flushTimeline = (): Promise<unknown> => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (writeScheduled || queued.length === 0) return persisted;
    writeScheduled = true;
    persisted = persisted
      .then(nextMacrotask)
      .then(() => {
        writeScheduled = false;
        const batch = queued;
        queued = [];
        if (batch.length === 0) return undefined;
        const change = (timeline: TimelineEntry[]) => batch.reduce(applyEventToTimeline, timeline);
        const finishing = finishRunOnNextWrite && storage.conversations.updateTimelineAndFinishRun;
        finishRunOnNextWrite = false;
        if (!finishing) return storage.conversations.updateTimeline(input.conversationId, change);
        return storage.conversations.updateTimelineAndFinishRun!(input.conversationId, change, input.runId).then(() => void (finishedByTimelineWrite = true));
      })
      // A lost timeline write would leave the conversation silently incomplete: the run ends and says so instead.
      .catch(failStorage);
    return persisted;
  };
  const persist = (event: AgentEvent) => {
    if (!affectsTimeline(event)) return;
    queued.push(event);
    if (!persistLater.has(event.type)) {
      void flushTimeline();
      return;
    }
    // The first-token time is a metric for the end of the run: it never starts a write (nor the timer) of its own.
    if (event.type !== 'ttft' && !writeScheduled && !flushTimer) {
      flushTimer = setTimeout(() => void flushTimeline(), deps.timelineFlushMs ?? defaultTimelineFlushMs);
      flushTimer.unref();
    }
  };

  // The title is asked for as soon as the first answer text exists, in parallel with the rest of the run.
  const wantsTitle = input.wantsTitle && deps.config.titleGeneration && input.userMessage !== undefined;
  let titlePromise: Promise<string | undefined> | undefined;
  const startTitle = (assistantText: string) =>
    generateTitle({ model: deps.llm.model, userMessage: input.userMessage!, assistantText, timeoutMs: deps.config.titleTimeoutMs, signal: controller.signal }).catch(
      () => undefined,
    );

  const scrubSecrets = createSecretScrubber(deps.llm.secrets ?? []);

  async function emit<T extends AgentEventType>(type: T, payload: AgentEventPayload<T>, options: { early?: boolean } = {}): Promise<void> {
    if (type === 'completed' && completedSent) return;
    if (wantsTitle && !titlePromise && type === 'generation.complete') {
      const content = (payload as unknown as AgentEventPayload<'generation.complete'>).content;
      if (content) titlePromise = startTitle(content);
    }
    const event = scrubSecrets({ conversation_id: input.conversationId, ...payload, type, timestamp: Date.now(), run_id: input.runId }) as unknown as AgentEvent;
    persist(event);
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
        finishRunOnNextWrite = input.release !== undefined;
        await flushTimeline();
        // no write took it (nothing was left to write): the release is a statement of its own
        finishRunOnNextWrite = false;
        await input.release?.(finishedByTimelineWrite).catch((error: unknown) => deps.logger?.error({ err: error, runId: input.runId }, 'could not release the conversation before completed; retried when the run ends'));
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
    let pending = titlePromise;
    // No answer text streamed (e.g. the first turn only called tools): name it from the user's message now.
    if (!pending && wantsTitle && status === 'completed') pending = startTitle(assistantTextOf(finalState?.messages ?? []));
    // Stopped or failed before its first answer (issue 37): no model call, the first words of the user's message, so
    // the conversation is not left as "New conversation" in the history and search.
    else if (!pending && wantsTitle) pending = Promise.resolve(fallbackTitle(input.userMessage!));
    const title = await pending;
    // A stopped run still names its conversation: a title asked of the model when the stop came falls back to the
    // user's words (generateTitle catches the abort).
    if (title && (await storage.conversations.setTitleIfEmpty(input.conversationId, title))) {
      await emit('conversation.title.generated', { conversation_id: input.conversationId, title } as AgentEventPayload<'conversation.title.generated'>);
    }
  } catch (error) {
    deps.logger?.error({ err: error, runId: input.runId }, 'title generation failed');
  }

  try {
    await emit('completed', completedPayload(status, { awaitingApproval, failure }));
    await flushTimeline();
  } finally {
    await unsubscribeStop().catch(() => {});
  }
  return { status, awaitingApproval, ...(storageFailure ? { timelineIncomplete: true } : {}) };
}
