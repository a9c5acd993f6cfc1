/**
 * The model setting has one shape from the provider to the agent: LlmConfig (environment or saved settings) →
 * createLanguageModel → LanguageModelSelection → AgentModel (what the workflow reads). This is the one conversion
 * and the one read-through view, so an admin's change (PUT /settings/llm) reaches the next model call of any run.
 */
import type { LanguageModel } from 'ai';
import type { LanguageModelSelection } from './create-language-model.ts';

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
