/**
 * What the nodes of one run share: the run's identity, its stop signal and the event emitter. Built by
 * agent/run-agent.ts per run and handed to the (once-compiled) graph as LangGraph's `context`, not through
 * `configurable` (whose primitive values checkpointers copy into metadata).
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph/web';
import type { AgentModel } from '../../platform/ports/agent-model.ts';
import type { Emit, ToolCallDeps, ToolCallRun } from '../../domain/tool-calls/core/deps.ts';
import type { LlmRetryOptions } from '../model-calls/with-retries.ts';

export type { AgentModel, Emit };

/** One run of the graph: the tool calls' run (tool-calls/core/deps.ts) and what only the model node reads. */
export interface RunContext extends ToolCallRun {
  /** Date.now() when the run started (ttft and durations are measured from it) */
  startedAt: number;
  /** ttft is sent once per run */
  ttftSent: boolean;
  /** appended to the system prompt: the clusters, the pinned one and the scope (clusters/cluster-prompt.ts) */
  clusterPrompt?: string;
  /** tokens the conversation has spent, counted when a budget is set (AGENT_TOKEN_BUDGET) */
  tokensUsed?: number;
}

/** The graph's dependencies: the tool calls' ports (tool-calls/core/deps.ts) and the model's. */
export interface GraphDeps extends ToolCallDeps {
  llm: AgentModel;
  checkpointer: BaseCheckpointSaver;
  systemPrompt?: string;
  /** test seam for backoff waits (withLlmRetries' sleep) */
  sleep?: LlmRetryOptions['sleep'];
}
