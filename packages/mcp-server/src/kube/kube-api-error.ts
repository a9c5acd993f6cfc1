/**
 * A failed Kubernetes API call, carrying the meta/v1 Status the server sent. toToolError turns it into
 * a message the model can act on (what happened, what to try) instead of a stack trace.
 */
import { ToolInputError, type ToolErrorCode } from '../contract/errors.ts';
import { KubeConfigNotFoundError } from './resolve-kube-config.ts';

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; kind?: string; group?: string },
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/**
 * Issue 75: a write the API server may or may not have applied (its connection broke, or its answer timed out,
 * after it was sent). Mapped to the OUTCOME_UNKNOWN tool error (toToolInputError below).
 */
export class WriteOutcomeUnknownError extends Error {
  readonly code = 'OUTCOME_UNKNOWN';
  constructor(
    readonly method: string,
    readonly path: string,
    cause: unknown,
  ) {
    const detail = (cause as { code?: string })?.code ?? (cause instanceof Error ? cause.message : String(cause));
    super(`the ${method} to the Kubernetes API server was sent but its answer was lost (${detail})`, { cause });
    this.name = 'WriteOutcomeUnknownError';
  }
}

/** Maps an API failure (or a connection failure) to a ToolInputError with a hint. */
export function toToolInputError(error: unknown, context: { action: string }): ToolInputError | undefined {
  if (error instanceof KubeApiError) {
    const byStatus: Record<number, { code: ToolErrorCode; hint: string }> = {
      400: { code: 'INVALID_INPUT', hint: 'check the arguments against the resource schema' },
      401: { code: 'FORBIDDEN', hint: 'the MCP server credentials were rejected; check its kubeconfig' },
      403: { code: 'FORBIDDEN', hint: 'the MCP server service account lacks RBAC permission for this; ask an admin or pick another namespace' },
      404: { code: 'NOT_FOUND', hint: 'list what exists with k8s_get (check the namespace and spelling)' },
      409: { code: 'CONFLICT', hint: 'the object changed or already exists; read it again with k8s_get and retry' },
      410: { code: 'CONFLICT', hint: 'retry the request' },
      422: { code: 'INVALID_INPUT', hint: 'fix the fields the API server rejected' },
      429: { code: 'UNAVAILABLE', hint: 'the API server is throttling; wait a few seconds and retry' },
      504: { code: 'TIMEOUT', hint: 'retry, or narrow the request' },
    };
    const mapped = byStatus[error.status] ?? { code: 'FAILED' as ToolErrorCode, hint: 'retry; if it keeps failing check the cluster health with k8s_cluster_info' };
    return new ToolInputError(`Failed to ${context.action}: ${error.message} (HTTP ${error.status} ${error.reason}).`, mapped);
  }
  if (error instanceof KubeConfigNotFoundError) {
    // not "retry": nothing changes until an operator gives the server a cluster identity
    return new ToolInputError(`Failed to ${context.action}: ${error.message}`, { hint: 'tell the user the Skyflo MCP server has no cluster configured; an operator must fix its deployment', code: 'FAILED' });
  }
  if (error instanceof WriteOutcomeUnknownError) {
    return new ToolInputError(`Failed to ${context.action}: ${error.message}; the change may or may not have been applied.`, {
      hint: 'read the object\'s current state (k8s_get) before retrying: it may already show the change',
      code: 'OUTCOME_UNKNOWN',
    });
  }
  const code = (error as { code?: string })?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET') {
    return new ToolInputError(`Failed to ${context.action}: the Kubernetes API server is unreachable (${code}).`, {
      hint: 'check that the cluster is running and the kubeconfig points at it',
      code: 'UNAVAILABLE',
    });
  }
  if (code === 'ETIMEDOUT' || (error as Error)?.name === 'TimeoutError') {
    return new ToolInputError(`Failed to ${context.action}: the request timed out.`, { hint: 'retry, or narrow the request', code: 'TIMEOUT' });
  }
  return undefined;
}
