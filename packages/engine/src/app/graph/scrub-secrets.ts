/**
 * Replaces known secret values wherever they appear in what a run emits, persists or streams:
 *   - the configured LLM keys (every event): provider error bodies are relayed to the user, and some proxies echo
 *     the key they were sent;
 *   - the secret values the model itself proposed in tool-call arguments (the answer text): the approval card,
 *     events and storage already hide them in the arguments, but a model that wrote a password into a manifest
 *     tends to repeat it in its answer ("I set the password to …").
 * Streamed text is scrubbed with a held-back tail (createStreamScrubber), so a secret split across two token
 * chunks is hidden too.
 */
import type { ModelMessage } from 'ai';
import { secretValuesInToolArguments } from '@skyflo/safety';

export const redactedMarker = '[REDACTED]';

/** Values shorter than this are too generic to scrub safely (they would mangle ordinary text). */
const minimumSecretLength = 6;

function secretsToHide(secrets: readonly string[]): string[] {
  return [...new Set(secrets.filter((secret) => secret.length >= minimumSecretLength))].sort((a, b) => b.length - a.length);
}

function replaceAll(text: string, values: readonly string[]): string {
  let result = text;
  for (const secret of values) if (result.includes(secret)) result = result.split(secret).join(redactedMarker);
  return result;
}

export function createSecretScrubber(secrets: readonly string[]): <T>(value: T) => T {
  const values = secretsToHide(secrets);
  if (values.length === 0) return (value) => value;

  // Copies only what changes: every run event passes here (a token per model token), and almost none holds a key, so
  // the usual answer is the value itself rather than a copy of every object on the way (issue 38: per-token churn).
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return replaceAll(value, values);
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let index = 0; index < value.length; index += 1) {
        const inner = scrub(value[index]);
        if (inner !== value[index]) (copy ??= [...value])[index] = inner;
      }
      return copy ?? value;
    }
    if (value !== null && typeof value === 'object') {
      let copy: Record<string, unknown> | undefined;
      for (const key in value as Record<string, unknown>) {
        if (!Object.hasOwn(value, key)) continue;
        const original = (value as Record<string, unknown>)[key];
        const inner = scrub(original);
        if (inner !== original) (copy ??= { ...(value as Record<string, unknown>) })[key] = inner;
      }
      return copy ?? value;
    }
    return value;
  };
  return <T>(value: T) => scrub(value) as T;
}

/** Scrubs a text that arrives in chunks: what `push` returns is safe to send now, `flush` returns the rest at the end. */
export interface StreamScrubber {
  push(chunk: string): string;
  flush(): string;
}

/**
 * A chunk may end with the beginning of a secret whose rest is in the next chunk ("…password is hun" + "ter2-…"):
 * such a tail is held back until the next chunk shows whether it is one. At most the longest secret's length minus
 * one character is ever held, and only while it is a prefix of a secret. At the end the held tail is released: it
 * is not a whole secret (the text ended first).
 */
export function createStreamScrubber(secrets: readonly string[]): StreamScrubber {
  const values = secretsToHide(secrets);
  let pending = '';
  /** where the longest suffix of `text` that is a proper prefix of some secret starts (text.length when none) */
  const heldFrom = (text: string): number => {
    let earliest = text.length;
    for (const secret of values) {
      const first = secret[0]!;
      for (let position = Math.max(0, text.length - secret.length + 1); position < earliest; position += 1) {
        if (text[position] === first && secret.startsWith(text.slice(position))) {
          earliest = position;
          break;
        }
      }
    }
    return earliest;
  };
  return {
    push(chunk) {
      if (values.length === 0) return chunk;
      const text = replaceAll(pending + chunk, values);
      const cut = heldFrom(text);
      pending = text.slice(cut);
      return text.slice(0, cut);
    },
    flush() {
      const rest = pending;
      pending = '';
      return rest;
    },
  };
}

/** The secret values hidden in the tool-call arguments of these calls (see secretValuesInToolArguments). */
export function secretsProposedInCalls(calls: ReadonlyArray<{ toolName: string; input: unknown }>): string[] {
  const values: string[] = [];
  for (const call of calls) {
    if (!call.input || typeof call.input !== 'object' || Array.isArray(call.input)) continue;
    try {
      values.push(...secretValuesInToolArguments(call.toolName, call.input as Record<string, unknown>));
    } catch {
      // arguments the rules cannot read hide nothing more; their display is redacted (fail closed) elsewhere
    }
  }
  return values;
}

/** The secret values in every tool call the model proposed in this conversation. */
export function secretsProposedIn(messages: readonly ModelMessage[]): string[] {
  const calls: Array<{ toolName: string; input: unknown }> = [];
  for (const message of messages) {
    if (message.role !== 'assistant' || typeof message.content === 'string') continue;
    for (const part of message.content) if (part.type === 'tool-call') calls.push({ toolName: part.toolName, input: part.input });
  }
  return secretsProposedInCalls(calls);
}
