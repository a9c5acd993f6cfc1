/**
 * Resolves LLM_MODEL into an AI SDK language model. Never throws for a configuration problem: the engine
 * must still start without a model, so problems come back as text naming the variable to set.
 */
import type { LlmConfig } from '../../platform/config/llm.ts';
import type { LanguageModelSelection, LanguageModelV3 } from '../../platform/ports/agent-model.ts';
import { findProvider, providerCatalogue } from './provider-catalogue.ts';
import { reasoningSettings } from './reasoning-settings.ts';


export const supportedProviders = providerCatalogue.map((entry) => entry.id);

export async function createLanguageModel(config: LlmConfig): Promise<LanguageModelSelection> {
  const unresolved = (provider: string, modelId: string, problem: string): LanguageModelSelection => ({
    model: undefined,
    provider,
    modelId,
    describe: modelId ? `${provider}/${modelId} (not usable: ${problem})` : 'no LLM configured',
    problem,
    providerOptions: {},
    callSettings: { timeoutMs: config.timeoutMs },
  });

  if (!config.model) {
    return unresolved(
      '',
      '',
      'No LLM configured: an admin can choose a provider, model and key in the Command Center (Settings → Model), ' +
        'or set LLM_MODEL=provider/model, e.g. LLM_MODEL=openai/gpt-4o with OPENAI_API_KEY, or ' +
        'LLM_MODEL=openai-compatible/llama3.1 with LLM_HOST=http://127.0.0.1:11434/v1 for a local Ollama.',
    );
  }
  const slash = config.model.indexOf('/');
  const providerName = slash > 0 ? config.model.slice(0, slash) : config.model;
  // Only the first slash separates: model ids may contain more (groq/openai/gpt-oss-120b).
  const modelId = slash > 0 ? config.model.slice(slash + 1) : '';
  if (!modelId) {
    return unresolved(providerName, '', `LLM_MODEL must be "provider/model" (got '${config.model}'), e.g. openai/gpt-4o.`);
  }
  const entry = findProvider(providerName);
  if (!entry) {
    return unresolved(providerName, modelId, `Unknown LLM provider '${providerName}' in LLM_MODEL; use one of ${supportedProviders.join(', ')}.`);
  }
  const built = await entry.build({ modelId, config });
  if ('problem' in built) return unresolved(entry.id, modelId, built.problem);

  const reasoning = reasoningSettings(entry, config);
  const defaults = {
    ...(reasoning.maxOutputTokens !== undefined ? { maxOutputTokens: reasoning.maxOutputTokens } : {}),
    ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
    ...(Object.keys(reasoning.providerOptions).length > 0 ? { providerOptions: reasoning.providerOptions } : {}),
  };
  // The configured settings travel with the model, so every call (agent turn, title, anything added later)
  // honours LLM_TEMPERATURE / LLM_MAX_TOKENS / reasoning without each caller passing them; a caller's own
  // values still win, key by key.
  // Imported only when a model is configured: with none, start-up never loads the AI SDK.
  const { defaultSettingsMiddleware, wrapLanguageModel } = await import('ai');
  const model = Object.keys(defaults).length > 0 ? wrapLanguageModel({ model: built.model, middleware: defaultSettingsMiddleware({ settings: defaults }) }) : built.model;
  return {
    model: model as LanguageModelV3,
    provider: entry.id,
    modelId,
    describe: `${entry.id}/${modelId} (${built.credential})`,
    providerOptions: reasoning.providerOptions,
    callSettings: { maxOutputTokens: reasoning.maxOutputTokens, temperature: config.temperature, timeoutMs: config.timeoutMs },
  };
}
