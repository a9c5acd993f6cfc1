/**
 * An answer stopped mid-span (the user pressed stop while `**bold` or `` `pod- `` was streaming) ends with an opener
 * whose closer never came, and Markdown shows such an opener as it is: `Finding **bold`. Closing it lets the cut line
 * read as the rest of the answer does, in the web UI and in the terminal alike. Only an unpaired opener on the last
 * line is closed — an odd number of backticks, else an odd number of `**` whose last one is followed by text — and
 * never inside a code fence or on a fence or table line, whose text is shown as it is.
 */

const FENCE_LINE = /^\s*(```|~~~)/;
const TABLE_LINE = /^\s*\|/;

/** `line` (an answer's last line, outside any code fence) with a span the cut left open closed. */
export function closeCutSpan(line: string): string {
  if (FENCE_LINE.test(line) || TABLE_LINE.test(line)) return line;
  const trimmed = line.trimEnd();
  if ((trimmed.match(/`/g) ?? []).length % 2 === 1) return trimmed.endsWith('`') ? trimmed.slice(0, -1).trimEnd() : `${trimmed}\``;
  const strong = [...trimmed.matchAll(/\*\*/g)];
  const last = strong.at(-1);
  if (strong.length % 2 === 1 && last && /\S/.test(trimmed[last.index + 2] ?? '')) return `${trimmed}**`;
  return line;
}

/** `text` (a whole answer, or its last block) with its last line's open span closed, unless it ends inside a fence. */
export function closeCutAnswer(text: string): string {
  const lines = text.split('\n');
  if (lines.filter((line) => FENCE_LINE.test(line)).length % 2 === 1) return text;
  lines[lines.length - 1] = closeCutSpan(lines[lines.length - 1]!);
  return lines.join('\n');
}
