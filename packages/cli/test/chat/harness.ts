/**
 * What the `skyflo chat` tests run against: kube-sim with a `web` deployment, llm-sim (the only stand-in), and a
 * real engine from createEngine (PGlite, accounts, the embedded MCP server on kube-sim's kubeconfig) with one
 * registered user. Plus helpers to run the real `skyflo` binary and the real kubectl.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createEngine, loadConfig, type Engine } from '@skyflo/engine';
import { pendingApprovalsResponseSchema, type PendingApproval } from '@skyflo/protocol';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { kubectlPath } from '@skyflo/testkit/tools';
import { expect, vi } from 'vitest';
import { startTerminal, type Terminal } from './tmux.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

const run = promisify(execFile);
export const skyfloBin = skyfloEntry();
export const EMAIL = 'ada@example.com';
export const PASSWORD = 'correct-horse-battery';

export interface ChatStack {
  dir: string;
  kubeconfig: string;
  url: string;
  kube: KubeSim;
  llm: LlmSim;
  engine: Engine;
  kubectl(...args: string[]): Promise<string>;
  /** a fresh access token for EMAIL */
  token(): Promise<string>;
  close(): Promise<void>;
}

export const webDeployment = deploymentYaml('web');

/** `env`: engine settings on top of the defaults below (e.g. APPROVAL_POLICY=approver). */
export async function startChatStack(input: { env?: Record<string, string> } = {}): Promise<ChatStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'skyflo-chat-test-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  const kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig, settings: { startDelayMs: 20, readinessDelayMs: 50 } });
  const kubectl = async (...args: string[]) =>
    (await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(dir, 'kube-cache') } })).stdout.trim();
  writeFileSync(path.join(dir, 'web.yaml'), webDeployment);
  await kubectl('apply', '-f', path.join(dir, 'web.yaml'));
  const llm = await startLlmSim({ port: 0 });
  const config = loadConfig({
    PORT: '0',
    SKYFLO_DATA_DIR: path.join(dir, 'data'),
    LLM_MODEL: 'openai-compatible/sim-model',
    LLM_HOST: llm.url,
    // a reset keep-alive connection to llm-sim on a loaded machine is retried, as the engine does for real models
    LLM_MAX_RETRIES: '2',
    LLM_RETRY_BASE_DELAY_MS: '10',
    KUBECONFIG: kubeconfig,
    TITLE_GENERATION_ENABLED: 'false',
    // No controller here sets a change back: a 1 s verification hold (default 5) keeps the flow and saves CI minutes.
    VERIFY_HOLD_SECONDS: '1',
    LOG_LEVEL: 'silent',
    ...input.env,
  });
  const engine = await createEngine(config, { logger: false });
  const url = await engine.listen();
  const registered = await fetch(`${url}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
  return {
    dir,
    kubeconfig,
    url,
    kube,
    llm,
    engine,
    kubectl,
    async token() {
      const response = await fetch(`${url}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: EMAIL, password: PASSWORD }) });
      return ((await response.json()) as { access_token: string }).access_token;
    },
    async close() {
      await engine.close();
      await llm.close();
      await kube.close();
    },
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `skyflo <args>` as a child process with stdin from `input` (not a terminal) and waits for it to exit.
 * `onStdout`: called with all of stdout so far each time more arrives (a test acts on what has been printed).
 */
export function runCli(args: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number; onStdout?: (stdout: string) => void } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [skyfloBin, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`skyflo ${args.join(' ')} did not exit in time\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 150_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

const notYet = new Error('not yet');

/** vi.waitFor until `check` returns a value; fails with `describe()` (asked only then: it may read a screen) after `timeout`. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, describe: () => string | Promise<string>, timeout = 90_000): Promise<T> {
  try {
    return await vi.waitFor(
      async () => {
        const value = await check();
        if (value === undefined || value === false) throw notYet;
        return value;
      },
      { timeout, interval: 100 },
    );
  } catch (error) {
    if (error === notYet) throw new Error(`timed out: ${await describe()}`);
    throw error;
  }
}

/** `skyflo chat` on the stack in a real terminal, signed in with `token`, without colours, at its first prompt. */
export async function startSignedInChat(stack: ChatStack, token: string, size: { width?: number; height?: number } = {}): Promise<Terminal> {
  const terminal = await startTerminal({
    dir: stack.dir,
    command: [process.execPath, skyfloBin, 'chat', '--url', stack.url],
    env: { XDG_CONFIG_HOME: path.join(stack.dir, 'config'), NO_COLOR: '1', TERM: 'xterm-256color', SKYFLO_TOKEN: token },
    ...size,
  });
  await terminal.waitFor(/^› $/m);
  return terminal;
}

/** the approval queue `token`'s user sees, in the protocol's one shape (parsing fails the test if the engine answers another) */
export async function pendingApprovals(stack: ChatStack, token: string): Promise<PendingApproval[]> {
  const response = await fetch(`${stack.url}/api/v1/approvals/pending`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return pendingApprovalsResponseSchema.parse(await response.json()).data;
}
