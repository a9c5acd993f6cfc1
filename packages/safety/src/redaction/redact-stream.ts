/**
 * redactText for text that arrives in pieces (the model's answer and reasoning, streamed token by token): what `push`
 * returns is safe to show now, `flush` returns the rest at the end.
 *
 * The rules read a secret in its context ("mysql … -pSECRET", "machine … password SECRET" over several lines), so
 * each time the text is redacted from the start of its open block (the paragraph or code block being written), not
 * chunk by chunk. Held back, and only that: the word being written (a token split over chunks — "ghp_abcd" +
 * "efgh…" — is whole before it is shown), and fewer than max(`step`, a sixteenth of the open block) characters since
 * the last redaction. So a paragraph streams word by word as before, and a long code block in bursts of a sixteenth
 * of its length: each redaction costs the block's length, and redacting it at every word made a 4,000-character block
 * cost 440 ms, now 30 ms (linear). A block closes at a blank line outside a code fence, or once it is
 * `maxBlockChars` long, and is never redacted again; a rule whose context spans two blocks is therefore only applied
 * by the final whole-text redaction of the stored answer, which callers run on the complete text (with `keepLayout`,
 * as here, so the stored text reads as the streamed one).
 */
import { REDACTED } from './names.ts';
import { redactText } from './redact.ts';

export interface TextStreamRedactor {
  push(chunk: string): string;
  flush(): string;
}

export interface TextStreamRedactorOptions {
  /** at least this many completed characters between two redactions of the open block (default 1: every word) */
  step?: number;
  /** the open block is closed at the next word boundary once this long (default 4,000) */
  maxBlockChars?: number;
}

const FENCE_LINE = /^[ \t]*(?:```|~~~)/gm;
const BLANK_LINE_END = /\n[ \t]*\n[ \t]*$/;

export function createTextStreamRedactor(options: TextStreamRedactorOptions = {}): TextStreamRedactor {
  const step = options.step ?? 1;
  const maxBlockChars = options.maxBlockChars ?? 4_000;
  /** the raw text of the open block, and how much of its redaction was already returned */
  let block = '';
  let sent = '';
  let redactedUpTo = 0;

  /**
   * Redacts block[0, cut) and returns what was not sent yet; closes the block when `close`. In a line still being
   * written, text from its first marker on waits for the line's end: the rest of a line can change how a value is
   * redacted (`password: "correct horse` is `password: [REDACTED]` until the quote closes, then `"[REDACTED]"`), and
   * what was sent cannot be taken back. Should a redaction still disagree with what was sent, the text continues from
   * the same length: every piece stays a piece of redacted text.
   */
  const release = (cut: number, close: boolean): string => {
    const redacted = redactText(block.slice(0, cut), { keepLayout: true });
    let upTo = redacted.length;
    if (!close && !redacted.endsWith('\n')) {
      const marker = redacted.indexOf(REDACTED, redacted.lastIndexOf('\n') + 1);
      if (marker >= 0) upTo = Math.max(marker, sent.length);
    }
    const fresh = redacted.slice(sent.length, upTo);
    if (close) {
      block = block.slice(cut);
      sent = '';
      redactedUpTo = 0;
    } else {
      sent = upTo > sent.length ? redacted.slice(0, upTo) : sent;
      redactedUpTo = cut;
    }
    return fresh;
  };

  return {
    push(chunk) {
      if (!chunk) return '';
      block += chunk;
      // the word being written stays back: up to and including the last blank
      let cut = block.length;
      while (cut > redactedUpTo && !/\s/.test(block[cut - 1]!)) cut -= 1;
      // a word longer than a block (a base64 blob) is released, redacted, where the bound falls
      if (cut <= redactedUpTo) return block.length > maxBlockChars ? release(block.length, true) : '';
      const head = block.slice(0, cut);
      const paragraphEnd = BLANK_LINE_END.test(head) && (head.match(FENCE_LINE)?.length ?? 0) % 2 === 0;
      if (!paragraphEnd && cut <= maxBlockChars && cut - redactedUpTo < Math.max(step, Math.floor(cut / 16))) return '';
      return release(cut, paragraphEnd || cut > maxBlockChars);
    },
    flush() {
      const rest = block ? release(block.length, true) : '';
      block = '';
      return rest;
    },
  };
}
