/** `skyflo serve` in a child process on a free port, for benches that measure the whole process (P6, P7). */
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';

export const skyfloBin = path.join(repoRoot, 'packages', 'cli', 'bin', 'skyflo.mjs');

export interface ServeProcess {
  child: ChildProcess;
  /** Resolves with the base URL once /api/v1/health answers 200 (polled every `pollMs`). */
  healthy(options?: { pollMs?: number; timeoutMs?: number }): Promise<string>;
  stop(): Promise<void>;
}

/** `extraEnv`: settings a bench changes on purpose (e.g. a raised rate limit); the bench says so in its output. */
export function startServe(dataDir: string, extraEnv: Record<string, string> = {}): ServeProcess {
  const child = spawn(process.execPath, [skyfloBin, 'serve', '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), SKYFLO_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    async healthy({ pollMs = 10, timeoutMs = 60_000 } = {}) {
      const started = Date.now();
      for (;;) {
        if (child.exitCode !== null || Date.now() - started > timeoutMs) throw new Error(`serve did not start:\n${output}`);
        const url = /listening on (http:\/\/[^"\s]+)/.exec(output)?.[1];
        if (url && (await fetch(`${url}/api/v1/health`).then((response) => response.ok, () => false))) return url;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
