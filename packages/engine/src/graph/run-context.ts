/**
 * What the nodes of one run share: the run's identity, its stop signal and the event emitter. Built by
 * agent/run-agent.ts per run and handed to the (once-compiled) graph as LangGraph's `context`, not through
 * `configurable` (whose primitive values checkpointers copy into metadata).
 */
import type { AgentEventPayload, AgentEventType } from '@skyflo/protocol';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { LanguageModel } from 'ai';
import type { AgentConfig } from '../config/agent.ts';
import type { LlmRetryOptions } from '../llm/with-retries.ts';
import type { JenkinsIntegration } from '../mcp/jenkins-args.ts';
import type { ToolGateway } from '../mcp/tool-gateway.ts';
import type { ApprovalRecord, ApprovalStore } from '../ports/index.ts';

export type Emit = <T extends AgentEventType>(type: T, payload: AgentEventPayload<T>) => Promise<void>;

export interface RunContext {
  runId: string;
  conversationId: string;
  /** Date.now() when the run started (ttft and durations are measured from it) */
  startedAt: number;
  /** aborted by POST /agent/stop (from any engine process, through the bus) */
  signal: AbortSignal;
  emit: Emit;
  /** ttft is sent once per run */
  ttftSent: boolean;
  /** approval decisions seen in this run, for tool.awaiting_approval's context */
  decisions: Record<string, boolean>;
  /** the approval record decided by the request that started this run, as the atomic decide returned it */
  decided?: ApprovalRecord;
}

/** The language model and how to describe it. */
export interface AgentModel {
  model: LanguageModel | undefined;
  /** e.g. "openai/gpt-4o", shown in generation.start and token.usage */
  modelName: string;
  /** provider-specific options (reasoning effort, thinking budget) */
  providerOptions?: Record<string, Record<string, unknown>>;
  maxOutputTokens?: number;
  /** why no model is configured, shown to the user */
  problem?: string;
  /** credential values (the provider keys) scrubbed from every event before it is persisted or streamed */
  secrets?: readonly string[];
}

export interface GraphDeps {
  llm: AgentModel;
  tools: ToolGateway;
  approvals: ApprovalStore;
  checkpointer: BaseCheckpointSaver;
  config: AgentConfig;
  /** the configured Jenkins integration, if any; Jenkins tools are hidden without one */
  jenkinsIntegration?: () => JenkinsIntegration | undefined;
  systemPrompt?: string;
  /** test seam for backoff waits (withLlmRetries' sleep) */
  sleep?: LlmRetryOptions['sleep'];
}
