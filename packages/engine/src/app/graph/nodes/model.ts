/**
 * The model node: one streamed LLM call with the exposed tools (schemas only). Streams thinking/token events,
 * reports usage, retries rate limits and transient failures with backoff (llm/with-retries.ts), and turns the model's tool calls into
 * pending calls for the gate. Malformed or unknown tool calls become pending calls marked invalid, so the model is
 * told what was wrong instead of the run crashing. The answer and reasoning are redacted as they stream and as they
 * are kept, and everything the model wrote is made well-formed first (graph/model-output.ts).
 */
import { genAiModelOf, traceModelCall } from '../../../platform/observability/tracing/spans.ts';
import { randomUUID } from 'node:crypto';
import type { AssistantModelMessage, Tool, LanguageModelUsage, ModelMessage } from 'ai';
import { parseToolCall, readParts, startModelStream, usageOf } from '../model-stream.ts';
import { createAnswerStream, redactAnswer, wellFormedText, wellFormedValue } from '../model-output.ts';
import { secretsProposedIn, secretsProposedInCalls } from '../scrub-secrets.ts';
import { systemPrompt } from '../../../domain/prompts/system-prompt.ts';
import type { ToolInfo } from '../../../platform/ports/tool-gateway.ts';
import { classifyLlmError } from '../../model-calls/classify-llm-error.ts';
import { LlmCallError, withLlmRetries } from '../../model-calls/with-retries.ts';
import type { GraphDeps, RunContext } from '../run-context.ts';
import type { AgentStateUpdate, AgentStateValue, PendingCall } from '../state.ts';
import { createModelToolCache, type ModelToolCache } from '../model-tool-cache.ts';
import { toolScopeFor } from '../tool-exposure.ts';
import { trimContext } from '../trim-context.ts';

interface StreamOutcome {
  text: string;
  reasoning: string;
  reasoningMs: number;
  tokens: number;
  toolCalls: Array<{ toolCallId: string; toolName: string; input: unknown; invalid?: boolean; error?: unknown }>;
  usage?: LanguageModelUsage;
  error?: unknown;
  /** something was already streamed to the client, so a retry would duplicate it */
  streamed: boolean;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
}

function callIdsIn(messages: ModelMessage[]): Set<string> {
  const ids = new Set<string>();
  for (const message of messages) {
    if (message.role === 'assistant' && typeof message.content !== 'string') {
      for (const part of message.content) if (part.type === 'tool-call') ids.add(part.toolCallId);
    }
  }
  return ids;
}

/** `toolCache`: shared by every run of one graph (buildAgentGraph); a node built alone gets its own. */
export function createModelNode(deps: GraphDeps, run: RunContext, toolCache: ModelToolCache = createModelToolCache()) {
  /**
   * `hidden`: secret values that must not be streamed (the LLM keys, values the model proposed in tool arguments);
   * the redaction rules apply besides. `text`/`reasoning` in the outcome are as the model wrote them (redacted after).
   */
  async function streamOnce(messages: ModelMessage[], tools: Record<string, Tool>, hidden: readonly string[]): Promise<StreamOutcome> {
    const outcome: StreamOutcome = { text: '', reasoning: '', reasoningMs: 0, tokens: 0, toolCalls: [], streamed: false };
    const shownText = createAnswerStream(hidden);
    const shownReasoning = createAnswerStream(hidden);
    let reasoningStartedAt: number | undefined;
    const firstDelta = async () => {
      outcome.streamed = true;
      if (run.ttftSent) return;
      run.ttftSent = true;
      await run.emit('ttft', { duration: Date.now() - run.startedAt });
    };
    try {
      // the provider's own stream (graph/model-stream.ts): retries are ours (withLlmRetries), so the user sees
      // rate_limit/transient_error events; an error before the stream starts is thrown here, like a stream error part
      const stream = await startModelStream({
        model: deps.llm.model!,
        system: run.clusterPrompt ? `${deps.systemPrompt ?? systemPrompt}\n\n${run.clusterPrompt}` : (deps.systemPrompt ?? systemPrompt),
        messages,
        tools,
        providerOptions: deps.llm.providerOptions,
        maxOutputTokens: deps.llm.maxOutputTokens,
        abortSignal: run.signal,
      });
      const parts = readParts(stream, run.signal);
      try {
        for (let part = await parts.next(); part !== undefined; part = await parts.next()) {
          switch (part.type) {
            case 'reasoning-delta':
              if (!part.delta) break;
              reasoningStartedAt ??= Date.now();
              if (!outcome.streamed || !run.ttftSent) await firstDelta();
              outcome.reasoning += part.delta;
              {
                const shown = shownReasoning.push(part.delta);
                if (shown) await run.emit('thinking', { text: shown });
              }
              break;
            case 'text-delta':
              if (!part.delta) break;
              if (!outcome.streamed || !run.ttftSent) await firstDelta();
              if (reasoningStartedAt !== undefined && outcome.reasoningMs === 0) outcome.reasoningMs = Date.now() - reasoningStartedAt;
              outcome.text += part.delta;
              outcome.tokens += 1;
              {
                const shown = shownText.push(part.delta);
                if (shown) await run.emit('token', { text: shown, tokens_generated: outcome.tokens });
              }
              break;
            case 'tool-input-start':
              await firstDelta();
              break;
            case 'tool-call': {
              // Arguments are made well-formed, not redacted: they are what is approved and run.
              const call = await parseToolCall(part, tools);
              outcome.toolCalls.push({ ...call, toolCallId: wellFormedText(call.toolCallId ?? ''), toolName: wellFormedText(call.toolName), input: wellFormedValue(call.input) });
              break;
            }
            case 'finish':
              outcome.usage = usageOf(part);
              break;
            case 'error':
              outcome.error = part.error;
              break;
            default:
              break;
          }
        }
      } finally {
        parts.close();
      }
    } catch (error) {
      outcome.error = error;
    }
    const reasoningRest = shownReasoning.flush();
    if (reasoningRest) await run.emit('thinking', { text: reasoningRest });
    const textRest = shownText.flush();
    if (textRest) await run.emit('token', { text: textRest, tokens_generated: outcome.tokens });
    if (reasoningStartedAt !== undefined && outcome.reasoningMs === 0) outcome.reasoningMs = Date.now() - reasoningStartedAt;
    return outcome;
  }

  return async function model(state: AgentStateValue): Promise<AgentStateUpdate> {
    run.modelCalled = true;
    if (run.signal.aborted) return { stopped: true };
    if (!deps.llm.model) {
      const error = deps.llm.problem ?? 'No language model is configured. Set LLM_MODEL (e.g. openai/gpt-4o with OPENAI_API_KEY).';
      await run.emit('workflow.error', { error, code: 'LLM_NOT_CONFIGURED' });
      return { error };
    }
    if (state.iterations >= deps.config.maxIterations) {
      const error = `The AI Agent has reached the maximum number of iterations of ${deps.config.maxIterations} (LLM_MAX_ITERATIONS). Send a new message to continue.`;
      await run.emit('workflow.error', { error, code: 'ITERATION_LIMIT' });
      return { error };
    }

    const budget = deps.config.tokenBudget;
    if (budget !== undefined && (run.tokensUsed ?? 0) >= budget) {
      const used = run.tokensUsed ?? 0;
      await run.emit('budget.exceeded', { budget_tokens: budget, used_tokens: used });
      const error = `This conversation has used ${used} tokens of its ${budget}-token budget (AGENT_TOKEN_BUDGET), so the agent stopped before calling the model again. Start a new conversation, or ask an admin to raise the budget.`;
      await run.emit('workflow.error', { error, code: 'BUDGET_EXCEEDED' });
      return { error };
    }

    let catalogue: ToolInfo[] = [];
    try {
      catalogue = await deps.tools.listTools();
    } catch {
      // Without the MCP server the model can still answer; calls it makes will fail with a clear tool error.
      catalogue = [];
    }
    // the same inputs give the same set: converted once per (catalogue, toolsets, scope, integrations), not per run
    // Asked together: Jenkins and the data sources are one read of the integrations table between them (the
    // integration service shares a read in flight: platform/reads/shared-read.ts), not one each after the other.
    const [jenkins, observability, toolScope] = await Promise.all([deps.jenkinsIntegration?.(), deps.observabilitySources?.(run.cluster), toolScopeFor(deps.clusters?.directory, run.scope)]);
    const tools = toolCache.toolsFor({
      catalogue,
      loaded: state.loadedToolsets,
      jenkinsAvailable: jenkins !== undefined,
      observabilityAvailable: observability !== undefined,
      scope: run.scope,
      toolScope,
    });
    const messages = trimContext(state.messages, deps.config.contextWindowMessages - 1);
    const hidden = [...(deps.llm.secrets ?? []), ...secretsProposedIn(state.messages)];

    await run.emit('generation.start', { model: deps.llm.modelName, tools_available: Object.keys(tools).length });

    const failed = async (message: string, attempts: number): Promise<AgentStateUpdate> => {
      const error = `The model call failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${message}`;
      await run.emit('workflow.error', { error, code: 'LLM_ERROR' });
      return { error, iterations: state.iterations + 1 };
    };
    let outcome: StreamOutcome;
    try {
      outcome = await withLlmRetries(
        async () => {
          const attempt = await traceModelCall(genAiModelOf(deps.llm.modelName), async (report) => {
            const streamed = await streamOnce(messages, tools, hidden);
            report({ ...(streamed.usage?.inputTokens !== undefined ? { inputTokens: streamed.usage.inputTokens } : {}), ...(streamed.usage?.outputTokens !== undefined ? { outputTokens: streamed.usage.outputTokens } : {}) });
            return streamed;
          });
          // Only a call that streamed nothing is retried: after streamed text a retry would show the user duplicates.
          if (attempt.error !== undefined && !attempt.streamed && !run.signal.aborted) throw attempt.error;
          return attempt;
        },
        {
          maxRetries: deps.config.maxRetries,
          baseDelayMs: deps.config.retryBaseDelayMs,
          signal: run.signal,
          sleep: deps.sleep,
          onRetry: async (retry) => {
            const notice = { retry_in: retry.delayMs / 1000, attempt: retry.attempt, max_retries: retry.maxRetries };
            if (retry.kind === 'rate_limit') await run.emit('rate_limit', notice);
            else await run.emit('transient_error', { ...notice, error: retry.error });
          },
        },
      );
    } catch (error) {
      if (run.signal.aborted) return { stopped: true, iterations: state.iterations + 1 };
      if (error instanceof LlmCallError) return failed(error.classification.message, error.attempts);
      throw error;
    }
    // The answer as kept and sent on, redacted whole (the stream was redacted block by block): also without values this
    // very turn's calls propose (streamed before they existed).
    const keptHidden = [...hidden, ...secretsProposedInCalls(outcome.toolCalls)];
    outcome.text = redactAnswer(outcome.text, keptHidden);
    outcome.reasoning = redactAnswer(outcome.reasoning, keptHidden);
    if (run.signal.aborted) {
      // Stopped (by the user, or because the event bus failed) mid-answer: what was already streamed is kept, in the
      // conversation's timeline and in the model's context, instead of vanishing.
      if (!outcome.text) return { stopped: true, iterations: state.iterations + 1 };
      await run.emit('generation.complete', { tokens_generated: outcome.tokens, tool_calls: 0, content: outcome.text });
      return { stopped: true, iterations: state.iterations + 1, messages: [{ role: 'assistant', content: outcome.text } as AssistantModelMessage] };
    }
    // Failed after something was streamed (not retried, see above).
    if (outcome.error !== undefined) return failed(classifyLlmError(outcome.error).message, 1);

    const usage = outcome.usage;
    if (usage) {
      const prompt = usage.inputTokens ?? 0;
      const completion = usage.outputTokens ?? 0;
      if (run.tokensUsed !== undefined) run.tokensUsed += usage.totalTokens ?? prompt + completion;
      await run.emit('token.usage', {
        source: 'main',
        model: deps.llm.modelName,
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: usage.totalTokens ?? prompt + completion,
        cached_tokens: usage.inputTokenDetails?.cacheReadTokens ?? 0,
      });
    }
    if (outcome.reasoning) await run.emit('thinking.complete', { content: outcome.reasoning, duration_ms: outcome.reasoningMs });
    await run.emit('generation.complete', {
      tokens_generated: outcome.tokens,
      tool_calls: outcome.toolCalls.length,
      content: outcome.text,
      ...(outcome.reasoning ? { thinking_content: outcome.reasoning } : {}),
    });

    // Call ids must be unique within the conversation: approvals are keyed by (conversation, call_id), and some
    // models reuse ids like "call_0" every turn. Over-long ids are replaced too (spec: > 128 chars).
    const seen = callIdsIn(state.messages);
    const offered = new Set(Object.keys(tools));
    const pendingTools: PendingCall[] = [];
    const content: AssistantModelMessage['content'] & unknown[] = [];
    if (outcome.text) content.push({ type: 'text', text: outcome.text });
    for (const call of outcome.toolCalls) {
      let callId = call.toolCallId;
      if (!callId || callId.length > 128 || seen.has(callId)) callId = `call_${randomUUID().replaceAll('-', '')}`;
      seen.add(callId);
      const argsValid = call.input !== null && typeof call.input === 'object' && !Array.isArray(call.input);
      let invalid: string | undefined;
      const known = catalogue.find((tool) => tool.name === call.toolName);
      if (!offered.has(call.toolName) && known?.toolset) {
        invalid = `'${call.toolName}' is not loaded in this turn. Call load_toolset with toolset '${known.toolset}'${known.annotations?.readOnlyHint === true ? '' : ' and include_write_tools true'} first.`;
      } else if (!offered.has(call.toolName)) {
        invalid = `Unknown tool '${call.toolName}': it is not available in this turn. Available tools: ${[...offered].join(', ')}.`;
      } else if (call.invalid || !argsValid) {
        invalid = `Invalid arguments for '${call.toolName}': ${call.error ? wellFormedText(errorText(call.error)) : 'the arguments must be a JSON object'}. Call the tool again with arguments that match its schema.`;
      }
      const args = argsValid && !invalid ? (call.input as Record<string, unknown>) : {};
      content.push({ type: 'tool-call', toolCallId: callId, toolName: call.toolName, input: args });
      pendingTools.push({ callId, tool: call.toolName, args, ...(invalid ? { invalid } : {}) });
    }
    const update: AgentStateUpdate = { pendingTools, iterations: state.iterations + 1 };
    if (content.length > 0) update.messages = [{ role: 'assistant', content } as AssistantModelMessage];
    return update;
  };
}
