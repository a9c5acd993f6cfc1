import { describe, expect, it } from 'vitest';
import { liveAgentModel, modelNameOf, type LanguageModelSelection, type ModelSource } from './agent-model.ts';

const selection = (overrides: Partial<LanguageModelSelection>): LanguageModelSelection => ({
  model: undefined,
  provider: '',
  modelId: '',
  describe: 'no LLM configured',
  providerOptions: {},
  callSettings: { timeoutMs: 1000 },
  ...overrides,
});

describe('the model setting as the agent reads it', () => {
  it('reads through the source, so a settings change reaches the next call', () => {
    let current = selection({ problem: 'No LLM configured' });
    const source: ModelSource = { selection: () => current, secrets: () => (current.provider ? ['sk-live'] : []) };
    const model = liveAgentModel(source);
    expect(model).toMatchObject({ model: undefined, modelName: 'no', problem: 'No LLM configured', secrets: [] });
    const fake = { specificationVersion: 'v3' } as unknown as NonNullable<LanguageModelSelection['model']>;
    current = selection({ model: fake, provider: 'openai', modelId: 'gpt-4o', describe: 'openai/gpt-4o (key from OPENAI_API_KEY)', callSettings: { timeoutMs: 1000, maxOutputTokens: 512 }, providerOptions: { openai: { reasoningEffort: 'low' } } });
    expect(model.model).toBe(fake);
    expect(model.modelName).toBe('openai/gpt-4o');
    expect(model.maxOutputTokens).toBe(512);
    expect(model.providerOptions).toEqual({ openai: { reasoningEffort: 'low' } });
    expect(model.problem).toBeUndefined();
    expect(model.secrets).toEqual(['sk-live']);
  });

  it('names a model by provider/model, falling back to the first word of its description', () => {
    expect(modelNameOf({ provider: 'groq', modelId: 'openai/gpt-oss-120b', describe: 'x' })).toBe('groq/openai/gpt-oss-120b');
    expect(modelNameOf({ provider: 'nope', modelId: '', describe: 'nope/ (not usable: …)' })).toBe('nope/');
  });
});
