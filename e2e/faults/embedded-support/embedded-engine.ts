/**
 * One real embedded engine (`skyflo serve`, PGlite in SKYFLO_DATA_DIR) spawned as a user runs it, which the fault
 * suites kill with SIGKILL, restart on the same data dir, or starve of disk.
 */
import path from 'node:path';
import { startServeProcess, type ServeProcess } from '@skyflo/testkit/services';

export interface EmbeddedEngine extends Omit<ServeProcess, 'url' | 'kill' | 'stop'> {
  /** e.g. http://127.0.0.1:40123/api/v1 */
  api: string;
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

export async function startEmbeddedEngine(options: EmbeddedEngineOptions): Promise<EmbeddedEngine> {
  const engine = await startServeProcess({
    env: {
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
  });
  return { child: engine.child, api: engine.url, output: engine.output, kill: () => engine.kill(), stop: () => engine.stop() };
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
