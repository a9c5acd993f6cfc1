import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../tools.ts';

const bin = path.join(repoRoot, 'testkit', 'bin', 'kube-sim.mjs');
const directory = mkdtempSync(path.join(os.tmpdir(), 'kube-sim-cli-'));

afterAll(() => rmSync(directory, { recursive: true, force: true }));

function start(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('kube-sim CLI', () => {
  it('prints its URL first, writes a kubeconfig, serves requests and stops on SIGTERM', async () => {
    const kubeconfig = path.join(directory, 'kubeconfig');
    const run = start(['--port', '0', '--kubeconfig', kubeconfig]);
    await waitFor(() => run.output().stdout.includes('\n'));
    const firstLine = run.output().stdout.split('\n')[0];
    expect(firstLine).toMatch(/^kube-sim listening on http:\/\/127\.0\.0\.1:\d+$/);
    const url = firstLine.replace('kube-sim listening on ', '');
    expect(existsSync(kubeconfig)).toBe(true);
    const config = parseYaml(readFileSync(kubeconfig, 'utf8'));
    expect(config.clusters[0].cluster).toEqual({ server: url, 'insecure-skip-tls-verify': true });
    const version = await (await fetch(`${url}/version`)).json();
    expect(version.gitVersion).toBe('v1.32.3');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    await expect(fetch(`${url}/version`)).rejects.toThrow();
  });

  it('rejects unknown flags and bad ports with exit code 2', async () => {
    const unknown = start(['--bogus']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.output().stderr).toContain("Unknown option '--bogus'");
    expect(unknown.output().stderr).toContain('usage: kube-sim');
    const badPort = start(['--port', 'eighty']);
    expect(await badPort.exited).toBe(2);
    expect(badPort.output().stderr).toContain('--port must be a number between 0 and 65535, got "eighty"');
  });
});
