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
import type { SecretBox } from '../crypto/secret-box.ts';
import type { ToolCallInspector } from '../tool-calls/propose/tool-call-inspector.ts';
import type { ApprovalRecord, ApprovalStore, Role } from '../ports/index.ts';
import type { MemberScope } from '@skyflo/protocol';
import type { ClusterDeps } from '../clusters/cluster-gate.ts';
import type { ApprovalPolicyName } from '../tool-calls/decide/conversation-access.ts';

export type Emit = <T extends AgentEventType>(type: T, payload: AgentEventPayload<T>) => Promise<void>;

export interface RunContext {
  runId: string;
  conversationId: string;
  /** a chat run starts from a new user message; a decision run resumes the calls an approval decision unblocked */
  kind: 'chat' | 'decision';
  /** the conversation's owner, who proposes its calls (shown on approval cards) */
  requester: { id: string; email?: string };
  /** who made the decision that started this run (a decision run), for EXECUTE_AS_APPROVER */
  approver?: { id: string; email: string; role: Role };
  /** set once the model has been called in this run: until then, calls pending in the checkpoint are an earlier run's */
  modelCalled?: boolean;
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
  /** the cluster the conversation is pinned to (issue 22): a cluster call without `context` runs there */
  cluster?: string;
  /** the clusters and namespaces the requester may touch; absent = everything */
  scope?: MemberScope;
  /** appended to the system prompt: the clusters, the pinned one and the scope (prompts/cluster-prompt.ts) */
  clusterPrompt?: string;
  /** tokens the conversation has spent, counted when a budget is set (AGENT_TOKEN_BUDGET) */
  tokensUsed?: number;
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
  /** seals the exact arguments of a call awaiting approval (crypto/secret-box.ts) */
  secretBox: SecretBox;
  /** display redaction and risk flags for mutating calls */
  inspector: ToolCallInspector;
  /**
   * EXECUTE_AS_APPROVER: approved calls run as the approver (Kubernetes impersonation), with these groups per role.
   * Absent: they run as the MCP server's own identity.
   */
  executeAsApprover?: { groupsByRole: Partial<Record<Role, string[]>> };
  checkpointer: BaseCheckpointSaver;
  config: AgentConfig;
  /** the configured Jenkins integration, if any; Jenkins tools are hidden without one */
  /** the active Jenkins integration; undefined hides the Jenkins tools */
  jenkinsIntegration?: () => Promise<JenkinsIntegration | undefined>;
  systemPrompt?: string;
  /** the clusters (issue 22): calls are pinned to the conversation's cluster, scoped, and bound to the cluster's API server */
  clusters?: ClusterDeps;
  /**
   * APPROVAL_POLICY and APPROVAL_FOUR_EYES (the agent service's own): an automatic revert whose inverse would need a
   * second person does not run on its requester's choice (issue 31). Absent: four-eyes is assumed.
   */
  approvalPolicy?: { policy: ApprovalPolicyName; fourEyes: boolean };
  /** a user's scope as it is now (issue 22): rechecked right before an approved call runs */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
  /** test seam for backoff waits (withLlmRetries' sleep) */
  sleep?: LlmRetryOptions['sleep'];
}
