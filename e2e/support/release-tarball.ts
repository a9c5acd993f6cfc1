/**
 * The release as a user gets it: `npm pack` of packages/cli (its prepack compiles the bundle), installed globally
 * into a temporary prefix with the ordinary npm client. Dependencies come from the npm registry through the local
 * cache that the checkout's own `npm install` filled (--prefer-offline), so the test does not re-download them.
 * Both run at the lowest CPU priority (nice): suites beside this one measure timings.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@skyflo/testkit/tools';
import { vi } from 'vitest';

const run = promisify(execFile);

export interface InstalledRelease {
  tarball: string;
  /** <prefix>/bin/skyflo */
  bin: string;
  prefix: string;
}

export async function packRelease(destination: string): Promise<string> {
  await run('nice', ['-n', '19', 'npm', 'pack', '-w', '@skyflo/cli', '--pack-destination', destination, '--silent'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  const tarball = readdirSync(destination).find((name) => /^skyflo-cli-.*\.tgz$/.test(name));
  if (!tarball) throw new Error(`npm pack left no tarball in ${destination}`);
  return path.join(destination, tarball);
}

export async function installRelease(tarball: string): Promise<InstalledRelease> {
  const prefix = mkdtempSync(path.join(tmpdir(), 'skyflo-prefix-'));
  // A different cwd than the checkout, so nothing resolves from the workspace's node_modules.
  await run('nice', ['-n', '19', 'npm', 'install', '-g', tarball, '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error'], {
    cwd: prefix,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { tarball, prefix, bin: path.join(prefix, 'bin', 'skyflo') };
}

export interface RunningCommand {
  child: ChildProcess;
  output(): string;
  /** waits until `pattern` shows in stdout/stderr and returns the match; throws if the process exits first */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

export function startCommand(command: string, args: string[], env: Record<string, string>, options: { cwd?: string } = {}): RunningCommand {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}) });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    async waitFor(pattern, timeoutMs = 60_000) {
      // an exited process ends the wait at once (it will never print the pattern): vi.waitFor resolves with no match
      const match = await vi.waitFor(
        () => {
          const found = pattern.exec(output);
          if (found || child.exitCode !== null || child.signalCode !== null) return found;
          throw new Error(`timed out waiting for ${pattern} from ${command} ${args.join(' ')}:\n${output}`);
        },
        { timeout: timeoutMs, interval: 50 },
      );
      if (!match) throw new Error(`${command} ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}):\n${output}`);
      return match;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** vi.waitFor until a URL answers 200, and returns the parsed JSON body; a failure says what it last answered. */
export async function waitForJson(url: string, timeout = 60_000): Promise<unknown> {
  return vi.waitFor(
    async () => {
      const response = await fetch(url).catch((error: Error) => {
        throw new Error(`${url} did not answer 200 in time (${error.message})`);
      });
      if (!response.ok) throw new Error(`${url} did not answer 200 in time (HTTP ${response.status})`);
      return response.json();
    },
    { timeout, interval: 100 },
  );
}
