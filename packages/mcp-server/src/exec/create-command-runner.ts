/**
 * The real CommandRunner: execFile with an argv array (never a shell), a timeout, abort support and
 * an output cap. Non-zero exits are returned, not thrown, so tools can turn stderr into a clear error.
 */
import { execFile } from 'node:child_process';
import type { CommandRequest, CommandResult, CommandRunner } from './command-runner.ts';
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
  };
}
