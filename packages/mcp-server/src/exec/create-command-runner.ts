/**
 * The real CommandRunner: spawn with an argv array (never a shell), a timeout, abort support and
 * an output cap. Non-zero exits are returned, not thrown, so tools can turn stderr into a clear error.
 * Every process runs in a process group of its own, watched by the reaper (child-reaper.ts): a timeout, a
 * cancel or the server's death ends the whole group (helm, kubectl and what they started), SIGKILL included.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CommandRequest, CommandResult, CommandRunner, LongRunningProcess } from './command-runner.ts';
import { ToolInputError } from '../contract/errors.ts';
import { createChildReaper, type ChildReaper } from './child-reaper.ts';

export interface CommandRunnerOptions {
  /** default timeout when a request gives none (ms) */
  defaultTimeoutMs?: number;
  /** stdout/stderr cap; output beyond it is an error, so a runaway command can't exhaust memory */
  maxBufferBytes?: number;
  /** SIGTERM → SIGKILL delay when a command is stopped (timeout, cancel; default 5 s) */
  killGraceMs?: number;
  /** watches the process groups so they end with this server (default: a reaper of this runner's own) */
  reaper?: ChildReaper;
}

export function createCommandRunner(options: CommandRunnerOptions = {}): CommandRunner {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
  const maxBuffer = options.maxBufferBytes ?? 32 * 1024 * 1024;
  const killGraceMs = options.killGraceMs ?? 5_000;
  // started on the first command: a server that never runs one never starts the watcher process
  const reaper = options.reaper ?? createChildReaper();
  return {
    run(request: CommandRequest): Promise<CommandResult> {
      return new Promise((resolve, reject) => {
        // spawn, not execFile: execFile cannot start a process in a group of its own (it drops `detached`)
        const child = spawn(request.binary, request.args, { shell: false, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...request.env }, windowsHide: true });
        const forget = child.pid ? reaper.watch(child.pid) : () => {};
        const output = { stdout: [] as Buffer[], stderr: [] as Buffer[], bytes: 0 };
        let stopped: 'timeout' | 'cancel' | 'overflow' | undefined;
        let escalation: NodeJS.Timeout | undefined;
        const stop = (reason: NonNullable<typeof stopped>) => {
          if (stopped || !child.pid) return;
          stopped = reason;
          reaper.signalGroup(child.pid, 'SIGTERM');
          escalation = setTimeout(() => reaper.signalGroup(child.pid!, 'SIGKILL'), killGraceMs);
          escalation.unref();
        };
        for (const stream of ['stdout', 'stderr'] as const) {
          child[stream].on('data', (chunk: Buffer) => {
            output.bytes += chunk.length;
            if (output.bytes > maxBuffer) return stop('overflow');
            output[stream].push(chunk);
          });
        }
        const timer = setTimeout(() => stop('timeout'), request.timeoutMs ?? defaultTimeoutMs);
        const cancel = () => stop('cancel');
        if (request.signal?.aborted) cancel();
        else request.signal?.addEventListener('abort', cancel, { once: true });
        const settle = () => {
          clearTimeout(timer);
          clearTimeout(escalation);
          request.signal?.removeEventListener('abort', cancel);
          forget();
        };
        child.once('error', (error: NodeJS.ErrnoException) => {
          settle();
          if (error.code === 'ENOENT' || error.code === 'EACCES') {
            return reject(new ToolInputError(`The ${request.binary} binary is not available (${error.code}).`, { hint: 'install it or set its path in the MCP server settings', code: 'MISSING_BINARY' }));
          }
          reject(error);
        });
        child.once('close', (code, signal) => {
          settle();
          // what the process started may outlive it when it was stopped: end the rest of its group
          if (stopped && child.pid) reaper.signalGroup(child.pid, 'SIGKILL');
          const stdout = Buffer.concat(output.stdout).toString('utf8');
          const stderr = Buffer.concat(output.stderr).toString('utf8');
          if (stopped === 'cancel') return resolve({ exitCode: 130, stdout, stderr: stderr || 'cancelled', timedOut: false });
          if (stopped === 'overflow') return resolve({ exitCode: 1, stdout, stderr: `${stderr}\noutput exceeded ${maxBuffer} bytes; the command was stopped`.trim(), timedOut: false });
          const exitCode = code ?? 1;
          const failed = signal ? `${request.binary} ended by ${signal}` : exitCode !== 0 ? `Command failed: ${request.binary} ${request.args.join(' ')}` : '';
          resolve({ exitCode, stdout, stderr: stderr || failed, timedOut: stopped === 'timeout' });
        });
        child.stdin.on('error', () => undefined);
        if (request.stdin !== undefined) child.stdin.end(request.stdin);
        else child.stdin.end();
      });
    },

    start(request): LongRunningProcess {
      const child = spawn(request.binary, request.args, { shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...request.env }, windowsHide: true });
      const forget = child.pid ? reaper.watch(child.pid) : () => {};
      const listeners: Array<(line: string, stream: 'stdout' | 'stderr') => void> = [];
      for (const stream of ['stdout', 'stderr'] as const) {
        createInterface({ input: child[stream] }).on('line', (line) => listeners.forEach((listener) => listener(line, stream)));
      }
      const exited = new Promise<{ exitCode: number | null }>((resolve) => {
        child.once('error', (error: NodeJS.ErrnoException) => {
          listeners.forEach((listener) => listener(`The ${request.binary} binary is not available (${error.code ?? error.message}).`, 'stderr'));
          resolve({ exitCode: null });
        });
        child.once('close', (exitCode) => resolve({ exitCode }));
      });
      // A forward must not outlive the server that owns it, even when the server exits without closing it (the
      // reaper ends its group on any exit, kill -9 included).
      void exited.then(forget);
      return {
        onLine: (listener) => void listeners.push(listener),
        exited,
        stop: () => void (child.exitCode === null && child.signalCode === null && child.pid && reaper.signalGroup(child.pid, 'SIGTERM')),
      };
    },
  };
}
