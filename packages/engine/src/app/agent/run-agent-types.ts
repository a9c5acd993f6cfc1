/**
 * What one run of the workflow takes and answers (run-agent.ts runs it): the dependencies the service hands every run,
 * the run's own input, and its result. Types only, so the run's parts (run-timeline.ts, run-title.ts, run-prompt-context.ts)
 * and the agent service name them without importing the run.
 */
import type { AgentEvent, CompletedStatus } from '@skyflo/protocol';
import type { ModelMessage } from 'ai';
import type { AgentGraph } from '../graph/build-graph.ts';
import type { GraphDeps, RunContext } from '../graph/run-context.ts';
import type { AgentStateValue } from '../graph/state.ts';
import type { ApprovalRecord, EventBus, Storage } from '../../platform/ports/index.ts';
import type { Runbooks } from '../runbooks/create-runbooks.ts';
import type { IncidentMemory } from '../incident-memory/incident-memory.ts';

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
