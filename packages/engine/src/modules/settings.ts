/**
 * The model's settings for the composition root (create-engine.ts): from the environment, or from the settings an
 * admin saved (PUT /settings/llm), switched live; and their routes.
 */
import type { Config } from '../platform/config/index.ts';
import type { LlmConfig } from '../platform/config/llm.ts';
import type { SecretBox } from '../platform/crypto/secret-box.ts';
import type { MountedRoutes } from '../http/app.ts';
import { settingsRoutes, type SettingsRouteDeps } from '../http/routes/settings/index.ts';
import type { LanguageModelSelection } from '../platform/ports/agent-model.ts';
import type { createLlmSettingsService, LanguageModels } from '../app/llm-settings/llm-settings-service.ts';
import type { PlatformStorage } from '../platform/ports/index.ts';

/** The LLM variables the environment sets (they win over saved settings; the settings API lists them). */
function llmEnvironmentVariables(llm: LlmConfig): string[] {
  return [
    ...(llm.model ? ['LLM_MODEL'] : []),
    ...(llm.host ? ['LLM_HOST'] : []),
    ...(llm.maxTokens !== undefined ? ['LLM_MAX_TOKENS'] : []),
    ...(llm.reasoningEffort ? ['LLM_REASONING_EFFORT'] : []),
    ...(llm.thinkingBudgetTokens !== undefined ? ['LLM_THINKING_BUDGET_TOKENS'] : []),
    ...Object.values(llm.apiKeys).map((secret) => secret!.source),
  ];
}

export interface LlmSettingsDeps {
  config: Pick<Config, 'llm'>;
  storage: PlatformStorage;
  secretBox: SecretBox;
  /** the model the environment configures, already made */
  initial: LanguageModelSelection;
  /** llm-settings/llm-settings-service.ts, imported by the root while the database opens */
  createLlmSettingsService: typeof createLlmSettingsService;
  /** adapters/llm/create-language-model.ts, imported by the root while the database opens */
  languageModels: LanguageModels;
}

export function createLlmSettings(deps: LlmSettingsDeps) {
  const { config, storage } = deps;
  // The model: from the environment, or from the settings an admin saved (PUT /settings/llm), switched live.
  const llmSettings = deps.createLlmSettingsService({
    settings: storage.settings,
    atomically: (work) => storage.atomically(work),
    secretBox: deps.secretBox,
    audit: storage.audit,
    environment: config.llm,
    environmentVariables: llmEnvironmentVariables(config.llm),
    initial: deps.initial,
    languageModels: deps.languageModels,
  });
  const routes: MountedRoutes<any>[] = [{ plugin: settingsRoutes, options: { llmSettings } satisfies SettingsRouteDeps }];
  return { llmSettings, routes };
}
