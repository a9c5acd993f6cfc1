/**
 * What is on the terminal's last lines, for the renderer's tty and plain styles: whether the cursor is at the start
 * of a line, which call's status line can still be rewritten in place, and the live output (a spinner while the agent
 * works with nothing new to show, or the raw unfinished line of the answer as it streams). The renderer decides what
 * to say; this module decides how to put it on screen without leaving half-erased lines behind.
 */
import { stripVTControlCharacters } from 'node:util';
import type { Palette } from './colors.ts';
import { terminalRows } from './terminal-rows.ts';

/** The output stream the screen writes to: stdout, or a test's buffer. */
export interface ScreenWriter {
  write(text: string): unknown;
  columns?: number;
}

export interface TerminalScreen {
  /** writes text after erasing the live output; a later status line starts below it */
  write(text: string): void;
  ensureNewline(): void;
  /** a call's status line: rewritten in place when it is still the last line on screen, appended otherwise */
  statusLine(id: string, line: string): void;
  /** erases the spinner or the raw unfinished answer line, whichever is shown */
  clearLive(): void;
  /** live output only: starts the spinner when nothing else is on the last line */
  startSpinner(): void;
  /** what the spinner says (the agent working, or the engine verifying a change); redrawn at once when `show` */
  spinnerLabel(label: string, options?: { show?: boolean }): void;
  /** live output only: the answer's unfinished line, raw, until it ends (an empty one brings the spinner back) */
  showPartial(text: string): void;
}

const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
export const WORKING_LABEL = 'working…';

export function createTerminalScreen({ out, palette, live = false }: { out: ScreenWriter; palette: Palette; live?: boolean }): TerminalScreen {
  /** the last line on screen is this call's status line, so it can be rewritten in place */
  let liveStatusLine: string | undefined;
  /** the rows that line took: a narrow terminal wraps a long one, and all of them are rewritten */
  let liveStatusRows = 1;
  let atLineStart = true;
  // Live output: at most one of the spinner and the raw unfinished answer line is on screen, always last; anything
  // else written first erases it.
  let spinner: { timer: NodeJS.Timeout; frame: number } | undefined;
  let partialShown = '';
  let label = WORKING_LABEL;
  const spinnerLine = (frame: number) => `\r\x1b[2K${palette.cyan(spinnerFrames[frame % spinnerFrames.length]!)} ${palette.dim(label)}`;

  const clearLive = () => {
    if (spinner) {
      clearInterval(spinner.timer);
      spinner = undefined;
      out.write('\r\x1b[2K');
    }
    if (partialShown) {
      // the raw line may have wrapped: go back to its first row and erase to the end of the screen
      const rows = terminalRows(partialShown, Math.max(20, out.columns ?? 80));
      out.write(`${rows > 1 ? `\x1b[${rows - 1}A` : ''}\r\x1b[J`);
      partialShown = '';
    }
  };
  const startSpinner = () => {
    if (!live || spinner || partialShown || !atLineStart) return;
    const state = { frame: 0, timer: setInterval(() => out.write(spinnerLine(++state.frame)), 100) };
    // a spinner alone never keeps the process alive
    state.timer.unref();
    spinner = state;
    out.write(spinnerLine(0));
  };
  const write = (text: string) => {
    if (!text) return;
    clearLive();
    liveStatusLine = undefined;
    out.write(text);
    // a coloured line ends with its closing escape code after the newline
    atLineStart = stripVTControlCharacters(text).endsWith('\n');
  };
  const ensureNewline = () => {
    if (!atLineStart) write('\n');
  };

  return {
    write,
    ensureNewline,
    clearLive,
    startSpinner,
    statusLine(id, line) {
      clearLive();
      ensureNewline();
      // up to the line's first row, then erase it and everything under it
      if (liveStatusLine === id) out.write(`\x1b[${liveStatusRows}A\r\x1b[J`);
      out.write(`${line}\n`);
      atLineStart = true;
      liveStatusLine = id;
      liveStatusRows = out.columns ? terminalRows(line, out.columns) : 1;
    },
    spinnerLabel(text, { show = false } = {}) {
      label = text;
      if (!show) return;
      if (spinner) out.write(spinnerLine(spinner.frame));
      else startSpinner();
    },
    showPartial(text) {
      if (!live) return;
      if (!text) {
        startSpinner();
        return;
      }
      if (partialShown && text.startsWith(partialShown)) {
        out.write(text.slice(partialShown.length));
        partialShown = text;
        return;
      }
      clearLive();
      if (!atLineStart) return;
      out.write(text);
      partialShown = text;
    },
  };
}
