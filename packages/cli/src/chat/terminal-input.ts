/**
 * Keyboard input for the interactive client: a line editor (node:readline, with history), a hidden line for
 * passwords, single keypresses for the approval prompt, and Ctrl-C while a run streams. The terminal is in raw
 * mode only while one of these waits, and is always restored (also on exit), so a crash never leaves the
 * user's shell without echo.
 */
import readline from 'node:readline';

export type LineResult = { kind: 'line'; text: string } | { kind: 'eof' } | { kind: 'interrupt' };
export type KeyResult = { kind: 'key'; name: string } | { kind: 'interrupt' } | { kind: 'eof' };

/**
 * For a prompt whose keys decide something (the approval card): text typed ahead must never become a decision. Keys
 * that were typed before the prompt was ready (buffered while the card was drawn, or swallowed while the run
 * streamed) are discarded, and a prompt key counts only when it stands alone: nothing typed within `quietMs` before
 * it, nor after it. So "please" typed while the card appears approves nothing, however the keys and the card
 * interleave; a person who reads the card and presses "a" is answered `quietMs` later.
 */
export interface TypeaheadGuard {
  quietMs: number;
  /** the prompt listens now (every key typed before was discarded): the caller shows the keys to press */
  onReady(): void;
  /** `count` more keys were ignored; called once a burst of typing has stopped */
  onIgnored(count: number): void;
}

export interface TerminalInput {
  readonly isTTY: boolean;
  readLine(prompt: string): Promise<LineResult>;
  /** reads a line without echoing it (passwords) */
  readHidden(prompt: string): Promise<LineResult>;
  /**
   * waits for one of `keys` (lower-case letters); Ctrl-C and Ctrl-D are reported as such. With a typeahead guard a key
   * may also be a letter and a second character typed right after it (`a!`): the pair then stands alone as one key.
   */
  readKey(keys: string[], options?: { typeahead?: TypeaheadGuard }): Promise<KeyResult>;
  /**
   * Keeps the terminal in raw mode until the returned function is called, so handing the keyboard from one reader
   * to the next (the run's Ctrl-C watcher to the approval prompt) leaves no moment where typed keys echo and wait
   * in the line buffer.
   */
  holdRaw(): () => void;
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

  /** performance.now() of the last key any reader received (typing speed tells typed text from a lone decision) */
  let lastKeyAt = Number.NEGATIVE_INFINITY;
  /** keys the run's watcher swallowed since the last guarded prompt: typed ahead, reported by that prompt */
  let swallowed = 0;

  type KeyHandler = (text: string | undefined, key: Keypress, timing: { at: number; previousAt: number }) => boolean;

  /** Runs `handler` on keypresses in raw mode until it returns true or `stop()` is called. */
  function onKeys(handler: KeyHandler): { done: Promise<void>; stop(): void } {
    if (!keypressReady) {
      readline.emitKeypressEvents(input);
      keypressReady = true;
    }
    setRaw(true);
    input.resume();
    let stopped = false;
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const listener = (text: string | undefined, key: Keypress = {}) => {
      const at = performance.now();
      const previousAt = lastKeyAt;
      lastKeyAt = at;
      if (handler(text, key, { at, previousAt })) stop();
    };
    const stop = () => {
      if (stopped) return;
      stopped = true;
      input.off('keypress', listener);
      setRaw(false);
      // another reader may be listening already (a hand-over): only an idle input is paused
      if (input.listenerCount('keypress') === 0) input.pause();
      resolveDone();
    };
    input.on('keypress', listener);
    return { done, stop };
  }

  /** Two turns of the event loop: whatever the terminal had buffered when the prompt started has been read. */
  const drained = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

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
      }).done;
      output.write('\n');
      return result;
    },
    readKey(keys, options = {}) {
      const guard = options.typeahead;
      return new Promise<KeyResult>((resolve) => {
        let ready = guard === undefined;
        let pendingNotice = 0;
        let noticeTimer: NodeJS.Timeout | undefined;
        /** a prompt key that arrived alone, decided once nothing follows it within quietMs */
        let candidate: { name: string; timer: NodeJS.Timeout } | undefined;
        let finished = false;
        const finish = (result: KeyResult) => {
          if (finished) return;
          finished = true;
          if (candidate) clearTimeout(candidate.timer);
          if (noticeTimer) clearTimeout(noticeTimer);
          reader.stop();
          resolve(result);
        };
        const ignore = (count = 1) => {
          if (!guard) return;
          pendingNotice += count;
          if (noticeTimer) clearTimeout(noticeTimer);
          noticeTimer = setTimeout(() => {
            // reported under the keys line, once the prompt shows it (onReady reschedules what came before)
            if (!ready || finished || pendingNotice === 0) return;
            const count = pendingNotice;
            pendingNotice = 0;
            guard.onIgnored(count);
          }, guard.quietMs);
        };
        const reader = onKeys((text, key, { at, previousAt }) => {
          if (key.ctrl && key.name === 'c') return finish({ kind: 'interrupt' }), false;
          if (key.ctrl && key.name === 'd') return finish({ kind: 'eof' }), false;
          const name = (text ?? key.name ?? '').toLowerCase();
          if (!guard) {
            if (keys.includes(name)) finish({ kind: 'key', name });
            return false;
          }
          if (candidate) {
            clearTimeout(candidate.timer);
            const pair = candidate.name + name;
            candidate = undefined;
            if (keys.includes(pair)) {
              // a two-key choice ("a!"): it too is decided only once nothing follows it within quietMs
              candidate = { name: pair, timer: setTimeout(() => finish({ kind: 'key', name: pair }), guard.quietMs) };
              return false;
            }
            // the key that looked like a decision was followed by more typing: it was part of the text
            ignore();
          }
          if (!ready || at - previousAt < guard.quietMs || !keys.includes(name)) {
            ignore();
            return false;
          }
          const timer = setTimeout(() => finish({ kind: 'key', name }), guard.quietMs);
          candidate = { name, timer };
          return false;
        });
        if (guard) {
          void drained().then(() => {
            if (finished) return;
            ready = true;
            const typedDuringRun = swallowed;
            swallowed = 0;
            guard.onReady();
            ignore(typedDuringRun);
          });
        }
      });
    },
    holdRaw() {
      setRaw(true);
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        setRaw(false);
      };
    },
    watchInterrupts(onInterrupt) {
      if (!isTTY) return () => undefined;
      // Raw mode while streaming: Ctrl-C arrives as a key, and what the user types does not scribble over the answer.
      // What is typed now is counted for the next approval prompt ("ignored N keys…"), never read by it.
      swallowed = 0;
      const reader = onKeys((_text, key) => {
        if (key.ctrl && key.name === 'c') onInterrupt();
        else swallowed += 1;
        return false;
      });
      return () => reader.stop();
    },
    close() {
      restore();
      input.pause();
    },
  };
}
