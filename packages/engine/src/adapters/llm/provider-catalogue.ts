/**
 * The providers LLM_MODEL may name, and how each is built from config without touching the network.
 * Credentials are passed explicitly: the SDK providers would otherwise read process.env themselves, and
 * only config/ may do that. Each provider's SDK is imported when a model of it is built: importing all ten took
 * 0.2-0.4 s of every engine start, for one provider at most.
 */
import type { LanguageModelV3 } from '../../platform/ports/agent-model.ts';
import { apiKeyVariables, type ApiKeyProvider, type LlmConfig, type Secret } from '../../platform/config/llm.ts';
import type { FetchFunction } from './idle-timeout-fetch.ts';
import { createRequestFetch } from './request-fetch.ts';


/** How a provider takes reasoning settings (see reasoning-settings.ts). */
export type ReasoningStyle = 'effort' | 'budget' | 'none';

export type ProviderBuild = { model: LanguageModelV3; credential: string } | { problem: string };

export interface ProviderEntry {
  /** The name used in LLM_MODEL. */
  id: string;
  /** The key of this provider's settings in `providerOptions`. */
  optionsKey: string;
  reasoning: ReasoningStyle;
  build(input: { modelId: string; config: LlmConfig }): Promise<ProviderBuild>;
}

const ollamaDefaultHost = 'http://127.0.0.1:11434/v1';

/**
 * Every provider's HTTP goes through the idle timeout, so LLM_TIMEOUT_MS holds whoever makes the call, and over
 * undici's request rather than Node's fetch (request-fetch.ts: less CPU per model call, fetch's contract kept).
 */
function timed(config: LlmConfig): FetchFunction {
  return createRequestFetch({ idleTimeoutMs: config.timeoutMs });
}

function missingKey(provider: ApiKeyProvider, modelName: string): { problem: string } {
  const [first, ...aliases] = apiKeyVariables[provider];
  const alternatives = [...aliases, `${first}_FILE`].join(' or ');
  return { problem: `${first} is not set; LLM_MODEL=${modelName} needs it (or ${alternatives}).` };
}

function fromKey(secret: Secret): string {
  return `key from ${secret.source}`;
}

/** Providers whose only requirement is one API key. */
function keyedProvider(
  id: ApiKeyProvider,
  loadCreate: () => Promise<(settings: { apiKey: string; baseURL?: string; fetch: FetchFunction }) => (modelId: string) => LanguageModelV3>,
  reasoning: ReasoningStyle,
): ProviderEntry {
  return {
    id,
    optionsKey: id,
    reasoning,
    async build({ modelId, config }) {
      const key = config.apiKeys[id];
      if (!key) return missingKey(id, `${id}/${modelId}`);
      const create = await loadCreate();
      return { model: create({ apiKey: key.value, baseURL: config.host, fetch: timed(config) })(modelId), credential: fromKey(key) };
    },
  };
}

export const providerCatalogue: readonly ProviderEntry[] = [
  {
    id: 'openai',
    optionsKey: 'openai',
    reasoning: 'effort',
    async build({ modelId, config }) {
      const key = config.apiKeys.openai;
      if (!key) return missingKey('openai', `openai/${modelId}`);
      const { createOpenAI } = await import('@ai-sdk/openai');
      const provider = createOpenAI({ apiKey: key.value, baseURL: config.host, fetch: timed(config) });
      // Why chat completions behind LLM_HOST: proxies and gateways (LiteLLM, corporate relays) implement
      // /chat/completions, rarely /responses; api.openai.com itself gets the Responses API.
      return { model: config.host ? provider.chat(modelId) : provider.responses(modelId), credential: fromKey(key) };
    },
  },
  keyedProvider('anthropic', async () => (await import('@ai-sdk/anthropic')).createAnthropic, 'budget'),
  keyedProvider('google', async () => (await import('@ai-sdk/google')).createGoogleGenerativeAI, 'budget'),
  keyedProvider('moonshotai', async () => (await import('@ai-sdk/moonshotai')).createMoonshotAI, 'effort'),
  keyedProvider('groq', async () => (await import('@ai-sdk/groq')).createGroq, 'effort'),
  keyedProvider('mistral', async () => (await import('@ai-sdk/mistral')).createMistral, 'effort'),
  keyedProvider('deepseek', async () => (await import('@ai-sdk/deepseek')).createDeepSeek, 'effort'),
  {
    id: 'bedrock',
    optionsKey: 'bedrock',
    reasoning: 'budget',
    async build({ modelId, config }) {
      const { region, accessKeyId, secretAccessKey, sessionToken, bearerToken } = config.aws;
      if (!region) return { problem: `AWS_REGION is not set; LLM_MODEL=bedrock/${modelId} needs it (e.g. us-east-1).` };
      const { createAmazonBedrock } = await import('@ai-sdk/amazon-bedrock');
      if (bearerToken) {
        return { model: createAmazonBedrock({ region, apiKey: bearerToken.value, fetch: timed(config) })(modelId), credential: fromKey(bearerToken) };
      }
      if (!accessKeyId || !secretAccessKey) {
        return {
          problem:
            `LLM_MODEL=bedrock/${modelId} needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for ` +
            'temporary credentials), or a Bedrock API key in AWS_BEARER_TOKEN_BEDROCK.',
        };
      }
      const model = createAmazonBedrock({
        region,
        accessKeyId: accessKeyId.value,
        secretAccessKey: secretAccessKey.value,
        sessionToken: sessionToken?.value,
        fetch: timed(config),
      })(modelId);
      return { model, credential: `keys from ${accessKeyId.source} and ${secretAccessKey.source}, region ${region}` };
    },
  },
  {
    id: 'azure',
    optionsKey: 'azure',
    reasoning: 'effort',
    async build({ modelId, config }) {
      const key = config.apiKeys.azure;
      if (!key) return missingKey('azure', `azure/${modelId}`);
      if (!config.azure.resourceName && !config.host) {
        return { problem: `AZURE_RESOURCE_NAME is not set; LLM_MODEL=azure/${modelId} needs it (or LLM_HOST with the full base URL).` };
      }
      const { createAzure } = await import('@ai-sdk/azure');
      const provider = createAzure({
        apiKey: key.value,
        resourceName: config.host ? undefined : config.azure.resourceName,
        baseURL: config.host,
        apiVersion: config.azure.apiVersion,
        fetch: timed(config),
      });
      return { model: provider(modelId), credential: fromKey(key) };
    },
  },
  openAiCompatible('openai-compatible', undefined),
  // Convenience alias: Ollama speaks the OpenAI protocol and needs no key.
  openAiCompatible('ollama', ollamaDefaultHost),
];

function openAiCompatible(id: string, defaultHost: string | undefined): ProviderEntry {
  return {
    id,
    // The SDK reads options under the camel-cased provider name (openai-compatible → openaiCompatible).
    optionsKey: id.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()),
    reasoning: 'effort',
    async build({ modelId, config }) {
      const baseURL = config.host ?? defaultHost;
      if (!baseURL) {
        return {
          problem:
            `LLM_HOST is not set; LLM_MODEL=${id}/${modelId} needs the server's base URL, e.g. ` +
            `LLM_HOST=${ollamaDefaultHost} for Ollama or http://127.0.0.1:8000/v1 for vLLM.`,
        };
      }
      const key = config.apiKeys['openai-compatible'];
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      // includeUsage asks for usage in the stream, which token.usage events need.
      const provider = createOpenAICompatible({ name: id, baseURL, apiKey: key?.value, includeUsage: true, fetch: timed(config) });
      return { model: provider.chatModel(modelId), credential: `${key ? fromKey(key) : 'no key'}, at ${redactUrl(baseURL)}` };
    },
  };
}

/** A URL without any user:password part, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '***';
      parsed.password = '';
    }
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unparseable URL>';
  }
}

export function findProvider(id: string): ProviderEntry | undefined {
  return providerCatalogue.find((entry) => entry.id === id.toLowerCase());
}
