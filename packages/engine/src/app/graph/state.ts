/**
 * The workflow state, checkpointed per conversation (thread_id = conversation id). Messages are AI SDK
 * ModelMessages (plain JSON, so any checkpointer can store them). Per-run fields are reset by each run's input (graph/run-input.ts).
 */
import { Annotation } from '@langchain/langgraph/web';
import type { ModelMessage } from 'ai';
import type { PendingCall } from '../../domain/tool-calls/core/deps.ts';

export type { PendingCall };

const replace = <T>(fallback: () => T) => Annotation<T>({ reducer: (_current: T, next: T) => next, default: fallback });

export const AgentState = Annotation.Root({
  /** conversation history, appended to (the input of a chat run is only the latest user message) */
  messages: Annotation<ModelMessage[]>({ reducer: (current, next) => current.concat(next), default: () => [] }),
  /** the model's tool calls not yet finished, in order; non-empty while awaiting approval */
  pendingTools: replace<PendingCall[]>(() => []),
  awaitingApproval: replace<boolean>(() => false),
  /** toolset → include write tools; merged, so loading write tools sticks for the conversation */
  loadedToolsets: Annotation<Record<string, boolean>>({ reducer: (current, next) => ({ ...current, ...next }), default: () => ({}) }),
  /** model turns in the current run (LLM_MAX_ITERATIONS bounds it) */
  iterations: replace<number>(() => 0),
  /** the run ended because of a stop request */
  stopped: replace<boolean>(() => false),
  /** the run failed with this message (model error after retries, iteration limit) */
  error: replace<string | null>(() => null),
  runId: replace<string>(() => ''),
  /**
   * Issue 77 item 2: this run's calls were an external MCP client's (PendingCall.external): the run ends after the gate,
   * since no model asked for them and none is to be asked about their result. Reset by each run's input.
   */
  endAfterGate: replace<boolean>(() => false),
});

export type AgentStateValue = typeof AgentState.State;
export type AgentStateUpdate = typeof AgentState.Update;
