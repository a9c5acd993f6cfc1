/**
 * Issue 31 item 14: a killed engine left `helm install --wait` running, re-parented to PID 1, and the release stayed
 * `pending-install`. A real `skyflo serve` process (data-dir PGlite, llm-sim, its embedded MCP server, the real helm
 * against kube-sim) approves a helm install of a chart whose pod never gets ready; while helm waits, the engine is
 * killed with SIGKILL. helm's process must be gone within a bounded wait (the reaper ends its process group), and
 * the release is left pending-install. Restarted, the engine's "outcome unknown" note names the release, its
 * pending state and what clears it.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import type { ServeProcess } from '@skyflo/testkit/services';
import { helmPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toolInConversation } from './harness.ts';
import { chatUntilApproval, readUntilEngineDies, registerOperator, signIn, startServeEngine, withStoppedEngineStorage } from './support/restarted-engine.ts';

const run = promisify(execFile);
let directory: string;
let kube: KubeSim;
let sim: LlmSim;
let repository: http.Server;
let helmEnv: Record<string, string>;
let engine: ServeProcess | undefined;

const helm = async (...args: string[]) => (await run(helmPath, [...args, '--kubeconfig', path.join(directory, 'kubeconfig')], { env: { ...process.env, ...helmEnv } })).stdout;
const releaseStatus = async (name: string) => /^STATUS:\s*(\S+)/m.exec(await helm('status', name, '--namespace', 'default'))?.[1];

/**
 * The running (not zombie) processes of `binary` (by the file they run, whatever path started it) whose command line
 * contains every one of `words`.
 */
function processesWith(binary: string, ...words: string[]): number[] {
  const found: number[] = [];
  const executable = realpathSync(binary);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      if (readlinkSync(`/proc/${entry}/exe`) === executable && words.every((word) => commandLine.includes(word))) found.push(Number(entry));
    } catch {
      // the process ended while being read
    }
  }
  return found;
}

const isRunning = (pid: number) => {
  try {
    return !/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** A chart whose Deployment's image does not exist: kube-sim reports ErrImagePull, the pod never gets ready. */
async function serveNeverReadyChart(): Promise<string> {
  const source = path.join(directory, 'chart-src', 'never-ready');
  await mkdir(path.join(source, 'templates'), { recursive: true });
  await writeFile(path.join(source, 'Chart.yaml'), 'apiVersion: v2\nname: never-ready\nversion: 0.1.0\nappVersion: "1.0"\n');
  await writeFile(
    path.join(source, 'templates', 'deployment.yaml'),
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: {{ .Release.Name }}}}\n  template:\n    metadata: {labels: {app: {{ .Release.Name }}}}\n    spec: {containers: [{name: app, image: registry.invalid.test/never-ready:1}]}\n',
  );
  const served = path.join(directory, 'repo');
  await mkdir(served, { recursive: true });
  repository = http.createServer((request, response) => {
    readFile(path.join(served, path.basename(new URL(request.url ?? '/', 'http://x').pathname))).then(
      (body) => response.writeHead(200).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => repository.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(repository.address() as AddressInfo).port}`;
  await run(helmPath, ['package', source, '--destination', served], { env: { ...process.env, ...helmEnv } });
  await run(helmPath, ['repo', 'index', served, '--url', url], { env: { ...process.env, ...helmEnv } });
  await run(helmPath, ['repo', 'add', 'local', url], { env: { ...process.env, ...helmEnv } });
  return url;
}

function startEngineProcess(): Promise<ServeProcess> {
  return startServeEngine(directory, sim.url, { KUBECONFIG: path.join(directory, 'kubeconfig'), ...helmEnv, HELM_CHART_CACHE_DIR: path.join(directory, 'chart-cache') });
}

async function stopEngine(signal: NodeJS.Signals): Promise<void> {
  await engine?.kill(signal);
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-helm-kill9-'));
  helmEnv = { HELM_CACHE_HOME: path.join(directory, 'helm-cache'), HELM_CONFIG_HOME: path.join(directory, 'helm-config'), HELM_DATA_HOME: path.join(directory, 'helm-data') };
  kube = await startKubeSim({ port: 0, kubeconfigPath: path.join(directory, 'kubeconfig') });
  await serveNeverReadyChart();
  sim = await startLlmSim({ port: 0 });
}, 60_000);

afterAll(async () => {
  await stopEngine('SIGKILL');
  // whatever a failed run left behind (each pid is one this test's engine started)
  for (const pid of processesWith(helmPath, 'install')) if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(directory)) process.kill(pid, 'SIGKILL');
  await new Promise((resolve) => repository?.close(resolve));
  await kube?.close();
  await sim?.close();
  await rm(directory, { recursive: true, force: true });
});

type ToolView = { status: string; error?: string; error_code?: string };


describe('kill -9 while helm install --wait runs', () => {
  it('helm ends with the engine; after restart the "outcome unknown" note names the release left pending-install', async () => {
    sim.reset({
      rules: [
        { match: { lastRole: 'user', userContains: 'install' }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'helm', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_install', name: 'helm_install', arguments: { release_name: 'stuck-web', chart: 'local/never-ready', namespace: 'default', wait: true, timeout_seconds: 900 } }] } },
        { match: { toolName: 'helm_install' }, reply: 'Installed.' },
      ],
    });
    engine = await startEngineProcess();
    await registerOperator(engine.url);
    const { token, post } = await signIn(() => engine!.url);

    const { conversationId, argsHash } = await chatUntilApproval(post, 'install never-ready as stuck-web');
    expect(argsHash, engine.output()).not.toBe('');

    const approval = await post('/agent/approvals/call_install', { approve: true, conversation_id: conversationId, args_hash: argsHash });
    const reading = readUntilEngineDies(approval);
    // helm is installing and waiting for a pod that never gets ready: the release is pending-install
    const [helmPid] = await vi.waitFor(
      () => {
        const found = processesWith(helmPath, 'install', 'stuck-web');
        expect(found).toHaveLength(1);
        return found;
      },
      { timeout: 60_000, interval: 50 },
    );
    await vi.waitFor(async () => expect(await releaseStatus('stuck-web')).toBe('pending-install'), { timeout: 30_000, interval: 100 });

    await stopEngine('SIGKILL');
    await reading;
    // helm does not outlive the engine (before: it ran on, re-parented to PID 1, for its whole 900 s)
    await vi.waitFor(() => expect(isRunning(helmPid!)).toBe(false), { timeout: 20_000, interval: 50 });
    // helm did not get to record an outcome: the release stays pending-install (helm refuses any other operation on it)
    expect(await releaseStatus('stuck-web')).toBe('pending-install');

    engine = await startEngineProcess();
    const shown = await toolInConversation<ToolView>(engine.url, token, conversationId, 'call_install');
    expect(shown).toMatchObject({ status: 'error', error_code: 'UNKNOWN_OUTCOME' });
    const noted = await vi.waitFor(
      async () => {
        const view = await toolInConversation<ToolView>(engine!.url, token, conversationId, 'call_install');
        expect(view?.error).toMatch(/The cluster now: Helm release stuck-web in default is pending-install \(revision 1\) — left mid-operation; helm refuses any other operation on it until it is uninstalled \(helm_uninstall\); install it again afterwards\.$/);
        return view!;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(noted.error).toMatch(/^Outcome unknown: the engine stopped while this call was executing/);
    await stopEngine('SIGTERM');
    await withStoppedEngineStorage(directory, async (storage) => {
      expect(await storage.approvals.get(conversationId, 'call_install')).toMatchObject({ status: 'unknown', resultSummary: noted.error });
    });
  }, 240_000);
});
