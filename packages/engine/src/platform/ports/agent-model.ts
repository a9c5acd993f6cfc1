/**
 * The model setting has one shape from the provider to the agent: LlmConfig (environment or saved settings) →
 * createLanguageModel → LanguageModelSelection → AgentModel (what the workflow reads). This is the one conversion
 * and the one read-through view, so an admin's change (PUT /settings/llm) reaches the next model call of any run.
 */
import type { JSONValue, LanguageModel } from 'ai';

/** The AI SDK's language model of specification v3, the one every provider of adapters/llm builds. */
export type LanguageModelV3 = Extract<LanguageModel, { specificationVersion: 'v3' }>;

/** Provider-specific options of a call (reasoning effort, thinking budget), keyed by provider. */
export type ProviderOptions = Record<string, Record<string, JSONValue>>;

/** A model built from its settings by adapters/llm (createLanguageModel), or why none could be. */
export interface LanguageModelSelection {
  /** undefined when no model is configured or it is misconfigured (see `problem`). */
  model: LanguageModelV3 | undefined;
  /** The provider named in LLM_MODEL ('' when unset). */
  provider: string;
  modelId: string;
  /** Safe to log and show: names where the key came from, never the key. */
  describe: string;
  /** What is wrong and which variable to set; present exactly when `model` is undefined. */
  problem?: string;
  /** Reasoning settings; already applied by `model` as defaults, exposed for callers that want to adjust them. */
  providerOptions: ProviderOptions;
  /**
   * The configured call settings, also applied by `model` as defaults. `timeoutMs` (LLM_TIMEOUT_MS) is enforced by
   * the model's HTTP client as an idle timeout; it is here for information.
   */
  callSettings: { maxOutputTokens?: number; temperature?: number; timeoutMs: number };
}


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
