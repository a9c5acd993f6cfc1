/** LLM_MODEL → AI SDK model: every provider resolves offline; problems name the variable to set. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { llmConfigSchema } from '../../platform/config/llm.ts';
import { createLanguageModel, supportedProviders } from './create-language-model.ts';

const resolve = (env: Record<string, string>) => createLanguageModel(llmConfigSchema.parse(env));

describe('createLanguageModel: providers', () => {
  it.each([
    ['openai/gpt-4o', { OPENAI_API_KEY: 'sk-test-openai' }, 'openai.responses', 'gpt-4o', 'key from OPENAI_API_KEY'],
    ['anthropic/claude-sonnet-4-5', { ANTHROPIC_API_KEY: 'sk-ant' }, 'anthropic.messages', 'claude-sonnet-4-5', 'key from ANTHROPIC_API_KEY'],
    ['google/gemini-2.5-pro', { GOOGLE_GENERATIVE_AI_API_KEY: 'g-key' }, 'google.generative-ai', 'gemini-2.5-pro', 'key from GOOGLE_GENERATIVE_AI_API_KEY'],
    ['google/gemini-2.5-flash', { GEMINI_API_KEY: 'g-key' }, 'google.generative-ai', 'gemini-2.5-flash', 'key from GEMINI_API_KEY'],
    ['moonshotai/kimi-k2', { MOONSHOT_API_KEY: 'm-key' }, 'moonshotai.chat', 'kimi-k2', 'key from MOONSHOT_API_KEY'],
    ['moonshotai/kimi-k2', { MOONSHOTAI_API_KEY: 'm-key' }, 'moonshotai.chat', 'kimi-k2', 'key from MOONSHOTAI_API_KEY'],
    ['groq/openai/gpt-oss-120b', { GROQ_API_KEY: 'gsk' }, 'groq.chat', 'openai/gpt-oss-120b', 'key from GROQ_API_KEY'],
    ['mistral/mistral-large-latest', { MISTRAL_API_KEY: 'mk' }, 'mistral.chat', 'mistral-large-latest', 'key from MISTRAL_API_KEY'],
    ['deepseek/deepseek-chat', { DEEPSEEK_API_KEY: 'dk' }, 'deepseek.chat', 'deepseek-chat', 'key from DEEPSEEK_API_KEY'],
    [
      'bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0',
      { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'secret' },
      'amazon-bedrock',
      'anthropic.claude-3-5-sonnet-20241022-v2:0',
      'keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, region us-east-1',
    ],
    ['bedrock/amazon.nova-pro-v1:0', { AWS_DEFAULT_REGION: 'eu-west-1', AWS_BEARER_TOKEN_BEDROCK: 'abk' }, 'amazon-bedrock', 'amazon.nova-pro-v1:0', 'key from AWS_BEARER_TOKEN_BEDROCK'],
    ['azure/my-gpt4o-deployment', { AZURE_API_KEY: 'azure-secret-value', AZURE_RESOURCE_NAME: 'skyflo' }, 'azure.responses', 'my-gpt4o-deployment', 'key from AZURE_API_KEY'],
    ['openai-compatible/llama3.1', { LLM_HOST: 'http://127.0.0.1:11434/v1' }, 'openai-compatible.chat', 'llama3.1', 'no key, at http://127.0.0.1:11434/v1'],
    ['openai-compatible/qwen', { LLM_HOST: 'http://vllm:8000/v1', OPENAI_COMPATIBLE_API_KEY: 'vk' }, 'openai-compatible.chat', 'qwen', 'key from OPENAI_COMPATIBLE_API_KEY, at http://vllm:8000/v1'],
    ['ollama/llama3.1', {}, 'ollama.chat', 'llama3.1', 'no key, at http://127.0.0.1:11434/v1'],
  ])('%s resolves without network', async (model, env, providerId, modelId, credential) => {
    const selection = await resolve({ LLM_MODEL: model, ...env });
    expect(selection.problem).toBeUndefined();
    expect(selection.model?.specificationVersion).toBe('v3');
    expect(selection.model?.provider).toBe(providerId);
    expect(selection.model?.modelId).toBe(modelId);
    expect(selection.describe).toBe(`${model} (${credential})`);
    const secrets = Object.entries(env).filter(([name]) => /(KEY|SECRET|TOKEN)/.test(name) && name !== 'AWS_ACCESS_KEY_ID');
    for (const [, secret] of secrets) expect(selection.describe).not.toContain(secret);
  });

  it('covers every provider the issue lists', () => {
    expect(supportedProviders).toEqual(
      expect.arrayContaining(['openai', 'anthropic', 'google', 'moonshotai', 'groq', 'mistral', 'deepseek', 'bedrock', 'azure', 'openai-compatible']),
    );
  });

  it('uses chat completions when openai is pointed at another host (proxies rarely serve /responses)', async () => {
    const selection = await resolve({ LLM_MODEL: 'openai/gpt-4o', OPENAI_API_KEY: 'sk', LLM_HOST: 'http://litellm:4000/v1' });
    expect(selection.model?.provider).toBe('openai.chat');
  });

  it('reads a key from a *_FILE (Kubernetes/Docker secret) and says so', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-llm-'));
    const keyFile = path.join(directory, 'openai-key');
    writeFileSync(keyFile, 'sk-from-file\n');
    const config = llmConfigSchema.parse({ LLM_MODEL: 'openai/gpt-4o', OPENAI_API_KEY_FILE: keyFile });
    expect(config.apiKeys.openai).toEqual({ value: 'sk-from-file', source: 'OPENAI_API_KEY_FILE' });
    expect((await createLanguageModel(config)).describe).toBe('openai/gpt-4o (key from OPENAI_API_KEY_FILE)');
  });
});

describe('createLanguageModel: problems', () => {
  it('without LLM_MODEL, reports that no LLM is configured and what to set', async () => {
    const selection = await resolve({});
    expect(selection.model).toBeUndefined();
    expect(selection.describe).toBe('no LLM configured');
    expect(selection.problem).toMatch(/No LLM configured: an admin can choose a provider, model and key in the Command Center \(Settings → Model\), or set LLM_MODEL=provider\/model/);
    expect(selection.problem).toContain('LLM_HOST=http://127.0.0.1:11434/v1');
  });

  it('names the supported providers for an unknown one', async () => {
    const selection = await resolve({ LLM_MODEL: 'openia/gpt-4o' });
    expect(selection.model).toBeUndefined();
    expect(selection.problem).toBe(
      "Unknown LLM provider 'openia' in LLM_MODEL; use one of openai, anthropic, google, moonshotai, groq, mistral, deepseek, bedrock, azure, openai-compatible, ollama.",
    );
  });

  it.each([
    ['openai/gpt-4o', {}, 'OPENAI_API_KEY is not set; LLM_MODEL=openai/gpt-4o needs it (or OPENAI_API_KEY_FILE).'],
    ['anthropic/claude-sonnet-4-5', {}, 'ANTHROPIC_API_KEY is not set; LLM_MODEL=anthropic/claude-sonnet-4-5 needs it (or ANTHROPIC_API_KEY_FILE).'],
    ['google/gemini-2.5-pro', {}, 'GOOGLE_GENERATIVE_AI_API_KEY is not set; LLM_MODEL=google/gemini-2.5-pro needs it (or GEMINI_API_KEY or GOOGLE_GENERATIVE_AI_API_KEY_FILE).'],
    ['groq/llama-3.3-70b-versatile', { OPENAI_API_KEY: 'sk' }, 'GROQ_API_KEY is not set; LLM_MODEL=groq/llama-3.3-70b-versatile needs it (or GROQ_API_KEY_FILE).'],
    ['bedrock/amazon.nova-pro-v1:0', {}, 'AWS_REGION is not set; LLM_MODEL=bedrock/amazon.nova-pro-v1:0 needs it (e.g. us-east-1).'],
    ['bedrock/amazon.nova-pro-v1:0', { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIA' }, /needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY .* AWS_BEARER_TOKEN_BEDROCK/],
    ['azure/gpt4o', { AZURE_API_KEY: 'az' }, 'AZURE_RESOURCE_NAME is not set; LLM_MODEL=azure/gpt4o needs it (or LLM_HOST with the full base URL).'],
    ['openai-compatible/llama3.1', {}, /^LLM_HOST is not set; LLM_MODEL=openai-compatible\/llama3.1 needs the server's base URL, e.g. LLM_HOST=http:\/\/127.0.0.1:11434\/v1 for Ollama/],
  ])('%s with %j → %s', async (model, env, problem) => {
    const selection = await resolve({ LLM_MODEL: model, ...env });
    expect(selection.model).toBeUndefined();
    if (typeof problem === 'string') expect(selection.problem).toBe(problem);
    else expect(selection.problem).toMatch(problem);
    expect(selection.describe).toContain('not usable');
  });

  it.each([
    [{ LLM_MODEL: 'gpt-4o' }, 'LLM_MODEL', 'must be "provider/model"'],
    [{ LLM_HOST: 'localhost:11434' }, 'LLM_HOST', 'must be an http(s) URL'],
    [{ LLM_MAX_TOKENS: 'lots' }, 'LLM_MAX_TOKENS', 'positive whole number'],
    [{ LLM_REASONING_EFFORT: 'extreme' }, 'LLM_REASONING_EFFORT', 'low, medium, high, default'],
    [{ LLM_THINKING_BUDGET_TOKENS: '100' }, 'LLM_THINKING_BUDGET_TOKENS', 'at least 1024'],
    [{ LLM_TEMPERATURE: '3' }, 'LLM_TEMPERATURE', 'between 0 and 2'],
    [{ OPENAI_API_KEY_FILE: '/nonexistent/key' }, 'OPENAI_API_KEY_FILE', 'cannot read /nonexistent/key (ENOENT)'],
    [{ ANTHROPIC_API_KEY: 'k', ANTHROPIC_API_KEY_FILE: '/run/secrets/anthropic' }, 'ANTHROPIC_API_KEY_FILE', 'set both ANTHROPIC_API_KEY and ANTHROPIC_API_KEY_FILE'],
  ])('rejects bad settings at start-up, naming the variable: %j', (env, variable, message) => {
    const result = llmConfigSchema.safeParse(env);
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((candidate) => candidate.path[0] === variable);
    expect(issue?.message).toContain(message);
  });

  it('treats empty variables as unset and applies defaults', () => {
    const config = llmConfigSchema.parse({ LLM_MODEL: '', OPENAI_API_KEY: '', LLM_TIMEOUT_MS: '' });
    expect(config.model).toBeUndefined();
    expect(config.apiKeys.openai).toBeUndefined();
    expect(config.timeoutMs).toBe(120_000);
  });
});

describe('createLanguageModel: reasoning settings', () => {
  // The SDK adds the budget to maxOutputTokens for Anthropic/Bedrock, so the wire max_tokens is the sum.
  it('turns a thinking budget into Anthropic thinking with max_tokens = max(2×budget, 16384) on the wire', async () => {
    const small = await resolve({ LLM_MODEL: 'anthropic/claude-sonnet-4-5', ANTHROPIC_API_KEY: 'k', LLM_THINKING_BUDGET_TOKENS: '4000' });
    expect(small.providerOptions).toEqual({ anthropic: { thinking: { type: 'enabled', budgetTokens: 4000 } } });
    expect(small.callSettings.maxOutputTokens! + 4000).toBe(16_384);
    const large = await resolve({ LLM_MODEL: 'anthropic/claude-sonnet-4-5', ANTHROPIC_API_KEY: 'k', LLM_THINKING_BUDGET_TOKENS: '10000' });
    expect(large.callSettings.maxOutputTokens! + 10_000).toBe(20_000);
    const explicit = await resolve({ LLM_MODEL: 'anthropic/claude-sonnet-4-5', ANTHROPIC_API_KEY: 'k', LLM_THINKING_BUDGET_TOKENS: '10000', LLM_MAX_TOKENS: '12000' });
    expect(explicit.callSettings.maxOutputTokens! + 10_000).toBe(12_000);
    const tooSmall = await resolve({ LLM_MODEL: 'anthropic/claude-sonnet-4-5', ANTHROPIC_API_KEY: 'k', LLM_THINKING_BUDGET_TOKENS: '8000', LLM_MAX_TOKENS: '4000' });
    expect(tooSmall.callSettings.maxOutputTokens).toBe(1024);
  });

  it('gives Google a thinkingConfig and Bedrock a reasoningConfig for the same budget', async () => {
    const google = await resolve({ LLM_MODEL: 'google/gemini-2.5-pro', GEMINI_API_KEY: 'k', LLM_THINKING_BUDGET_TOKENS: '2048' });
    expect(google.providerOptions).toEqual({ google: { thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } } });
    expect(google.callSettings.maxOutputTokens).toBe(16_384);
    const bedrock = await resolve({ LLM_MODEL: 'bedrock/anthropic.claude', AWS_REGION: 'us-east-1', AWS_BEARER_TOKEN_BEDROCK: 'k', LLM_THINKING_BUDGET_TOKENS: '2048' });
    expect(bedrock.providerOptions).toEqual({ bedrock: { reasoningConfig: { type: 'enabled', budgetTokens: 2048 } } });
  });

  it('sends the reasoning effort to OpenAI-style providers, mapped to the levels each accepts', async () => {
    const openai = await resolve({ LLM_MODEL: 'openai/o4-mini', OPENAI_API_KEY: 'k', LLM_REASONING_EFFORT: 'medium' });
    expect(openai.providerOptions).toEqual({ openai: { reasoningEffort: 'medium' } });
    expect(openai.callSettings.maxOutputTokens).toBeUndefined();
    const compatible = await resolve({ LLM_MODEL: 'openai-compatible/qwq', LLM_HOST: 'http://127.0.0.1:8000/v1', LLM_REASONING_EFFORT: 'high' });
    expect(compatible.providerOptions).toEqual({ openaiCompatible: { reasoningEffort: 'high' } });
    const deepseek = await resolve({ LLM_MODEL: 'deepseek/deepseek-reasoner', DEEPSEEK_API_KEY: 'k', LLM_REASONING_EFFORT: 'medium' });
    expect(deepseek.providerOptions).toEqual({ deepseek: { reasoningEffort: 'high' } });
  });

  it('maps an effort to a budget for budget-style providers, and a budget wins over an effort', async () => {
    const anthropic = await resolve({ LLM_MODEL: 'anthropic/claude-sonnet-4-5', ANTHROPIC_API_KEY: 'k', LLM_REASONING_EFFORT: 'low' });
    expect(anthropic.providerOptions).toEqual({ anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } } });
    const both = await resolve({ LLM_MODEL: 'anthropic/claude-sonnet-4-5', ANTHROPIC_API_KEY: 'k', LLM_REASONING_EFFORT: 'low', LLM_THINKING_BUDGET_TOKENS: '8192' });
    expect(both.providerOptions).toEqual({ anthropic: { thinking: { type: 'enabled', budgetTokens: 8192 } } });
  });

  it("sends nothing for 'default' or when unset, and passes temperature, max tokens and timeout through", async () => {
    const selection = await resolve({ LLM_MODEL: 'openai/gpt-4o', OPENAI_API_KEY: 'k', LLM_REASONING_EFFORT: 'default', LLM_TEMPERATURE: '0.2', LLM_MAX_TOKENS: '4096', LLM_TIMEOUT_MS: '30000' });
    expect(selection.providerOptions).toEqual({});
    expect(selection.callSettings).toEqual({ maxOutputTokens: 4096, temperature: 0.2, timeoutMs: 30_000 });
  });
});
