/**
 * Which model the agent talks to, and the credentials for it (spec §3/§8). Parsed once at start-up by
 * config/index.ts. An unset LLM_MODEL is valid: the engine starts and says what to set. Keys are kept with
 * the name of the variable they came from, so messages can say where a key came from without showing it.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** A secret and the variable it was read from (e.g. GEMINI_API_KEY or OPENAI_API_KEY_FILE). */
export interface Secret {
  value: string;
  source: string;
}

/** Providers whose key is one `<PROVIDER>_API_KEY` (bedrock is configured through aws). */
export type ApiKeyProvider = 'openai' | 'anthropic' | 'google' | 'moonshotai' | 'groq' | 'mistral' | 'deepseek' | 'azure' | 'openai-compatible';

/** Key variables per provider, first one preferred. Each also accepts `<NAME>_FILE`. */
export const apiKeyVariables: Record<ApiKeyProvider, readonly string[]> = {
  openai: ['OPENAI_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY'],
  google: ['GOOGLE_GENERATIVE_AI_API_KEY', 'GEMINI_API_KEY'],
  moonshotai: ['MOONSHOT_API_KEY', 'MOONSHOTAI_API_KEY'],
  groq: ['GROQ_API_KEY'],
  mistral: ['MISTRAL_API_KEY'],
  deepseek: ['DEEPSEEK_API_KEY'],
  azure: ['AZURE_API_KEY'],
  'openai-compatible': ['OPENAI_COMPATIBLE_API_KEY'],
};

/** One line per secret variable; each also accepts `<NAME>_FILE` (a Docker/Kubernetes secret file). */
const secretDocs: Record<string, string> = {
  OPENAI_API_KEY: 'OpenAI API key, for LLM_MODEL=openai/…',
  ANTHROPIC_API_KEY: 'Anthropic API key, for LLM_MODEL=anthropic/…',
  GOOGLE_GENERATIVE_AI_API_KEY: 'Google AI Studio (Gemini) API key, for LLM_MODEL=google/…',
  GEMINI_API_KEY: 'Alternative name for GOOGLE_GENERATIVE_AI_API_KEY',
  MOONSHOT_API_KEY: 'Moonshot AI (Kimi) API key, for LLM_MODEL=moonshotai/…',
  MOONSHOTAI_API_KEY: 'Alternative name for MOONSHOT_API_KEY',
  GROQ_API_KEY: 'Groq API key, for LLM_MODEL=groq/…',
  MISTRAL_API_KEY: 'Mistral API key, for LLM_MODEL=mistral/…',
  DEEPSEEK_API_KEY: 'DeepSeek API key, for LLM_MODEL=deepseek/…',
  AZURE_API_KEY: 'Azure OpenAI key, for LLM_MODEL=azure/<deployment> (with AZURE_RESOURCE_NAME or LLM_HOST)',
  OPENAI_COMPATIBLE_API_KEY: 'Bearer key for an OpenAI-compatible server at LLM_HOST (optional: Ollama needs none)',
  AWS_ACCESS_KEY_ID: 'AWS access key id, for LLM_MODEL=bedrock/… (with AWS_SECRET_ACCESS_KEY and AWS_REGION)',
  AWS_SECRET_ACCESS_KEY: 'AWS secret access key, for bedrock',
  AWS_SESSION_TOKEN: 'AWS session token, for temporary bedrock credentials',
  AWS_BEARER_TOKEN_BEDROCK: 'Bedrock API key, instead of AWS access keys',
};

/** '' means unset: `FOO=` in a .env file or compose file should not count as a value. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const positiveInt = (what: string) =>
  z.coerce.number({ error: `must be a positive whole number of ${what}` }).int(`must be a positive whole number of ${what}`).positive(`must be a positive whole number of ${what}`);

const secretFields = Object.fromEntries(
  Object.entries(secretDocs).flatMap(([name, doc]) => [
    [name, optional(z.string()).describe(doc)],
    [`${name}_FILE`, optional(z.string()).describe(`File holding ${name}`)],
  ]),
) as Record<string, ReturnType<typeof optional<z.ZodString>>>;

export const llmConfigSchema = z
  .object({
    /**
     * The model as `provider/model`, e.g. openai/gpt-4o, anthropic/claude-sonnet-4-5, google/gemini-2.5-pro,
     * openai-compatible/llama3.1 (with LLM_HOST). Unset → no LLM: the engine starts and explains what to set.
     */
    LLM_MODEL: optional(
      z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*\/\S+$/, 'must be "provider/model", e.g. openai/gpt-4o or anthropic/claude-sonnet-4-5'),
    ),
    /** Base URL of the model API including /v1 (required for openai-compatible, e.g. http://127.0.0.1:11434/v1 for Ollama; overrides the default elsewhere). */
    LLM_HOST: optional(z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL, e.g. http://127.0.0.1:11434/v1')),
    /** Most tokens per model answer (default: the provider's; with a thinking budget, max(2×budget, 16384)). */
    LLM_MAX_TOKENS: optional(positiveInt('tokens')),
    /** Reasoning effort for models that support it: low, medium, high, or default (send nothing). */
    LLM_REASONING_EFFORT: optional(
      z
        .string()
        .trim()
        .toLowerCase()
        .pipe(z.enum(['low', 'medium', 'high', 'default'], { error: 'must be one of low, medium, high, default' })),
    ),
    /** Thinking budget in tokens (Anthropic, Bedrock, Google); takes precedence over LLM_REASONING_EFFORT. */
    LLM_THINKING_BUDGET_TOKENS: optional(positiveInt('tokens').min(1024, 'must be at least 1024 (the smallest budget providers accept)')),
    /** Sampling temperature, 0–2 (default: the provider's). */
    LLM_TEMPERATURE: optional(z.coerce.number({ error: 'must be a number between 0 and 2' }).min(0, 'must be between 0 and 2').max(2, 'must be between 0 and 2')),
    /** Abort one model call after this many ms (default 120000, as in the reference). */
    LLM_TIMEOUT_MS: z.preprocess((value) => (value === '' ? undefined : value), positiveInt('milliseconds').default(120_000)),
    /** AWS region for bedrock, e.g. us-east-1 (AWS_DEFAULT_REGION is accepted too). */
    AWS_REGION: optional(z.string()),
    AWS_DEFAULT_REGION: optional(z.string()),
    /** Azure OpenAI resource name (https://<name>.openai.azure.com); or set LLM_HOST to the full base URL. */
    AZURE_RESOURCE_NAME: optional(z.string()),
    /** Azure OpenAI API version (default: the SDK's). */
    AZURE_API_VERSION: optional(z.string()),
    // Provider keys (see secretDocs), each as the variable or as <NAME>_FILE, not both.
    ...secretFields,
  })
  .transform((env, context) => {
    // The secret fields are built from a list, so their names are not in the inferred type.
    const raw = env as unknown as Record<string, string | undefined>;
    const read = (name: string): Secret | undefined => {
      const direct = raw[name];
      const file = raw[`${name}_FILE`];
      if (direct !== undefined && file !== undefined) {
        // As for the other *_FILE secrets (config/index.ts): two sources is an error, not a silent precedence rule.
        context.addIssue({ code: 'custom', path: [`${name}_FILE`], message: `set both ${name} and ${name}_FILE; keep only one` });
        return undefined;
      }
      if (direct !== undefined) return { value: direct.trim(), source: name };
      if (file === undefined) return undefined;
      try {
        const value = readFileSync(file, 'utf8').trim();
        if (value.length > 0) return { value, source: `${name}_FILE` };
        context.addIssue({ code: 'custom', path: [`${name}_FILE`], message: `${file} is empty` });
      } catch (error) {
        context.addIssue({ code: 'custom', path: [`${name}_FILE`], message: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
      }
      return undefined;
    };
    const apiKeys: Partial<Record<ApiKeyProvider, Secret>> = {};
    for (const [provider, names] of Object.entries(apiKeyVariables) as Array<[ApiKeyProvider, readonly string[]]>) {
      for (const name of names) {
        const secret = read(name);
        if (secret) {
          apiKeys[provider] = secret;
          break;
        }
      }
    }
    return {
      model: env.LLM_MODEL,
      host: env.LLM_HOST,
      maxTokens: env.LLM_MAX_TOKENS,
      reasoningEffort: env.LLM_REASONING_EFFORT,
      thinkingBudgetTokens: env.LLM_THINKING_BUDGET_TOKENS,
      temperature: env.LLM_TEMPERATURE,
      timeoutMs: env.LLM_TIMEOUT_MS,
      apiKeys,
      aws: {
        region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
        accessKeyId: read('AWS_ACCESS_KEY_ID'),
        secretAccessKey: read('AWS_SECRET_ACCESS_KEY'),
        sessionToken: read('AWS_SESSION_TOKEN'),
        bearerToken: read('AWS_BEARER_TOKEN_BEDROCK'),
      },
      azure: { resourceName: env.AZURE_RESOURCE_NAME, apiVersion: env.AZURE_API_VERSION },
    };
  });

export type LlmConfig = z.output<typeof llmConfigSchema>;

/** Defaults plus overrides, for tests and embedding: `llmConfig({ model: 'openai/gpt-4o' })`. */
export function llmConfig(overrides: Partial<LlmConfig> = {}): LlmConfig {
  return { ...llmConfigSchema.parse({}), ...overrides };
}
