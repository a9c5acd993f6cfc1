/** What the parts of `skyflo chat` (the command, its approval prompt, its slash commands) share for one session. */
import type { WriteStream } from 'node:fs';
import type { ChatEnvironment } from './chat-environment.ts';
import type { ChatOptions } from './chat-options.ts';
import type { Palette } from './colors.ts';
import type { OutputStyle, Renderer } from './renderer.ts';
import type { TerminalInput } from './terminal-input.ts';

export interface Io {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface Context {
  options: ChatOptions;
  env: ChatEnvironment;
  io: Io;
  input: TerminalInput;
  renderer: Renderer;
  palette: Palette;
  style: OutputStyle;
  trace?: WriteStream;
  /** set once a second Ctrl-C asked to quit */
  quitting: boolean;
  /** what a Ctrl-C does right now (stop the running turn…); unset: quit */
  onInterrupt?: () => void;
  cleanups: Array<() => Promise<void>>;
  /** where `/pending more` goes on: the last page's next_cursor (unset: from the oldest) */
  pendingCursor?: string | undefined;
  /** how many calls the `/pending` pages shown so far held (for "21–40 shown") */
  pendingShown?: number | undefined;
}
