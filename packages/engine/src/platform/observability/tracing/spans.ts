/**
 * Issue 39: the spans the engine opens, one helper each, through @opentelemetry/api's global tracer (a no-op unless
 * start-tracing.ts registered the SDK). Attributes are names, counts, outcomes and durations only: never a tool's
 * arguments or result, a prompt or an answer, since any of them may hold a secret.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

const tracer = () => trace.getTracer('skyflo-engine');

async function inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      // the error's class only: a message may quote arguments
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The root of a run's trace: `invoke_agent` (GenAI conventions) with the run and conversation ids. */
export function traceRun<T>(run: { runId: string; conversationId: string; kind: 'chat' | 'decision' }, fn: () => Promise<T>): Promise<T> {
  return inSpan('invoke_agent skyflo', SpanKind.INTERNAL, {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': 'skyflo',
    'gen_ai.conversation.id': run.conversationId,
    'skyflo.run.id': run.runId,
    'skyflo.run.kind': run.kind,
  }, () => fn());
}

/** "openai/gpt-4o" (AgentModel.modelName) as the GenAI provider and model names. */
export function genAiModelOf(modelName: string): { provider: string; name: string } {
  const slash = modelName.indexOf('/');
  return slash > 0 ? { provider: modelName.slice(0, slash), name: modelName.slice(slash + 1) } : { provider: 'unknown', name: modelName };
}

/** One model call (GenAI conventions: `chat {model}`); `fn` reports the token usage it got back. */
export function traceModelCall<T>(model: { provider: string; name: string }, fn: (report: (usage: { inputTokens?: number; outputTokens?: number }) => void) => Promise<T>): Promise<T> {
  return inSpan(`chat ${model.name}`, SpanKind.CLIENT, {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': model.provider,
    'gen_ai.request.model': model.name,
  }, (span) =>
    fn((usage) => {
      if (usage.inputTokens !== undefined) span.setAttribute('gen_ai.usage.input_tokens', usage.inputTokens);
      if (usage.outputTokens !== undefined) span.setAttribute('gen_ai.usage.output_tokens', usage.outputTokens);
    }),
  );
}

/**
 * One tool call (GenAI `execute_tool {name}`): its name, the cluster it acts on and how it ended. Its W3C trace
 * context is what `toolCallTraceContext` hands the MCP server, whose span continues this one.
 */
export function traceToolCall<T extends { isError: boolean; cancelled?: boolean }>(tool: { name: string; cluster?: string }, fn: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  return inSpan(`execute_tool ${tool.name}`, SpanKind.INTERNAL, {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': tool.name,
    ...(tool.cluster ? { 'skyflo.cluster': tool.cluster } : {}),
  }, async (span) => {
    const outcome = await fn();
    span.setAttribute('skyflo.tool.outcome', outcome.cancelled ? 'cancelled' : outcome.isError ? 'error' : 'ok');
    span.setAttribute('skyflo.tool.duration_ms', Math.round(performance.now() - startedAt));
    if (outcome.isError) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.cancelled ? 'cancelled' : 'tool error' });
    return outcome;
  });
}

/** The W3C trace context (`traceparent`, `tracestate`) of the active span, for a tools/call `_meta`; empty when off. */
export function toolCallTraceContext(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** An approval, recorded when its decision is acted on: how long it waited and what was decided. */
export function recordApproval(approval: { tool: string; decision: 'approved' | 'denied'; requestedAt?: Date; decidedAt?: Date; automatic?: boolean }): void {
  const span = tracer().startSpan('skyflo.approval', {
    attributes: {
      'gen_ai.tool.name': approval.tool,
      'skyflo.approval.decision': approval.decision,
      ...(approval.requestedAt && approval.decidedAt ? { 'skyflo.approval.wait_ms': Math.max(0, approval.decidedAt.getTime() - approval.requestedAt.getTime()) } : {}),
      ...(approval.automatic ? { 'skyflo.approval.automatic': true } : {}),
    },
    ...(approval.requestedAt ? { startTime: approval.requestedAt } : {}),
  });
  span.end(approval.decidedAt);
}

/** A change's verification and its verdict. */
export function traceVerification<T extends { result: { outcome: string } }>(tool: string, fn: () => Promise<T>): Promise<T> {
  return inSpan('skyflo.verification', SpanKind.INTERNAL, { 'gen_ai.tool.name': tool }, async (span) => {
    const outcome = await fn();
    span.setAttribute('skyflo.verification.outcome', outcome.result.outcome);
    return outcome;
  });
}
