/**
 * `skyflo sandbox`'s banner says what to do first (issue 37 item 3): on a new data dir, register the first user (the
 * admin); on a data dir an earlier sandbox left with accounts, where registering is closed, sign in. And it shows the
 * `kubectl … get skyfloapprovals` line of cluster-enforced approvals (issue 34).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EMAIL, PASSWORD, skyfloBin } from '../chat/harness.ts';

const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-sandbox-banner-'));
const running = new Set<ChildProcess>();

afterAll(async () => {
  for (const child of running) await stop(child);
  rmSync(directory, { recursive: true, force: true });
});

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  running.delete(child);
}

/** starts `skyflo sandbox` on the shared data dir; resolves with its banner once it is printed */
async function startSandbox(): Promise<{ child: ChildProcess; banner: string; url: string }> {
  const uiDir = path.join(directory, 'ui');
  mkdirSync(uiDir, { recursive: true });
  writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><title>prebuilt</title>');
  const child = spawn(process.execPath, [skyfloBin, 'sandbox', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: directory, LOG_LEVEL: 'warn', SKYFLO_DATA_DIR: path.join(directory, 'data'), UI_DIST_DIR: uiDir, KUBECACHEDIR: path.join(directory, 'kube-cache') },
  });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return vi.waitFor(
    () => {
      const banner = output.slice(output.indexOf('Skyflo sandbox is running'));
      if (!output.includes('Skyflo sandbox is running') || !banner.includes('Ctrl-C stops both')) throw new Error(`no banner yet (exit ${child.exitCode}):\n${output}`);
      return { child, banner, url: /Skyflo sandbox is running at (http:\/\/[\d.:]+)/.exec(banner)![1]! };
    },
    { timeout: 120_000, interval: 100 },
  );
}

describe('skyflo sandbox banner', () => {
  it('says register the first user on a new data dir, and sign in once the data dir has users', { timeout: 300_000 }, async () => {
    const first = await startSandbox();
    expect(first.banner).toContain('register the first user (it becomes admin)');
    // approvals are enforced by the simulated cluster, and the banner says how to see them (issue 34)
    expect(first.banner).toContain('approvals are enforced by the cluster');
    expect(first.banner).toContain(`kubectl --kubeconfig ${path.join(directory, 'data', 'sandbox.kubeconfig')} get skyfloapprovals -n skyflo`);
    expect(first.banner).not.toContain('enforced by the engine only');
    // the data dir the sandbox made is its owner's alone, as a data dir `skyflo serve` makes (0755 before)
    expect(statSync(path.join(directory, 'data')).mode & 0o077).toBe(0);
    const registered = await fetch(`${first.url}/api/v1/auth/register/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD, full_name: 'Sandbox User' }),
    });
    expect(registered.status).toBe(201);
    // the engine runs with the sandbox's executor: its clusters report approvals enforced by the cluster
    const login = await fetch(`${first.url}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: EMAIL, password: PASSWORD }) });
    const { access_token: token } = (await login.json()) as { access_token: string };
    const clusters = await vi.waitFor(
      async () => {
        const response = await fetch(`${first.url}/api/v1/clusters`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await response.json()) as { clusters?: Array<{ name: string; approval_enforcement?: string }> };
        if (!body.clusters?.length) throw new Error(`no clusters yet: ${JSON.stringify(body)}`);
        return body.clusters;
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(clusters.map((cluster) => cluster.approval_enforcement)).toEqual(clusters.map(() => 'cluster'));
    await stop(first.child);

    const second = await startSandbox();
    expect(second.banner).not.toMatch(/register the first user/);
    expect(second.banner).toContain(`sign in with your account (${path.join(directory, 'data')} already has users; SKYFLO_DATA_DIR=<a new folder> starts afresh)`);
    // and that is true: registering is closed there
    const again = await fetch(`${second.url}/api/v1/auth/register/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'second@example.com', password: PASSWORD, full_name: 'Second' }),
    });
    expect(again.status).toBe(403);
    await stop(second.child);
  });
});
