/**
 * Runtime model settings (issue 8, for the Command Center's first-run page): an admin picks the provider, model and
 * key without editing the deployment. The key is sealed with the engine's key and never returned (only whether it
 * is set and its last four characters). Environment variables, when present, win, and the API says which. A change
 * applies to the next model call of any run, without a restart.
 */
import type { LlmProvider, LlmSettings, UpdateLlmSettingsRequest } from '@skyflo/protocol';
import { apiKeyVariables, type ApiKeyProvider, type LlmConfig } from '../../platform/config/llm.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import { llmSecretValues } from '../model-calls/llm-secret-values.ts';
import type { LanguageModelSelection, ModelSource } from '../../platform/ports/agent-model.ts';
import { recordSettingsChange } from '../../domain/audit/admin-audit.ts';
import type { AuditLog, AuthenticatedUser, SettingsStore, TransactionalStores } from '../../platform/ports/index.ts';
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';
import { readCappedJson, ResponseTooLargeError } from '@skyflo/connectors/egress';

/** Ollama's model list is a small JSON document; its answer is read with a cap (issue 74: integration answers). */
const ollamaAnswerMaxBytes = 1024 * 1024;

export class LlmSettingsError extends SkyfloError {
  constructor(
    readonly code: 'FORBIDDEN' | 'INVALID_SETTINGS',
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** What is stored under the `llm` settings key (the key sealed). */
interface StoredLlmSettings {
  provider: string;
  model: string;
  base_url: string | null;
  api_key_sealed: string | null;
  api_key_last4: string | null;
  reasoning_effort: LlmSettings['reasoning_effort'];
  thinking_budget_tokens: number | null;
  max_tokens: number | null;
}

/** The live model (llm/agent-model.ts turns it into what the agent reads); secrets: environment keys and the stored key. */
export interface LlmSettingsService extends ModelSource {
  /** loads the stored settings (once, at start-up) */
  load(): Promise<void>;
  get(actor: AuthenticatedUser): LlmSettings;
  put(actor: AuthenticatedUser, input: UpdateLlmSettingsRequest, ip?: string): Promise<LlmSettings>;
  /** One tiny request with the stored settings, or with a candidate that is not saved. */
  test(actor: AuthenticatedUser, candidate?: Partial<UpdateLlmSettingsRequest>): Promise<{ ok: boolean; latency_ms?: number; model?: string; reply?: string; error?: string }>;
  providers(): LlmProvider[];
  /** Models of an Ollama server (default 127.0.0.1:11434), for the settings page's model list. */
  ollamaModels(actor: AuthenticatedUser, baseUrl?: string): Promise<{ available: boolean; base_url: string; models: string[]; error?: string }>;
}

/** Builds a model from its settings; never throws for a configuration problem (it says what is wrong instead). */
export interface LanguageModels {
  createLanguageModel(config: LlmConfig): Promise<LanguageModelSelection>;
  supportedProviders: readonly string[];
}

export interface LlmSettingsServiceDeps {
  settings: SettingsStore;
  /** saves a change and its audit record in one transaction; default: one after the other */
  atomically?: <T>(work: (stores: Pick<TransactionalStores, 'settings' | 'audit'>) => Promise<T>) => Promise<T>;
  secretBox: SecretBox;
  audit: AuditLog;
  /** the configuration from the environment (LLM_MODEL and the keys) */
  environment: LlmConfig;
  /** names of the LLM variables set in the environment */
  environmentVariables: string[];
  /** the model built from the environment at start-up */
  initial: LanguageModelSelection;
  /** how a model is built from its settings (adapters/llm/create-language-model.ts), and the providers it knows */
  languageModels: LanguageModels;
  fetch?: typeof fetch;
  testTimeoutMs?: number;
}

const settingsKey = 'llm';
const sealContext = 'settings:llm:api_key';
const ollamaDefault = 'http://127.0.0.1:11434';

const exampleModels: Record<string, string[]> = {
  openai: ['gpt-4o', 'gpt-4.1', 'o4-mini'],
  anthropic: ['claude-sonnet-4-5', 'claude-opus-4-1'],
  google: ['gemini-2.5-pro', 'gemini-2.5-flash'],
  moonshotai: ['kimi-k2-0905-preview'],
  groq: ['openai/gpt-oss-120b', 'llama-3.3-70b-versatile'],
  mistral: ['mistral-large-latest'],
  deepseek: ['deepseek-chat', 'deepseek-reasoner'],
  bedrock: ['anthropic.claude-sonnet-4-5-20250929-v1:0'],
  azure: ['<your deployment name>'],
  'openai-compatible': ['llama3.1', 'qwen2.5'],
  ollama: ['llama3.1', 'qwen2.5'],
};

const isKeyed = (provider: string): provider is ApiKeyProvider => provider in apiKeyVariables;
/** Where a provider's key goes in LlmConfig.apiKeys (Ollama speaks the OpenAI-compatible protocol). */
const keySlot = (provider: string): ApiKeyProvider | undefined => (provider === 'ollama' ? 'openai-compatible' : isKeyed(provider) ? provider : undefined);

export function createLlmSettingsService(deps: LlmSettingsServiceDeps): LlmSettingsService {
  const atomically = deps.atomically ?? (<T>(work: (stores: Pick<TransactionalStores, 'settings' | 'audit'>) => Promise<T>) => work({ settings: deps.settings, audit: deps.audit }));
  const fetchImpl = deps.fetch ?? fetch;
  const fromEnvironment = deps.environment.model !== undefined;
  let stored: StoredLlmSettings | undefined;
  let current = deps.initial;
  let storedKey: string | undefined;

  const requireAdmin = (actor: AuthenticatedUser) => {
    if (actor.role !== 'admin') throw new LlmSettingsError('FORBIDDEN', 'only an admin can change the model settings', 403);
  };

  /** The LlmConfig a set of saved settings stands for: the environment's, with the model, host and key replaced. */
  const configFor = (settings: { provider: string; model: string; base_url?: string | null; api_key?: string; reasoning_effort?: LlmSettings['reasoning_effort']; thinking_budget_tokens?: number | null; max_tokens?: number | null }): LlmConfig => ({
    ...deps.environment,
    model: `${settings.provider}/${settings.model}`,
    host: settings.base_url ?? undefined,
    maxTokens: settings.max_tokens ?? undefined,
    reasoningEffort: settings.reasoning_effort ?? undefined,
    thinkingBudgetTokens: settings.thinking_budget_tokens ?? undefined,
    apiKeys: { ...deps.environment.apiKeys, ...(settings.api_key && keySlot(settings.provider) ? { [keySlot(settings.provider)!]: { value: settings.api_key, source: 'the saved settings' } } : {}) },
  });

  const openStoredKey = (settings: StoredLlmSettings | undefined): string | undefined => {
    if (!settings?.api_key_sealed) return undefined;
    try {
      return deps.secretBox.open(settings.api_key_sealed, sealContext);
    } catch {
      return undefined;
    }
  };

  const view = (actor: AuthenticatedUser): LlmSettings => {
    const source: LlmSettings['source'] = fromEnvironment ? 'environment' : stored ? 'settings' : 'none';
    const provider = fromEnvironment ? current.provider || null : (stored?.provider ?? null);
    const model = fromEnvironment ? current.modelId || null : (stored?.model ?? null);
    const environmentKey = provider && isKeyed(provider) ? deps.environment.apiKeys[provider] : undefined;
    const keyLast4 = fromEnvironment ? environmentKey?.value.slice(-4) : (stored?.api_key_last4 ?? undefined);
    return {
      configured: current.model !== undefined,
      provider,
      model,
      base_url: fromEnvironment ? (deps.environment.host ?? null) : (stored?.base_url ?? null),
      api_key: { set: fromEnvironment ? environmentKey !== undefined : Boolean(stored?.api_key_sealed), ...(keyLast4 && actor.role === 'admin' ? { last4: keyLast4 } : {}) },
      reasoning_effort: fromEnvironment ? (deps.environment.reasoningEffort ?? null) : (stored?.reasoning_effort ?? null),
      thinking_budget_tokens: fromEnvironment ? (deps.environment.thinkingBudgetTokens ?? null) : (stored?.thinking_budget_tokens ?? null),
      max_tokens: fromEnvironment ? (deps.environment.maxTokens ?? null) : (stored?.max_tokens ?? null),
      source,
      environment_overrides: fromEnvironment ? deps.environmentVariables : [],
      ...(current.problem ? { problem: current.problem } : {}),
    };
  };

  const validateProvider = (provider: string) => {
    if (!deps.languageModels.supportedProviders.includes(provider)) {
      throw new LlmSettingsError('INVALID_SETTINGS', `provider: "${provider}" is not supported; use one of ${deps.languageModels.supportedProviders.join(', ')}`, 400);
    }
    if (provider === 'bedrock') {
      throw new LlmSettingsError('INVALID_SETTINGS', 'provider: bedrock takes AWS credentials from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION); set LLM_MODEL=bedrock/<model> there', 400);
    }
  };

  return {
    async load() {
      const value = (await deps.settings.get(settingsKey)) as StoredLlmSettings | undefined;
      stored = value ?? undefined;
      storedKey = openStoredKey(stored);
      if (!fromEnvironment && stored) {
        current = await deps.languageModels.createLanguageModel(configFor({ ...stored, ...(storedKey ? { api_key: storedKey } : {}) }));
        if (stored.api_key_sealed && !storedKey) current = { ...current, model: undefined, problem: 'The saved model API key cannot be decrypted (was SKYFLO_ENCRYPTION_KEY changed?); an admin must enter it again in Settings.' };
      }
    },

    selection: () => current,
    secrets: () => [...llmSecretValues(deps.environment), ...(storedKey ? [storedKey] : [])],

    get: (actor) => view(actor),

    async put(actor, input, ip) {
      requireAdmin(actor);
      validateProvider(input.provider);
      // omitted: keep the stored key (when the provider is the same); null: remove it
      const keepKey = input.api_key === undefined && stored?.provider === input.provider ? storedKey : undefined;
      const apiKey = input.api_key === null ? undefined : (input.api_key ?? keepKey);
      const candidate = { provider: input.provider, model: input.model, base_url: input.base_url ?? null, reasoning_effort: input.reasoning_effort ?? null, thinking_budget_tokens: input.thinking_budget_tokens ?? null, max_tokens: input.max_tokens ?? null };
      const selection = await deps.languageModels.createLanguageModel(configFor({ ...candidate, ...(apiKey ? { api_key: apiKey } : {}) }));
      if (selection.problem) {
        // The builder's messages name environment variables; here the admin fills in a form.
        throw new LlmSettingsError('INVALID_SETTINGS', `these settings cannot be used: ${selection.problem.replace(/ is not set; LLM_MODEL=[^ ]+ needs it \(or [^)]*\)\./, ' is needed: enter the API key.').replace(/^LLM_HOST is not set/, 'base_url is needed')}`, 400);
      }
      const next: StoredLlmSettings = {
        ...candidate,
        api_key_sealed: apiKey ? deps.secretBox.seal(apiKey, sealContext) : null,
        api_key_last4: apiKey ? apiKey.slice(-4) : null,
      };
      await atomically(async (tx) => {
        await tx.settings.put(settingsKey, next);
        await recordSettingsChange(tx.audit, {
          actor,
          ...(ip ? { ip } : {}),
          section: settingsKey,
          fields: { provider: next.provider, model: next.model, base_url: next.base_url, reasoning_effort: next.reasoning_effort, thinking_budget_tokens: next.thinking_budget_tokens, max_tokens: next.max_tokens, api_key: input.api_key === undefined ? undefined : 'changed' },
          ...(input.api_key && next.api_key_last4 ? { apiKeyLast4: next.api_key_last4 } : {}),
          outcome: fromEnvironment ? 'saved; not applied while LLM_MODEL is set in the environment' : 'applied to new model calls',
        });
      });
      stored = next;
      storedKey = apiKey;
      if (!fromEnvironment) current = selection;
      return view(actor);
    },

    async test(actor, candidate) {
      requireAdmin(actor);
      let selection = current;
      if (candidate?.provider && candidate.model) {
        validateProvider(candidate.provider);
        const apiKey = candidate.api_key ?? (stored?.provider === candidate.provider ? storedKey : undefined);
        selection = await deps.languageModels.createLanguageModel(configFor({ provider: candidate.provider, model: candidate.model, base_url: candidate.base_url ?? null, ...(apiKey ? { api_key: apiKey } : {}) }));
      }
      if (!selection.model) return { ok: false, error: selection.problem ?? 'no model is configured' };
      // The AI SDK is loaded here, not at start-up: the engine must answer before it has imported the agent's libraries.
      const [{ generateText }, { classifyLlmError }] = await Promise.all([import('ai'), import('../model-calls/classify-llm-error.ts')]);
      const started = performance.now();
      try {
        const result = await generateText({ model: selection.model, prompt: 'Reply with the single word OK.', maxOutputTokens: 16, maxRetries: 0, abortSignal: AbortSignal.timeout(deps.testTimeoutMs ?? 20_000) });
        return { ok: true, latency_ms: Math.round(performance.now() - started), model: `${selection.provider}/${selection.modelId}`, reply: result.text.slice(0, 200) };
      } catch (error) {
        const classified = classifyLlmError(error);
        let message = classified.message;
        for (const secret of [...llmSecretValues(deps.environment), ...(storedKey ? [storedKey] : []), ...(candidate?.api_key ? [candidate.api_key] : [])]) message = message.split(secret).join('[redacted]');
        return { ok: false, latency_ms: Math.round(performance.now() - started), model: `${selection.provider}/${selection.modelId}`, error: message };
      }
    },

    providers() {
      return deps.languageModels.supportedProviders.map((id) => {
        const variable = isKeyed(id) ? apiKeyVariables[id][0]! : id === 'ollama' ? null : id === 'bedrock' ? 'AWS_ACCESS_KEY_ID' : null;
        return {
          id: id,
          label: id,
          api_key_variable: variable,
          needs_api_key: isKeyed(id) && id !== 'openai-compatible',
          needs_base_url: id === 'openai-compatible',
          example_models: exampleModels[id] ?? [],
        };
      });
    },

    async ollamaModels(actor, baseUrl) {
      requireAdmin(actor);
      const root = (baseUrl ?? ollamaDefault).replace(/\/v1\/?$/, '').replace(/\/$/, '');
      try {
        const response = await fetchImpl(`${root}/api/tags`, { signal: AbortSignal.timeout(1500) });
        if (!response.ok) return { available: false, base_url: `${root}/v1`, models: [], error: `Ollama at ${root} answered HTTP ${response.status}` };
        const body = (await readCappedJson(response, { maxBytes: ollamaAnswerMaxBytes, what: `Ollama at ${root}` })) as { models?: Array<{ name?: string; model?: string }> } | undefined;
        if (body === undefined) throw new SyntaxError('the answer is not JSON');
        const models = (body.models ?? []).map((entry) => entry.name ?? entry.model ?? '').filter(Boolean);
        return { available: true, base_url: `${root}/v1`, models };
      } catch (error) {
        if (error instanceof ResponseTooLargeError) return { available: false, base_url: `${root}/v1`, models: [], error: error.message };
        return { available: false, base_url: `${root}/v1`, models: [], error: `no Ollama answers at ${root} (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name})` };
      }
    },
  };
}
