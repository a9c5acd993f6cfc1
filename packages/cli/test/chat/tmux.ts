/**
 * A real pseudo-terminal for the `skyflo chat` tests: tmux (from Debian) runs the command in a detached session
 * on a private server socket, send-keys types into it and capture-pane reads the screen. The command is given
 * to tmux as separate arguments, so no shell is involved.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { vi } from 'vitest';

const run = promisify(execFile);

export interface Terminal {
  /**
   * the screen and scrollback as text (escape codes stripped unless `escapes`); a line the terminal wrapped is one
   * line unless `rows` (then each row as the user sees it), and `visible` leaves the scrollback out
   */
  screen(options?: { escapes?: boolean; rows?: boolean; visible?: boolean }): Promise<string>;
  /** types text literally */
  type(text: string): Promise<void>;
  /** sends named keys: Enter, C-c, C-d, … */
  keys(...keys: string[]): Promise<void>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** the screen from the last `marker` on: what the current step printed (earlier steps' output does not count) */
  since(marker: string): Promise<string>;
  /** waits until what was printed after the last `marker` matches `pattern`, and returns that part of the screen */
  waitAfter(marker: string, pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** undefined while running, else the exit status, or `signal N` when a signal ended the program */
  exitStatus(): Promise<number | string | undefined>;
  /** for failure messages: what tmux and the kernel say about the program (dead? its state and where it waits) */
  processReport(): Promise<string>;
  kill(): Promise<void>;
}

let counter = 0;
const notYet = new Error('not yet');

export async function startTerminal(input: { dir: string; command: string[]; env: Record<string, string>; width?: number; height?: number }): Promise<Terminal> {
  const socket = `skyflo-test-${process.pid}-${++counter}`;
  const config = path.join(input.dir, `tmux-${counter}.conf`);
  // remain-on-exit keeps the pane (and what the program printed) after it ends
  writeFileSync(config, 'set -g remain-on-exit on\nset -g history-limit 5000\n');
  const tmux = (...args: string[]) => run('tmux', ['-L', socket, '-f', config, ...args], { env: { ...process.env, TMUX: '' } });
  const env = Object.entries(input.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  const statusFile = path.join(input.dir, `exit-status-${counter}`);
  const recorder = fileURLToPath(new URL('./record-exit-status.mjs', import.meta.url));
  await tmux('new-session', '-d', '-s', 'main', '-x', String(input.width ?? 110), '-y', String(input.height ?? 40), ...env, '--', process.execPath, recorder, statusFile, ...input.command);

  const terminal: Terminal = {
    async screen(options = {}) {
      const { stdout } = await tmux('capture-pane', '-p', ...(options.rows ? [] : ['-J']), ...(options.visible ? [] : ['-S', '-5000']), ...(options.escapes ? ['-e'] : []), '-t', 'main');
      return stdout;
    },
    async type(text) {
      await tmux('send-keys', '-t', 'main', '-l', text);
    },
    async keys(...keys) {
      await tmux('send-keys', '-t', 'main', ...keys);
    },
    async waitFor(pattern, timeoutMs = 90_000) {
      return vi.waitFor(
        async () => {
          const screen = await terminal.screen();
          if (!pattern.test(screen)) throw new Error(`the terminal never showed ${pattern}; it shows:\n${screen}`);
          return screen;
        },
        { timeout: timeoutMs, interval: 100 },
      );
    },
    async since(marker) {
      const screen = await terminal.screen();
      return screen.slice(screen.lastIndexOf(marker));
    },
    async waitAfter(marker, pattern, timeoutMs = 90_000) {
      try {
        return await vi.waitFor(
          async () => {
            const output = await terminal.since(marker);
            if (!pattern.test(output)) throw notYet;
            return output;
          },
          { timeout: timeoutMs, interval: 100 },
        );
      } catch (error) {
        if (error !== notYet) throw error;
        // asked only on failure: the report says whether the program is dead or stuck rather than slow
        const report = await terminal.processReport().catch((reason: Error) => `no process report: ${reason.message}`);
        throw new Error(`the terminal never showed ${pattern} after "${marker}"; since then it shows:\n${await terminal.since(marker)}\n${report}`);
      }
    },
    async exitStatus() {
      if (!existsSync(statusFile)) return undefined;
      const status = readFileSync(statusFile, 'utf8');
      return /^\d+$/.test(status) ? Number(status) : status;
    },
    async processReport() {
      const { stdout } = await tmux('display-message', '-p', '-t', 'main', '#{pane_pid} dead=#{pane_dead}');
      const read = (pid: string, file: string) => {
        try {
          return readFileSync(`/proc/${pid}/${file}`, 'utf8').trim();
        } catch {
          return '';
        }
      };
      const describe = (pid: string) => {
        const state = read(pid, 'status').split('\n').find((line) => line.startsWith('State:'));
        return state ? `${pid} ${state}, waiting in ${read(pid, 'wchan') || '(running)'}` : `${pid} gone`;
      };
      // the pane runs record-exit-status.mjs; the program is its child
      const recorderPid = stdout.trim().split(' ')[0]!;
      const programPid = read(recorderPid, `task/${recorderPid}/children`).split(' ')[0];
      return `tmux pane: ${stdout.trim()}; recorder ${describe(recorderPid)}; program ${programPid ? describe(programPid) : 'gone'}`;
    },
    async kill() {
      await tmux('kill-server').catch(() => undefined);
    },
  };
  return terminal;
}
