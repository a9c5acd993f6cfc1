/**
 * The tool gateway port: what the workflow needs from the MCP server. The adapter over the MCP SDK client
 * is in create-tool-gateway.ts; tests may pass any object with this shape.
 */
import type { ObservabilitySources, Toolset, ToolAnnotations, ToolCallCredential, ToolCallImpersonation, ToolCallJenkinsCredentials } from '@skyflo/protocol';
import { SkyfloError, type ErrorCategory } from '../errors/skyflo-error.ts';

/** Prometheus/Loki tools (issue 36): the engine hands them the conversation's cluster's data sources. */
export const isObservabilityTool = (name: string) => name.startsWith('prometheus_') || name.startsWith('loki_');

// The toolsets and the listed annotations are the engine ↔ MCP contract (@skyflo/protocol's mcp-wire.ts); re-exported
// because the workflow reaches them through this port.
export { toolsets, type Toolset, type ToolAnnotations } from '@skyflo/protocol';

export interface ToolInfo {
  name: string;
  title: string;
  description: string;
  /** JSON schema of the arguments as listed by the server */
  inputSchema: Record<string, unknown>;
  /** undefined when the server listed none (the gate then requires approval) */
  annotations?: ToolAnnotations;
  tags: string[];
  /**
   * first known toolset tag, else the name prefix (k8s_, helm_, argo_, jenkins_); undefined when neither. An external
   * MCP server's tools (issue 39) carry the toolset its admin named, never one of ours.
   */
  toolset?: Toolset | (string & {});
  /**
   * How this tool is previewed (dry-run/diff), if at all: `viaPreviewToolCall` means the server offers
   * `preview_tool_call` for it (`_meta["skyflo.ai/preview"]`); otherwise `tool` is an older server's
   * preview tool, called directly. `tool` names the preview tool either way, when the server says.
   */
  preview?: { tool: string; viaPreviewToolCall?: boolean };
  /**
   * Issue 74 item 3: where a tool of an external MCP server acts, as its admin declared it (the gate binds its calls
   * to that cluster and namespace, and judges them there like Skyflo's own). Never set for Skyflo's own tools.
   */
  declaredTarget?: { cluster: string; namespace?: string | undefined };
}

/**
 * A call that did not run: the MCP server could not be reached to send it (its connection could not be opened). Any
 * other failure of a call may come after the server started it (even an SDK error about the answer's shape).
 */
export class ToolCallNotRunError extends SkyfloError {
  readonly code = 'TOOL_CALL_NOT_RUN';

  /** a dependency failed (issue 80 item 4): an operator's matter, and it may pass */
  override get category(): ErrorCategory {
    return 'operational';
  }

  override get retryable(): boolean {
    return true;
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolCallNotRunError';
  }
}

export interface ToolCallOutcome {
  text: string;
  isError: boolean;
  /** the tool's structured result (MCP structuredContent), when it returned one */
  structured?: Record<string, unknown>;
}

/** What the MCP server needs to call Jenkins for one tool call (sent under `_meta`, see @skyflo/protocol's mcp-wire.ts). */
export type JenkinsCallCredentials = ToolCallJenkinsCredentials;

export interface ToolGateway {
  /** The catalogue with annotations (cached for a short time). Throws when the MCP server is unreachable. */
  listTools(options?: { refresh?: boolean }): Promise<ToolInfo[]>;
  /** Calls a tool; failures reported by the tool come back as `isError`, transport failures throw. */
  callTool(input: {
    name: string;
    args: Record<string, unknown>;
    /** cancels the call; whatever the call hangs on it is taken off when the call ends, so one signal (a run's) may serve any number of calls */
    signal?: AbortSignal;
    /**
     * how long the call may go without an answer (the SDK's default, 60 s, when unset); a tool that reports progress
     * (k8s_rollout_status, verify_change) starts it again with each report
     */
    timeoutMs?: number;
    /** act as this Kubernetes identity (EXECUTE_AS_APPROVER); the MCP server honours it only from the engine's connection */
    impersonate?: ToolCallImpersonation;
    /** issue 34: run this one call with the credential the cluster's executor minted for its approval; only the engine may */
    credential?: ToolCallCredential;
    /** the Jenkins integration's credentials, sent beside the arguments (never in them); only the engine may */
    jenkinsCredentials?: JenkinsCallCredentials;
    /** the Prometheus/Loki data sources of the conversation's cluster (issue 36), beside the arguments; only the engine may */
    observabilitySources?: ObservabilitySources;
  }): Promise<ToolCallOutcome>;
  /** Runs the tool's preview (dry-run/diff) tool; undefined when it has none. */
  preview(input: { name: string; args: Record<string, unknown>; signal?: AbortSignal; jenkinsCredentials?: JenkinsCallCredentials }): Promise<ToolCallOutcome | undefined>;
  close(): Promise<void>;
}

/**
 * Whether the MCP server lists `name` (from the cached catalogue). The one way to ask "does the server offer tool X?"
 * before calling an optional tool (verify_change, capture_change_baseline, list_clusters): an older server or a test
 * double without it is simply not asked. A function over the port rather than a member of it, so every gateway —
 * the adapter, the deferred one, any test double — answers it the same way from `listTools`. Throws as `listTools`.
 */
export async function offersTool(tools: Pick<ToolGateway, 'listTools'>, name: string): Promise<boolean> {
  return (await tools.listTools()).some((tool) => tool.name === name);
}
