/**
 * Highlights as ranges, never as markup (issue 37). ts_headline wraps matches in the markers below — characters
 * of Unicode's private use area, stripped from the stored text before it reaches ts_headline, so stored text cannot
 * fake a highlight — and this turns its output into plain text plus [start, end) ranges. Clients render the ranges
 * as elements: nothing from a conversation is ever interpreted as HTML.
 */
import type { HighlightedText } from '../../../platform/ports/index.ts';

export const highlightStart = '\uE000';
export const highlightStop = '\uE001';
/**
 * Stands in for "<" while ts_headline reads the text: its parser takes <...> for an HTML tag and drops it from the
 * headline, so "<none>" from kubectl (or markup someone typed) would vanish from a snippet. Mapped back here.
 */
export const lessThanStandIn = '\uE002';

/** ts_headline's options: the markers above, and fragments short enough for one line of a result list. */
export const snippetOptions = `StartSel="${highlightStart}", StopSel="${highlightStop}", MaxWords=24, MinWords=8, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
export const titleOptions = `StartSel="${highlightStart}", StopSel="${highlightStop}", HighlightAll=true`;

const maxSnippetLength = 400;

/**
 * Plain text and ranges from ts_headline's output. Whitespace runs (newlines of a multi-line answer) become one
 * space, so the snippet reads as one line and the ranges stay exact. Text beyond `maxLength` is cut with "…".
 * `markdown`: answers are Markdown; their emphasis and code marks (* and `) are dropped, as a reader of the
 * rendered answer never sees them.
 */
export function parseHighlighted(marked: string, maxLength = maxSnippetLength, options: { markdown?: boolean } = {}): HighlightedText {
  let text = '';
  const highlights: Array<[number, number]> = [];
  let openedAt: number | undefined;
  for (const character of marked) {
    if (character === highlightStart) {
      openedAt ??= text.length;
      continue;
    }
    if (character === highlightStop) {
      if (openedAt !== undefined && text.length > openedAt) highlights.push([openedAt, text.length]);
      openedAt = undefined;
      continue;
    }
    if (options.markdown && (character === '*' || character === '`')) continue;
    if (character === lessThanStandIn) {
      text += '<';
      continue;
    }
    if (/\s/.test(character)) {
      if (text.length === 0 || text.endsWith(' ')) continue;
      text += ' ';
    } else text += character;
  }
  if (openedAt !== undefined && text.length > openedAt) highlights.push([openedAt, text.length]);
  text = text.trimEnd();
  const clipped = highlights.map(([start, end]): [number, number] => [start, Math.min(end, text.length)]).filter(([start, end]) => end > start);
  if (text.length <= maxLength) return { text, highlights: clipped };
  const cut = text.slice(0, maxLength - 1).trimEnd();
  return { text: `${cut}…`, highlights: clipped.map(([start, end]): [number, number] => [start, Math.min(end, cut.length)]).filter(([start, end]) => end > start) };
}

/** Case-insensitive ranges of `needle` in `text`: a title found by substring (a word fragment ts_headline cannot mark). */
export function substringHighlights(text: string, needle: string): Array<[number, number]> {
  const lower = text.toLowerCase();
  const target = needle.toLowerCase();
  if (!target) return [];
  const ranges: Array<[number, number]> = [];
  for (let at = lower.indexOf(target); at !== -1; at = lower.indexOf(target, at + target.length)) ranges.push([at, at + target.length]);
  return ranges;
}

/**
 * The tsquery terms for what a user typed: its words (letters and digits; everything else separates them, so nothing
 * typed is tsquery syntax), each a prefix. "ImagePull" finds "ImagePullBackOff"; "postgres-primary" finds the words
 * postgres and primary. Empty when the text has no word.
 */
export function prefixTerms(text: string): string[] {
  const words = text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((word) => word.slice(0, 64));
  return [...new Set(words)].slice(0, 16).map((word) => `${word}:*`);
}
