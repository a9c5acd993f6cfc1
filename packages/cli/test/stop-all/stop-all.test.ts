/**
 * Issue 76: `skyflo stop-all` (the real binary) against a real engine: an admin engages the emergency stop and lifts
 * it; /health shows each; a member's login is refused with the engine's words and exit status 1.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine, loadConfig, type Engine } from '@skyflo/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skyfloBin } from '../chat/harness.ts';

let dir: string;
let engine: Engine;
let url: string;
let admin: string;
let member: string;

const login = async (email: string, password: string) => {
  const response = await fetch(`${url}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: email, password }) });
  return ((await response.json()) as { access_token: string }).access_token;
};

function stopAll(token: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [skyfloBin, 'stop-all', '--url', url, ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir, SKYFLO_CONFIG_DIR: path.join(dir, 'config'), SKYFLO_TOKEN: token } }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const health = async () => ((await (await fetch(`${url}/api/v1/health`)).json()) as { emergency_stop?: unknown }).emergency_stop;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'skyflo-stop-all-'));
  engine = await createEngine(loadConfig({ PORT: '0', SKYFLO_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', KUBECONFIG: path.join(dir, 'no-kubeconfig') }), { logger: false });
  url = await engine.listen();
  const register = await fetch(`${url}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.com', password: 'correct-horse-battery' }) });
  expect(register.status).toBe(201);
  admin = await login('admin@example.com', 'correct-horse-battery');
  const added = await fetch(`${url}/api/v1/team/members`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify({ email: 'mia@example.com', role: 'member', password: 'mia-pass-4242' }) });
  expect(added.status).toBe(201);
  member = await login('mia@example.com', 'mia-pass-4242');
}, 120_000);

afterAll(async () => {
  await engine?.close();
});

describe('skyflo stop-all', () => {
  it('engages and lifts the emergency stop for an admin; a member is refused', async () => {
    const refused = await stopAll(member, '--reason', 'not mine to pull');
    expect(refused).toMatchObject({ code: 1, stderr: 'skyflo stop-all: Only admins can engage or lift the emergency stop.\n' });
    expect(await health()).toEqual({ active: false });

    const missing = await stopAll(admin);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--reason is required/);

    const engaged = await stopAll(admin, '--reason', 'incident 42');
    expect(engaged.code, engaged.stderr).toBe(0);
    expect(engaged.stdout).toMatch(/^Emergency stop ON at http:\/\/127\.0\.0\.1:\d+ since .+ \(by admin@example\.com\): incident 42\n/);
    expect(await health()).toEqual({ active: true, since: expect.any(String) });

    const lifted = await stopAll(admin, '--lift');
    expect(lifted).toMatchObject({ code: 0, stdout: `Emergency stop lifted at ${url}: approvals and changes work again.\n` });
    expect(await health()).toEqual({ active: false });
  });
});
