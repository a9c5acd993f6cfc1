/**
 * The real CommandRunner: execFile with an argv array (never a shell), a timeout, abort support and
 * an output cap. Non-zero exits are returned, not thrown, so tools can turn stderr into a clear error.
 */
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CommandRequest, CommandResult, CommandRunner, LongRunningProcess } from './command-runner.ts';
import { ToolInputError } from '../errors.ts';

export interface CommandRunnerOptions {
  /** default timeout when a request gives none (ms) */
  defaultTimeoutMs?: number;
  /** stdout/stderr cap; output beyond it is an error, so a runaway command can't exhaust memory */
  maxBufferBytes?: number;
}

export function createCommandRunner(options: CommandRunnerOptions = {}): CommandRunner {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
  const maxBuffer = options.maxBufferBytes ?? 32 * 1024 * 1024;
  return {
    run(request: CommandRequest): Promise<CommandResult> {
      return new Promise((resolve, reject) => {
        const timeout = request.timeoutMs ?? defaultTimeoutMs;
        const child = execFile(
          request.binary,
          request.args,
          {
            shell: false,
            timeout,
            maxBuffer,
            signal: request.signal,
            env: { ...process.env, ...request.env },
            encoding: 'utf8',
            windowsHide: true,
          },
          (error, stdout, stderr) => {
            if (!error) return resolve({ exitCode: 0, stdout, stderr, timedOut: false });
            const failure = error as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string };
            if (failure.code === 'ENOENT' || failure.code === 'EACCES') {
              return reject(
                new ToolInputError(`The ${request.binary} binary is not available (${failure.code}).`, {
                  hint: 'install it or set its path in the MCP server settings',
                  code: 'MISSING_BINARY',
                }),
              );
            }
            if (failure.name === 'AbortError') return resolve({ exitCode: 130, stdout, stderr: stderr || 'cancelled', timedOut: false });
            const timedOut = Boolean(failure.killed && failure.signal === 'SIGTERM');
            const exitCode = typeof failure.code === 'number' ? failure.code : 1;
            resolve({ exitCode, stdout, stderr: stderr || failure.message, timedOut });
          },
        );
        if (request.stdin !== undefined) child.stdin?.end(request.stdin);
        else child.stdin?.end();
      });
    },

    start(request): LongRunningProcess {
      const child = spawn(request.binary, request.args, { shell: false, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...request.env }, windowsHide: true });
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
      // A forward must not outlive the server that owns it, even when the server exits without closing it.
      const killOnExit = () => child.kill('SIGTERM');
      process.once('exit', killOnExit);
      void exited.then(() => process.off('exit', killOnExit));
      return {
        onLine: (listener) => void listeners.push(listener),
        exited,
        stop: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGTERM')),
      };
    },
  };
}
