export { createLanguageModel, supportedProviders, type LanguageModelSelection } from './create-language-model.ts';
export { classifyLlmError, retryAfterMs, type LlmErrorClass } from '../../app/model-calls/classify-llm-error.ts';
export { withLlmRetries, LlmCallError, type LlmRetryInfo, type LlmRetryOptions } from '../../app/model-calls/with-retries.ts';
export { reasoningSettings, effortBudgets, type ProviderOptions, type ReasoningSettings } from './reasoning-settings.ts';
export { providerCatalogue, type LanguageModelV3 } from './provider-catalogue.ts';
