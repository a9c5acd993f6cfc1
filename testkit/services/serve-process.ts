/**
 * A real `skyflo serve` process for suites that need one (a restart, kill -9, SIGSTOP, several replicas): started with
 * the environment it is given (plus PATH) and resolved once it logs where it listens. Its output is kept for the
 * failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { skyfloEntry } from './skyflo-command.ts';

export interface ServeProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port>/api/v1 */
  url: string;
  /** everything it printed so far (stdout and stderr) */
  output(): string;
  /** sends the signal (SIGKILL by default) and resolves once the process has exited */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM (after SIGCONT, in case it is frozen), SIGKILL if it has not exited within `graceMs` */
  stop(graceMs?: number): Promise<void>;
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
const exited = (child: ChildProcess) => (hasExited(child) ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve())));

/**
 * `timeoutMs` only ends a start that hangs: a start takes seconds idle and tens of seconds on a loaded two-core machine.
 */
export async function startServeProcess(options: { env: Record<string, string>; timeoutMs?: number }): Promise<ServeProcess> {
  const child = spawn(process.execPath, [skyfloEntry(), 'serve', '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let timer: NodeJS.Timeout | undefined;
  const listening = new Promise<string>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on (http:\/\/[^"\s]+)/.exec(output)?.[1];
      if (found) resolve(found);
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('exit', (code, signal) => reject(new Error(`skyflo serve exited (${code ?? signal}) before it listened:\n${output.slice(-4000)}`)));
    timer = setTimeout(() => reject(new Error(`skyflo serve did not listen within ${options.timeoutMs ?? 180_000} ms:\n${output.slice(-4000)}`)), options.timeoutMs ?? 180_000);
  });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const gone = exited(child);
    if (!hasExited(child)) child.kill(signal);
    await gone;
  };
  try {
    const url = await listening.finally(() => clearTimeout(timer));
    return {
      child,
      url: `${url}/api/v1`,
      output: () => output,
      kill,
      async stop(graceMs = 10_000) {
        if (hasExited(child)) return;
        child.kill('SIGCONT');
        const gone = exited(child);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await gone;
        clearTimeout(timer);
      },
    };
  } catch (error) {
    await kill();
    throw error;
  }
}
