/**
 * Issue 39: a tools/call's span, continuing the caller's trace from the W3C trace context in its `_meta`
 * (`traceparent`/`tracestate`, the keys MCP reserves for it: SEP-414). Through @opentelemetry/api only: a no-op
 * unless the process registered an SDK (the engine does when OTEL tracing is on, and serves this server in-process
 * by default). Attributes name the tool and its outcome, never its arguments or result.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { mcpMetaKeys } from '@skyflo/protocol';

export async function traceServedToolCall<T>(tool: string, meta: Record<string, unknown> | undefined, fn: () => Promise<T>): Promise<T> {
  const carrier: Record<string, string> = {};
  for (const key of [mcpMetaKeys.traceparent, mcpMetaKeys.tracestate]) {
    const value = meta?.[key];
    if (typeof value === 'string') carrier[key] = value;
  }
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  const span = trace.getTracer('skyflo-mcp-server').startSpan(
    `tools/call ${tool}`,
    { kind: SpanKind.SERVER, attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool } },
    parent,
  );
  try {
    const result = await context.with(trace.setSpan(parent, span), fn);
    const failed = (result as { isError?: unknown }).isError === true;
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool error' });
    span.setAttribute('skyflo.tool.outcome', failed ? 'error' : 'ok');
    return result;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}
