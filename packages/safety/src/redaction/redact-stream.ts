/**
 * redactText for text that arrives in pieces (the model's answer and reasoning, streamed token by token): what `push`
 * returns is safe to show now, `flush` returns the rest at the end.
 *
 * The rules read a secret in its context ("mysql … -pSECRET", "machine … password SECRET" over several lines), so
 * each time the text is redacted from the start of its open block (the paragraph or code block being written), not
 * chunk by chunk. Held back: the word being written (a token split over chunks — "ghp_abcd" + "efgh…" — is whole
 * before it is shown); once the block is longer than `wordByWordChars`, fewer than max(`step`, a sixteenth of the
 * block beyond them) characters since the last redaction. So a paragraph streams word by word, and only a long block
 * (a code block, a log excerpt) in growing bursts: each redaction reads the whole block, and redacting at every word
 * cost 440 ms for a 4,000-character block (quadratic), while every word of a 512-character block costs about 5 ms in all.
 * (Issue 38: a sixteenth of even a short block held two or three tokens back at times, so at 20 tokens/s the 99th
 * percentile of a token's added latency was over 50 ms at any load.) And in a line being written, the text
 * from its first redaction marker on (see release). A block closes at a blank line outside a code fence, or once it
 * is `maxBlockChars` long; then its last lines stay as context for the next (never sent twice). A rule whose context
 * reaches further is only applied by the whole-text redaction of the stored answer, which callers run on the
 * complete text (with `keepLayout`, as here, so the stored text reads as the streamed one).
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
  /** up to this length the open block is redacted at every word; beyond, at every sixteenth of the rest (default 512) */
  wordByWordChars?: number;
  /** the open block is closed at the next word boundary once this long (default 4,000) */
  maxBlockChars?: number;
}

const FENCE_LINE = /^[ \t]*(?:```|~~~)/gm;
const BLANK_LINE_END = /\n[ \t]*\n[ \t]*$/;
/** Lines of a closed block kept as context for the next (the named-pair rule looks a few lines back). */
const CONTEXT_LINES = 16;
const CONTEXT_CHARS = 1_500;

const fencesIn = (text: string) => text.match(FENCE_LINE)?.length ?? 0;

/** Where the context for the next block starts: the start of a line at most CONTEXT_LINES back and CONTEXT_CHARS long. */
function contextStart(closed: string): number {
  let start = closed.length;
  for (let lines = 0; lines < CONTEXT_LINES; lines += 1) {
    const previous = closed.lastIndexOf('\n', start - 2);
    const candidate = previous + 1;
    if (closed.length - candidate > CONTEXT_CHARS || candidate >= start) break;
    start = candidate;
    if (previous < 0) break;
  }
  return start;
}

export function createTextStreamRedactor(options: TextStreamRedactorOptions = {}): TextStreamRedactor {
  const step = options.step ?? 1;
  const maxBlockChars = options.maxBlockChars ?? 4_000;
  const wordByWordChars = options.wordByWordChars ?? 512;
  /**
   * The raw text of the open block, after `contextLength` characters of context (the last lines of the block before,
   * already sent: the rules see them, nothing of them is sent again); how much of its redaction was already
   * returned (the context's included); and whether block[0] is inside a code fence.
   */
  let block = '';
  let contextLength = 0;
  let sent = '';
  let redactedUpTo = 0;
  let fenceAtStart = false;

  /**
   * Redacts block[0, cut) and returns what was not sent yet; closes the block when `close`. In a line still being
   * written, text from its first marker on waits for the line's end: the rest of a line can change how a value is
   * redacted (`password: "correct horse` is `password: [REDACTED]` until the quote closes, then `"[REDACTED]"`), and
   * what was sent cannot be taken back. Should a redaction still disagree with what was sent, the text continues from
   * the same length: every piece stays a piece of redacted text.
   */
  const release = (cut: number, close: 'no' | 'paragraph' | 'size'): string => {
    const redacted = redactText(block.slice(0, cut), { keepLayout: true });
    let upTo = redacted.length;
    if (close === 'no' && !redacted.endsWith('\n')) {
      const marker = redacted.indexOf(REDACTED, redacted.lastIndexOf('\n') + 1);
      if (marker >= 0) upTo = Math.max(marker, sent.length);
    }
    const fresh = redacted.slice(sent.length, upTo);
    if (close !== 'no') {
      // After a blank line the rules need nothing from before it (pairs, .netrc entries and describe values end there).
      const start = close === 'size' ? contextStart(block.slice(0, cut)) : cut;
      if (fencesIn(block.slice(0, start)) % 2 === 1) fenceAtStart = !fenceAtStart;
      const context = block.slice(start, cut);
      block = block.slice(start);
      contextLength = context.length;
      sent = context ? redactText(context, { keepLayout: true }) : '';
      redactedUpTo = contextLength;
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
      if (cut <= redactedUpTo) return block.length - contextLength > maxBlockChars ? release(block.length, 'size') : '';
      const head = block.slice(0, cut);
      const open = cut - contextLength;
      // outside a code fence: the fence state at the block's start, flipped by each fence line since
      const paragraphEnd = BLANK_LINE_END.test(head) && fenceAtStart === (fencesIn(head) % 2 === 1);
      // beyond the first wordByWordChars, a sixteenth of what each redaction reads (context included): linear in the
      // block's length, not quadratic
      if (!paragraphEnd && open <= maxBlockChars && cut - redactedUpTo < Math.max(step, Math.floor((cut - wordByWordChars) / 16))) return '';
      return release(cut, paragraphEnd ? 'paragraph' : open > maxBlockChars ? 'size' : 'no');
    },
    flush() {
      const rest = block.length > contextLength ? release(block.length, 'paragraph') : '';
      block = '';
      contextLength = 0;
      sent = '';
      redactedUpTo = 0;
      fenceAtStart = false;
      return rest;
    },
  };
}
