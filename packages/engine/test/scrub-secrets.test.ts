/** The LLM keys from config are what the event path scrubs; the scrubber rewrites nested strings only. */
import { describe, expect, it } from 'vitest';
import { createSecretScrubber } from '../src/agent/scrub-secrets.ts';
import { llmConfigSchema } from '../src/config/llm.ts';
import { llmSecretValues } from '../src/llm/llm-secret-values.ts';

describe('secret scrubbing of events', () => {
  it('collects every configured provider key and AWS credential, and nothing else', () => {
    const config = llmConfigSchema.parse({
      LLM_MODEL: 'openai/gpt-4o',
      OPENAI_API_KEY: 'sk-openai-0123456789',
      ANTHROPIC_API_KEY: 'sk-ant-0123456789',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-0123456789',
      LLM_HOST: 'http://127.0.0.1:11434/v1',
    });
    expect(llmSecretValues(config).sort()).toEqual(['aws-secret-0123456789', 'sk-ant-0123456789', 'sk-openai-0123456789']);
  });

  it('replaces secrets inside nested strings and leaves other values alone', () => {
    const scrub = createSecretScrubber(['sk-openai-0123456789', 'tiny']);
    const event = { type: 'tool.error', error: 'bad key sk-openai-0123456789 (twice: sk-openai-0123456789)', args: { list: ['x', 'sk-openai-0123456789'], tiny: 'tiny', count: 3, ok: true, none: null } };
    expect(scrub(event)).toEqual({ type: 'tool.error', error: 'bad key [REDACTED] (twice: [REDACTED])', args: { list: ['x', '[REDACTED]'], tiny: 'tiny', count: 3, ok: true, none: null } });
  });
});
