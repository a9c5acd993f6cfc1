/**
 * The model setting has one shape from the provider to the agent: LlmConfig (environment or saved settings) →
 * createLanguageModel → LanguageModelSelection → AgentModel (what the workflow reads). This is the one conversion
 * and the one read-through view, so an admin's change (PUT /settings/llm) reaches the next model call of any run.
 */
import type { AgentModel } from '../graph/run-context.ts';
import type { LanguageModelSelection } from './create-language-model.ts';

/** e.g. "openai/gpt-4o"; the first word of the description when the provider or model is missing. */
export function modelNameOf(selection: Pick<LanguageModelSelection, 'provider' | 'modelId' | 'describe'>): string {
  if (selection.provider && selection.modelId) return `${selection.provider}/${selection.modelId}`;
  return selection.describe.split(' ')[0] || 'unconfigured';
}

/** Where the current selection comes from: the LLM settings service (llm-settings/), switched live. */
export interface ModelSource {
  selection(): LanguageModelSelection;
  /** credential values to scrub from events */
  secrets(): string[];
}

/** The agent's view of `source`: every property read through, so a settings change reaches the next call. */
export function liveAgentModel(source: ModelSource): AgentModel {
  return {
    get model() {
      return source.selection().model;
    },
    get modelName() {
      return modelNameOf(source.selection());
    },
    get providerOptions() {
      return source.selection().providerOptions;
    },
    get maxOutputTokens() {
      return source.selection().callSettings.maxOutputTokens;
    },
    get problem() {
      return source.selection().problem;
    },
    get secrets() {
      return source.secrets();
    },
  };
}
