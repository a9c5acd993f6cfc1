import { execFile, spawn } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '@skyflo/testkit/tools';

const bin = path.join(repoRoot, 'packages', 'sandbox', 'bin', 'kube-sim.mjs');
const directory = mkdtempSync(path.join(os.tmpdir(), 'kube-sim-cli-'));

afterAll(() => rmSync(directory, { recursive: true, force: true }));

function start(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return watch(child);
}

function watch(child: ReturnType<typeof spawn>) {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitFor(condition: () => boolean, timeout = 15_000): Promise<void> {
  await vi.waitFor(
    () => {
      if (!condition()) throw new Error(`condition not met: ${condition.toString()}`);
    },
    { timeout, interval: 50 },
  );
}

/** GET over HTTPS against the self-signed certificate, optionally with a bearer token. */
function httpsGet(url: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { rejectUnauthorized: false, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('kube-sim CLI', () => {
  it('runs as `npx kube-sim` from the repository root (npm links the workspace bin)', async () => {
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      execFile('npx', ['--no-install', 'kube-sim', '--help'], { cwd: repoRoot, timeout: 30_000 }, (error, out) => (error ? reject(error) : resolve({ stdout: String(out) })));
    });
    expect(stdout).toMatch(/^usage: kube-sim \[--port <n\|0>\]/);
    expect(stdout).toContain('--tls       serve HTTPS (self-signed) and require a bearer token on every request');
  });

  it('says that plain HTTP acts as admin, and enforces tokens with --tls', async () => {
    const plain = start(['--port', '0']);
    await waitFor(() => plain.output().stdout.split('\n').length > 2);
    expect(plain.output().stdout.split('\n')[1]).toBe('plain HTTP: kubectl sends no credentials over HTTP, so anonymous requests act as admin; use --tls for token authentication');
    const plainUrl = plain.output().stdout.split('\n')[0].replace('kube-sim listening on ', '');
    expect((await fetch(`${plainUrl}/api/v1/namespaces`)).status).toBe(200);
    plain.child.kill('SIGTERM');
    await plain.exited;

    const secure = start(['--port', '0', '--tls']);
    await waitFor(() => /admin token: \w+\n/.test(secure.output().stdout));
    const lines = secure.output().stdout.split('\n');
    expect(lines[0]).toMatch(/^kube-sim listening on https:\/\/127\.0\.0\.1:\d+$/);
    expect(lines[1]).toBe('authentication: bearer tokens required; anonymous requests are refused (401)');
    expect(secure.output().stdout).not.toContain('plain HTTP');
    const url = lines[0].replace('kube-sim listening on ', '');
    const token = lines.find((line) => line.startsWith('admin token: '))!.slice('admin token: '.length);
    expect(await httpsGet(`${url}/api/v1/namespaces`)).toBe(401);
    expect(await httpsGet(`${url}/api/v1/namespaces`, 'wrong-token')).toBe(401);
    expect(await httpsGet(`${url}/api/v1/namespaces`, token)).toBe(200);
    secure.child.kill('SIGTERM');
    expect(await secure.exited).toBe(0);
  });

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
    expect(badPort.output().stderr).toContain('--port must be an integer between 0 and 65535, got "eighty"');
  });
});
