/**
 * One real embedded engine (`skyflo serve`, PGlite in SKYFLO_DATA_DIR) spawned as a user runs it, which the fault
 * suites kill with SIGKILL, restart on the same data dir, or starve of disk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { vi } from 'vitest';

export interface EmbeddedEngine {
  child: ChildProcess;
  /** e.g. http://127.0.0.1:40123/api/v1 */
  api: string;
  /** everything the process printed so far (stdout and stderr) */
  output(): string;
  /** SIGKILL, resolved once the process is gone */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL when it is still running after a while */
  stop(): Promise<void>;
}

export interface EmbeddedEngineOptions {
  home: string;
  dataDir: string;
  kubeconfig: string;
  llmHost: string;
  env?: Record<string, string>;
}

const exited = (child: ChildProcess) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve())));

export async function startEmbeddedEngine(options: EmbeddedEngineOptions): Promise<EmbeddedEngine> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'packages/cli/bin/skyflo.mjs'), 'serve', '--port', '0'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: options.home,
      SKYFLO_DATA_DIR: options.dataDir,
      KUBECONFIG: options.kubeconfig,
      KUBECACHEDIR: path.join(options.home, 'kube-cache'),
      JWT_SECRET: 'embedded-faults-test-secret-0123456789abcdef',
      ALLOW_REGISTRATION: 'true',
      LLM_MODEL: 'openai-compatible/sim-model',
      LLM_HOST: options.llmHost,
      TITLE_GENERATION_ENABLED: 'false',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const kill = async () => {
    const gone = exited(child);
    child.kill('SIGKILL');
    await gone;
  };
  try {
    // seconds idle, tens of seconds on a loaded two-core machine: the limit is far from both
    const url = await vi.waitFor(
      () => {
        if (child.exitCode !== null) return new Error(`the engine exited:\n${output}`);
        const found = /listening on (http:\/\/[^"\s]+)/.exec(output)?.[1];
        if (!found) throw new Error(`the engine did not start:\n${output}`);
        return found;
      },
      { timeout: 150_000, interval: 50 },
    );
    if (url instanceof Error) throw url;
    return {
      child,
      api: `${url}/api/v1`,
      output: () => output,
      kill,
      async stop() {
        const gone = exited(child);
        child.kill('SIGTERM');
        const stopped = await Promise.race([gone.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]);
        if (!stopped) await kill();
      },
    };
  } catch (error) {
    await kill();
    throw error;
  }
}

/** A small API client for one user of an engine. */
export function apiClient(engine: () => EmbeddedEngine, token?: string) {
  const headers = (extra: Record<string, string> = {}) => ({ ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra });
  return {
    get: (pathname: string) => fetch(`${engine().api}${pathname}`, { headers: headers() }),
    post: (pathname: string, body: unknown, init: RequestInit = {}) =>
      fetch(`${engine().api}${pathname}`, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body), ...init }),
  };
}

/** Registers an account (the first one is the admin) and logs in: its access token. */
export async function registerUser(engine: EmbeddedEngine, email: string): Promise<string> {
  const password = 'correct horse battery staple';
  const registered = await fetch(`${engine.api}/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (registered.status !== 201) throw new Error(`register ${email}: ${registered.status} ${await registered.text()}`);
  return login(engine, email);
}

export async function login(engine: EmbeddedEngine, email: string): Promise<string> {
  const response = await fetch(`${engine.api}/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: email, password: 'correct horse battery staple' }) });
  if (response.status !== 200) throw new Error(`login ${email}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
