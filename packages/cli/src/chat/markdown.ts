/**
 * Markdown for the terminal (marked + marked-terminal), fed as the answer streams (see createMarkdownStream).
 * Without colours the rendered text is stripped of escape codes, so NO_COLOR output is plain text.
 */
import { stripVTControlCharacters } from 'node:util';
import { Marked } from 'marked';
import { markedTerminal } from 'marked-terminal';
import { closeCutSpan } from '@skyflo/protocol/markdown-cut';

export interface MarkdownStream {
  /** adds streamed text; returns the rendered output of the lines it completed ('' if none) */
  push(text: string): string;
  /** renders whatever is left */
  flush(): string;
  /**
   * The unfinished line as streamed so far, when it can be shown raw while it streams (a paragraph's line); ''
   * while a code fence or table is held, or when the line itself starts one.
   */
  pending(): string;
}

export function createMarkdownRenderer(input: { width: number; colors: boolean }): (markdown: string) => string {
  const marked = new Marked(markedTerminal({ width: Math.max(40, input.width), reflowText: true, tab: 2, emoji: false }) as Parameters<Marked['use']>[0]);
  return (markdown) => {
    const rendered = marked.parse(markdown, { async: false });
    const text = input.colors ? rendered : stripVTControlCharacters(rendered);
    return text.replace(/\n{3,}/g, '\n\n');
  };
}

/**
 * Renders line by line as lines complete, so a long answer appears while it streams: a code fence is held until
 * it closes and a table until its last row (both need all their lines), every other line is rendered on its own
 * (marked-terminal wraps it to the terminal width) and blank lines are kept as they are.
 */
export function createMarkdownStream(render: (markdown: string) => string): MarkdownStream {
  let partial = '';
  let held: string[] = [];
  let holding: 'fence' | 'table' | undefined;
  const renderBlock = (markdown: string) => `${render(markdown).replace(/\s+$/, '')}\n`;
  const release = (): string => {
    const block = held.join('\n');
    held = [];
    holding = undefined;
    return block.trim() ? renderBlock(block) : '';
  };

  function line(text: string): string {
    if (holding === 'fence') {
      held.push(text);
      return /^\s*(```|~~~)/.test(text) ? release() : '';
    }
    let out = '';
    if (holding === 'table') {
      if (/^\s*\|/.test(text)) {
        held.push(text);
        return '';
      }
      out += release();
    }
    if (/^\s*(```|~~~)/.test(text)) {
      holding = 'fence';
      held.push(text);
      return out;
    }
    if (/^\s*\|/.test(text)) {
      holding = 'table';
      held.push(text);
      return out;
    }
    return out + (text.trim() ? renderBlock(text) : '\n');
  }

  return {
    push(text) {
      partial += text;
      const end = partial.lastIndexOf('\n');
      if (end < 0) return '';
      const complete = partial.slice(0, end).split('\n');
      partial = partial.slice(end + 1);
      return complete.map(line).join('');
    },
    pending() {
      if (holding || /^\s*(```|~~~|\|)/.test(partial)) return '';
      return partial;
    },
    flush() {
      // the answer's last line: when the answer was stopped, it may end inside a span (not inside a held fence)
      let out = partial ? line(holding ? partial : closeCutSpan(partial)) : '';
      partial = '';
      if (holding) out += release();
      return out;
    },
  };
}
