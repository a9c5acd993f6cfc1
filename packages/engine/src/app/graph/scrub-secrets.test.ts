/**
 * The LLM keys from config are what the event path scrubs; the scrubber rewrites nested strings only. Answer text is
 * also scrubbed of the secret values the model proposed in tool arguments, chunk by chunk as it streams.
 */
import type { ModelMessage } from 'ai';
import { describe, expect, it } from 'vitest';
import { createSecretScrubber, createStreamScrubber, secretsProposedIn } from './scrub-secrets.ts';
import { llmConfigSchema } from '../../platform/config/llm.ts';
import { llmSecretValues } from '../model-calls/llm-secret-values.ts';

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

  it('copies only what holds a secret: an event without one is passed on as it is, and the original is never changed', () => {
    const scrub = createSecretScrubber(['sk-openai-0123456789']);
    const token = { type: 'token', text: 'hello', tokens_generated: 1, nested: { list: ['a'] } };
    expect(scrub(token)).toBe(token);
    const leaky = { type: 'tool.error', error: 'key sk-openai-0123456789', nested: { list: ['a', 'sk-openai-0123456789'] }, other: { kept: true } };
    const scrubbed = scrub(leaky);
    expect(scrubbed).toEqual({ type: 'tool.error', error: 'key [REDACTED]', nested: { list: ['a', '[REDACTED]'] }, other: { kept: true } });
    expect(leaky.error).toBe('key sk-openai-0123456789');
    expect(leaky.nested.list[1]).toBe('sk-openai-0123456789');
  });

  it('streamed text: a secret split across chunks at any point never appears in what is sent, and the rest arrives whole', () => {
    const secret = 'Sup3rS3cretPw-4471';
    const answer = `I set the password to ${secret}; the old one, ${secret.slice(0, 9)}, is gone. Keep ${secret} safe.`;
    const expected = answer.split(secret).join('[REDACTED]');
    for (let first = 1; first < answer.length; first += 1) {
      for (const size of [1, 3, 8]) {
        const chunks = [answer.slice(0, first), ...(answer.slice(first).match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [])];
        const scrubber = createStreamScrubber([secret, 'other-secret-value']);
        const sent = [...chunks.map((chunk) => scrubber.push(chunk)), scrubber.flush()];
        for (const piece of sent) expect(piece).not.toContain(secret);
        expect(sent.join('')).toBe(expected);
      }
    }
  });

  it('streamed text: what is held back is bounded by the longest secret, and text without secrets passes at once', () => {
    const scrubber = createStreamScrubber(['hunter2-pass']);
    expect(scrubber.push('All good, ')).toBe('All good, ');
    expect(scrubber.push('the value is hunter2')).toBe('the value is ');
    expect(scrubber.push('-pa')).toBe('');
    expect(scrubber.push('ss now')).toBe('[REDACTED] now');
    expect(scrubber.push(' hunt')).toBe(' ');
    expect(scrubber.flush()).toBe('hunt');
    expect(createStreamScrubber([]).push('anything')).toBe('anything');
  });

  it('collects the secret values the model proposed in tool calls: Secret data (also decoded), env values, secret flags', () => {
    const messages: ModelMessage[] = [
      { role: 'user', content: 'create the secrets' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Creating them.' },
          {
            type: 'tool-call',
            toolCallId: 'call_1',
            toolName: 'k8s_apply',
            input: {
              content: `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: Sup3rS3cretPw-4471\ndata:\n  token: ${Buffer.from('decoded-token-4471').toString('base64')}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: api:1\n        env:\n        - {name: API_KEY, value: env-api-key-4471}\n        - {name: LOG_LEVEL, value: debug}\n`,
            },
          },
          { type: 'tool-call', toolCallId: 'call_2', toolName: 'jenkins_trigger_build', input: { jobFullName: 'deploy', parameters: { DEPLOY_TOKEN: 'deploy-token-4471', REGION: 'eu-west-1' } } },
        ],
      },
    ];
    const values = secretsProposedIn(messages);
    expect(values).toEqual(expect.arrayContaining(['Sup3rS3cretPw-4471', Buffer.from('decoded-token-4471').toString('base64'), 'decoded-token-4471', 'env-api-key-4471', 'deploy-token-4471']));
    for (const harmless of ['debug', 'eu-west-1', 'db', 'api:1', 'Creating them.']) expect(values).not.toContain(harmless);
  });
});
