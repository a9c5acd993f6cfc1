/**
 * Turns LLM_THINKING_BUDGET_TOKENS / LLM_REASONING_EFFORT into per-provider options (spec §3): a thinking
 * budget wins where the provider has one; otherwise the effort goes to providers that take an effort.
 */
import type { JSONValue } from 'ai';
import type { ProviderOptions } from '../../platform/ports/agent-model.ts';
import type { LlmConfig } from '../../platform/config/llm.ts';
import type { ProviderEntry } from './provider-catalogue.ts';


export interface ReasoningSettings {
  providerOptions: ProviderOptions;
  maxOutputTokens?: number;
}

/**
 * Budgets used when only an effort is given to a budget-style provider: the mapping LiteLLM applies,
 * which the reference engine (LiteLLM-based) therefore had.
 */
export const effortBudgets = { low: 1024, medium: 2048, high: 4096 } as const;

/** The whole output limit (thinking + answer) on the wire: LLM_MAX_TOKENS or max(2×budget, 16384). */
export function maxTokensWithThinking(budget: number, maxTokens: number | undefined): number {
  return maxTokens ?? Math.max(2 * budget, 16_384);
}

export function reasoningSettings(provider: Pick<ProviderEntry, 'id' | 'optionsKey' | 'reasoning'>, config: LlmConfig): ReasoningSettings {
  const effort = config.reasoningEffort === 'default' ? undefined : config.reasoningEffort;
  const budget = config.thinkingBudgetTokens ?? (effort ? effortBudgets[effort] : undefined);

  if (provider.reasoning === 'budget' && budget !== undefined) {
    const total = maxTokensWithThinking(budget, config.maxTokens);
    // The SDK's Anthropic and Bedrock providers send max_tokens = maxOutputTokens + budget, so pass the answer's
    // share to make the wire value the total the spec means (at least 1024 answer tokens if LLM_MAX_TOKENS is
    // below the budget, since those APIs reject max_tokens <= budget). Gemini counts thinking in its limit.
    const maxOutputTokens = provider.id === 'google' ? total : Math.max(total - budget, 1024);
    const options: Record<string, JSONValue> =
      provider.id === 'anthropic'
        ? { thinking: { type: 'enabled', budgetTokens: budget } }
        : provider.id === 'google'
          ? { thinkingConfig: { thinkingBudget: budget, includeThoughts: true } }
          : { reasoningConfig: { type: 'enabled', budgetTokens: budget } };
    return { providerOptions: { [provider.optionsKey]: options }, maxOutputTokens };
  }
  if (provider.reasoning === 'effort' && effort) {
    return { providerOptions: { [provider.optionsKey]: { reasoningEffort: effortFor(provider.id, effort) } }, maxOutputTokens: config.maxTokens };
  }
  return { providerOptions: {}, maxOutputTokens: config.maxTokens };
}

/** Some APIs accept fewer levels; map ours onto theirs rather than send a value they reject. */
function effortFor(providerId: string, effort: 'low' | 'medium' | 'high'): string {
  switch (providerId) {
    case 'deepseek':
    case 'moonshotai':
      return effort === 'low' ? 'low' : 'high';
    case 'mistral':
      return 'high';
    default:
      return effort;
  }
}
