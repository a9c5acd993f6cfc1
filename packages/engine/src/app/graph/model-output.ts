/**
 * What the model writes is made safe to show and to keep before anything else sees it (issue 31 items 5 and 11):
 *   - well-formed: a lone UTF-16 surrogate (half of a character) or a NUL becomes U+FFFD. Postgres' jsonb refuses
 *     both, so one odd character in an answer or a tool argument ended the run as STORAGE_UNAVAILABLE or dropped the
 *     answer from the stored conversation. A pair split across two streamed chunks is whole again once the second
 *     arrives, so a chunk's trailing high surrogate waits for the next one.
 *   - redacted (answer and reasoning text only): the values the model proposed in tool arguments and the LLM keys
 *     (scrub-secrets.ts), then the redaction rules every tool output gets (@skyflo/safety: `password=…`,
 *     `mysql -u root -p…`, credential URLs, vendor tokens, `.netrc` lines…). Tool-call arguments are not redacted:
 *     they are what a person approves and what runs; their display form is redacted where it is shown.
 */
import { createTextStreamRedactor, redactText } from '@skyflo/safety';
import { createSecretScrubber, createStreamScrubber, type StreamScrubber } from './scrub-secrets.ts';

/** Unpaired UTF-16 surrogates and NUL: jsonb refuses both (the same set as audit/canonical-json.ts). */
const UNSTORABLE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/g;

export function wellFormedText(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

/** Every string of a JSON value, keys included, made well-formed (tool-call arguments as the model wrote them). */
export function wellFormedValue<T>(value: T): T {
  const clean = (inner: unknown): unknown => {
    if (typeof inner === 'string') return wellFormedText(inner);
    if (Array.isArray(inner)) return inner.map(clean);
    if (inner !== null && typeof inner === 'object') return Object.fromEntries(Object.entries(inner as Record<string, unknown>).map(([key, item]) => [wellFormedText(key), clean(item)]));
    return inner;
  };
  return clean(value) as T;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** Streamed text made well-formed piece by piece: a trailing high surrogate is held until the next piece shows its pair. */
export function createWellFormedStream(): StreamScrubber {
  let held = '';
  return {
    push(chunk) {
      const text = held + chunk;
      held = text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1)) ? text.slice(-1) : '';
      return wellFormedText(held ? text.slice(0, -1) : text);
    },
    flush() {
      const rest = held;
      held = '';
      return wellFormedText(rest);
    },
  };
}

/**
 * The model's answer (or reasoning) as it streams: well-formed, without the `hidden` values, and redacted by the rules.
 * What `push` returns may be shown now; `flush` returns the rest once the model is done.
 */
export function createAnswerStream(hidden: readonly string[]): StreamScrubber {
  const wellFormed = createWellFormedStream();
  const values = createStreamScrubber(hidden);
  const rules = createTextStreamRedactor();
  return {
    push: (chunk) => rules.push(values.push(wellFormed.push(chunk))),
    flush() {
      const rest = values.push(wellFormed.flush()) + values.flush();
      return rules.push(rest) + rules.flush();
    },
  };
}

/** The whole answer (or reasoning) as it is kept and sent on: the same steps as createAnswerStream, on the complete text. */
export function redactAnswer(text: string, hidden: readonly string[]): string {
  if (!text) return text;
  // keepLayout: an answer that is a JSON document stays as the model wrote (and the client was streamed) it
  return redactText(createSecretScrubber(hidden)(wellFormedText(text)), { keepLayout: true });
}
