/** The `skyflo` command as a user runs it: a real child process, answering on /api/v1/health, and clear failures. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { skyfloEntry } from '@skyflo/testkit/services';

const bin = skyfloEntry();
const running: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string>): Started {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), KUBECACHEDIR: mkdtempSync(path.join(tmpdir(), 'kubecache-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** vi.waitFor until the process printed `pattern`; fails at once, with its output, if the process exits first. */
async function waitFor(started: Started, pattern: RegExp, timeout = 120_000): Promise<RegExpMatchArray> {
  let exited: Error | undefined;
  const match = await vi.waitFor(
    () => {
      const found = started.output().match(pattern);
      if (found) return found;
      if (started.child.exitCode !== null) return (exited = new Error(`exited with ${started.child.exitCode}:\n${started.output()}`));
      throw new Error(`timed out waiting for ${pattern}:\n${started.output()}`);
    },
    { timeout, interval: 50 },
  );
  if (exited) throw exited;
  return match as RegExpMatchArray;
}

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

const dataDir = () => mkdtempSync(path.join(tmpdir(), 'skyflo-cli-'));

/** Polls /api/v1/health until the embedded MCP server has finished loading (it loads after the engine listens). */
async function waitForTools(url: string, timeout = 120_000): Promise<{ status: string; mcp: string }> {
  return vi.waitFor(
    async () => {
      const health = (await (await fetch(`${url}/api/v1/health`)).json()) as { status: string; mcp: string };
      if (health.mcp === 'starting') throw new Error(`the embedded MCP server was still starting: ${JSON.stringify(health)}`);
      return health;
    },
    { timeout, interval: 50 },
  );
}

// A start takes seconds on an idle machine and half a minute on a loaded two-core one: the waits above (120 s) and
// these limits are far enough from either that the load cannot decide the outcome.
describe('skyflo serve', { timeout: 300_000 }, () => {
  it('starts on PGlite with no LLM, says what to set, answers health, and stops cleanly on SIGTERM', async () => {
    const directory = dataDir();
    const server = start(['serve', '--port', '0'], { SKYFLO_DATA_DIR: directory, LOG_LEVEL: 'info' });
    const [, url] = await waitFor(server, /Skyflo engine listening on (http:\/\/[^"\s]+)/);
    expect(server.output()).toMatch(/LLM_MODEL=openai\/gpt-4o/);
    // Liveness answers while the MCP server may still be loading; readiness of the tools is a separate field.
    const health = (await (await fetch(`${url}/api/v1/health`)).json()) as { status: string; mcp: string };
    expect(health.status).toBe('ok');
    expect(health.mcp).toMatch(/^(starting|ready|error: .+)$/);
    expect(await (await fetch(`${url}/api/v1/health/database`)).json()).toEqual({ status: 'ok', database: 'connected' });
    expect((await waitForTools(url!)).mcp).not.toBe('starting');
    // The data dir is locked by this process while it runs.
    expect(readFileSync(path.join(directory, 'skyflo.lock'), 'utf8').trim()).toBe(String(server.child.pid));
    expect((await fetch(`${url}/api/v1/conversations`)).status).toBe(401);
    // The generated JWT secret is kept in the data dir for the next start.
    expect(existsSync(path.join(directory, 'jwt-secret'))).toBe(true);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(existsSync(path.join(directory, 'skyflo.lock'))).toBe(false);
  });

  // Closing the engine waited for every connection to end: a Command Center tab's notifications stream never does,
  // and neither does a connection that has sent no request yet (a browser's preconnect): the engine never exited.
  it('on SIGTERM ends open event streams and connections that sent no request, and exits', async () => {
    const server = start(['serve', '--port', '0'], { SKYFLO_DATA_DIR: dataDir(), LOG_LEVEL: 'info' });
    const [, url] = await waitFor(server, /Skyflo engine listening on (http:\/\/[^"\s]+)/);
    const credentials = { email: 'ops@example.test', password: 'correct horse battery' };
    expect((await fetch(`${url}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) })).status).toBe(201);
    const login = await fetch(`${url}/api/v1/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: credentials.email, password: credentials.password }) });
    const { access_token: token } = (await login.json()) as { access_token: string };
    // a tab's notifications stream, open and answered
    const stream = await fetch(`${url}/api/v1/notifications/stream`, { headers: { authorization: `Bearer ${token}` } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('event: ready');
    // a preconnect: connected, nothing sent
    const preconnect = net.connect({ host: '127.0.0.1', port: Number(new URL(url!).port) });
    let received = '';
    preconnect.on('data', (chunk: Buffer) => (received += chunk.toString()));
    preconnect.on('error', () => undefined); // a reset is an end too; what matters is that nothing was answered
    const closed = once(preconnect, 'close');
    await once(preconnect, 'connect');

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await closed;
    expect(received).toBe('');
    // the stream ended (the client reconnects to the next engine)
    let ended = false;
    while (!ended) ended = (await reader.read().catch(() => ({ done: true }))).done;
    expect(server.output()).toMatch(/SIGTERM received, shutting down/);
  });

  it('refuses a data dir another running engine holds, and takes over a lock left by a dead process', async () => {
    const directory = dataDir();
    // A lock from a process that no longer exists (pid far above any pid_max) is stale and taken over.
    writeFileSync(path.join(directory, 'skyflo.lock'), '2147483646\n');
    const first = start(['serve', '--port', '0'], { SKYFLO_DATA_DIR: directory, LOG_LEVEL: 'info' });
    await waitFor(first, /Skyflo engine listening on/);
    expect(readFileSync(path.join(directory, 'skyflo.lock'), 'utf8').trim()).toBe(String(first.child.pid));

    const second = start(['serve', '--port', '0'], { SKYFLO_DATA_DIR: directory, LOG_LEVEL: 'info' });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`the data dir ${directory} is in use by another Skyflo process (pid ${first.child.pid})`);
    expect(second.output()).toMatch(/SKYFLO_DATA_DIR/);
    expect(second.output()).not.toMatch(/at .*\.ts:\d+/);
    // The refused process must not have taken or removed the running engine's lock.
    expect(readFileSync(path.join(directory, 'skyflo.lock'), 'utf8').trim()).toBe(String(first.child.pid));
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('stops with the event bus message when REDIS_URL cannot be reached', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const server = start(['serve', '--port', '0'], { SKYFLO_DATA_DIR: dataDir(), REDIS_URL: 'redis://:hunter2@127.0.0.1:1/0' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/Cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0 \(REDIS_URL\)/);
    expect(server.output()).not.toContain('hunter2');
    expect(server.output()).not.toMatch(/at .*\.ts:\d+/);
  });

  it('refuses bad configuration with every variable named and exit status 1', async () => {
    const server = start(['serve'], { SKYFLO_DATA_DIR: dataDir(), PORT: 'eighty', POSTGRES_DATABASE_URL: 'mysql://x' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/PORT: .*got "eighty"/);
    expect(server.output()).toMatch(/POSTGRES_DATABASE_URL: must start with postgres:\/\//);
    expect(server.output()).not.toMatch(/at .*\.ts:\d+/);
  });

  it('rejects an unknown command or flag with usage and exit status 2', async () => {
    const unknown = start(['deploy'], {});
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toMatch(/unknown command "deploy"[\s\S]*Usage: skyflo/);
    const badFlag = start(['serve', '--port', 'x'], {});
    expect(await badFlag.exited).toBe(2);
    expect(badFlag.output()).toMatch(/--port must be a number/);
  });
});

describe('skyflo sandbox', { timeout: 300_000 }, () => {
  it('starts kube-sim with the demo cluster, writes its kubeconfig and serves the engine against it', async () => {
    const directory = dataDir();
    const sandbox = start(['sandbox', '--port', '0'], { SKYFLO_DATA_DIR: directory, LOG_LEVEL: 'warn' });
    const [, url] = await waitFor(sandbox, /Skyflo sandbox is running at (http:\/\/\S+)/);
    expect(sandbox.output()).toMatch(/kubectl --kubeconfig .*sandbox\.kubeconfig get pods -A/);
    expect(existsSync(path.join(directory, 'sandbox.kubeconfig'))).toBe(true);
    // The embedded MCP server loads after the engine listens and reaches the simulated cluster.
    // The clusters' part of health answers from the cluster listing, waiting at most 2 s for it; on a loaded machine
    // the first answers after the MCP server is ready may come before the first listing, without `clusters`.
    const health = await vi.waitFor(
      async () => {
        const answer = (await waitForTools(url!)) as { components?: Record<string, string> };
        if (!answer.components?.['clusters']) throw new Error(`no cluster status yet: ${JSON.stringify(answer)}`);
        return answer;
      },
      { timeout: 120_000, interval: 100 },
    );
    expect(health).toEqual({ status: 'ok', mcp: 'ready', components: { database: 'ok', bus: 'ok', clusters: 'ok', disk: 'ok' }, emergency_stop: { active: false } });
    sandbox.child.kill('SIGTERM');
    expect(await sandbox.exited).toBe(0);
  });
});
