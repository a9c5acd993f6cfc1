/**
 * Keyboard input for the interactive client: a line editor (node:readline, with history), a hidden line for
 * passwords, single keypresses for the approval prompt, and Ctrl-C while a run streams. The terminal is in raw
 * mode only while one of these waits, and is always restored (also on exit), so a crash never leaves the
 * user's shell without echo.
 */
import readline from 'node:readline';

export type LineResult = { kind: 'line'; text: string } | { kind: 'eof' } | { kind: 'interrupt' };
export type KeyResult = { kind: 'key'; name: string } | { kind: 'interrupt' } | { kind: 'eof' };

export interface TerminalInput {
  readonly isTTY: boolean;
  readLine(prompt: string): Promise<LineResult>;
  /** reads a line without echoing it (passwords) */
  readHidden(prompt: string): Promise<LineResult>;
  /** waits for one of `keys` (lower-case letters); Ctrl-C and Ctrl-D are reported as such */
  readKey(keys: string[]): Promise<KeyResult>;
  /**
   * Calls `onInterrupt` for every Ctrl-C typed (in raw mode) until the returned function is called. Only keys: a
   * SIGINT sent to the process (no terminal, or between two reads) is the caller's to handle.
   */
  watchInterrupts(onInterrupt: () => void): () => void;
  close(): void;
}

interface Keypress {
  name?: string;
  sequence?: string;
  ctrl?: boolean;
  meta?: boolean;
}

export function createTerminalInput(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stdout): TerminalInput {
  const isTTY = Boolean(input.isTTY);
  const history: string[] = [];
  let keypressReady = false;
  let rawDepth = 0;

  const setRaw = (on: boolean) => {
    if (!isTTY) return;
    rawDepth += on ? 1 : -1;
    input.setRawMode(rawDepth > 0);
  };
  const restore = () => {
    if (isTTY && rawDepth > 0) input.setRawMode(false);
  };
  process.once('exit', restore);

  /** Runs `handler` on keypresses in raw mode until it returns true. */
  function onKeys(handler: (text: string | undefined, key: Keypress) => boolean): Promise<void> {
    if (!keypressReady) {
      readline.emitKeypressEvents(input);
      keypressReady = true;
    }
    setRaw(true);
    input.resume();
    return new Promise((resolve) => {
      const listener = (text: string | undefined, key: Keypress = {}) => {
        if (!handler(text, key)) return;
        input.off('keypress', listener);
        setRaw(false);
        input.pause();
        resolve();
      };
      input.on('keypress', listener);
    });
  }

  return {
    isTTY,
    readLine(prompt) {
      const rl = readline.createInterface({ input, output, terminal: isTTY, history: [...history], historySize: 200, removeHistoryDuplicates: true });
      return new Promise<LineResult>((resolve) => {
        let done = false;
        const finish = (result: LineResult) => {
          if (done) return;
          done = true;
          if (result.kind === 'line' && result.text.trim()) history.unshift(result.text);
          rl.close();
          input.pause();
          resolve(result);
        };
        rl.on('SIGINT', () => {
          output.write('^C\n');
          finish({ kind: 'interrupt' });
        });
        rl.on('close', () => finish({ kind: 'eof' }));
        rl.question(prompt, (text) => finish({ kind: 'line', text }));
      });
    },
    async readHidden(prompt) {
      output.write(prompt);
      let value = '';
      let result: LineResult = { kind: 'eof' };
      await onKeys((text, key) => {
        if (key.ctrl && key.name === 'c') return ((result = { kind: 'interrupt' }), true);
        if (key.ctrl && key.name === 'd' && value === '') return ((result = { kind: 'eof' }), true);
        if (key.name === 'return' || key.name === 'enter') return ((result = { kind: 'line', text: value }), true);
        if (key.name === 'backspace') value = value.slice(0, -1);
        else if (key.ctrl && key.name === 'u') value = '';
        else if (text && !key.ctrl && !key.meta && text >= ' ') value += text;
        return false;
      });
      output.write('\n');
      return result;
    },
    async readKey(keys) {
      let result: KeyResult = { kind: 'eof' };
      await onKeys((text, key) => {
        if (key.ctrl && key.name === 'c') return ((result = { kind: 'interrupt' }), true);
        if (key.ctrl && key.name === 'd') return ((result = { kind: 'eof' }), true);
        const name = (text ?? key.name ?? '').toLowerCase();
        if (keys.includes(name)) return ((result = { kind: 'key', name }), true);
        return false;
      });
      return result;
    },
    watchInterrupts(onInterrupt) {
      if (!isTTY) return () => undefined;
      // Raw mode while streaming: Ctrl-C arrives as a key, and what the user types does not scribble over the answer.
      let active = true;
      void onKeys((_text, key) => {
        if (!active) return true;
        if (key.ctrl && key.name === 'c') onInterrupt();
        return false;
      });
      return () => {
        if (!active) return;
        active = false;
        // wake the key handler so it unregisters and leaves raw mode
        input.emit('keypress', undefined, {});
      };
    },
    close() {
      restore();
      input.pause();
    },
  };
}
