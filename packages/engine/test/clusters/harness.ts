/**
 * The clusters harness: the all-in-one engine (createEngine, PGlite data dir, embedded real MCP server,
 * accounts) on two kube-sims behind one kubeconfig with the contexts `alpha` (current) and `beta`, llm-sim as the
 * model, an admin and a member signed in. The clusters are read back with the real kubectl/helm, per context.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import { expect } from 'vitest';
import { createPasswordHasher } from '../../src/app/accounts/password-hasher.ts';
import { loadConfig } from '../../src/platform/config/index.ts';
import { createEngine, type Engine } from '../../src/create-engine.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { testPassword } from '../support/test-engine.ts';

const run = promisify(execFile);

/** The clusters and their tools, before the engine starts (what a test seeds its workloads with). */
export interface TwoClusters {
  directory: string;
  kubeconfig: string;
  alpha: KubeSim;
  beta: KubeSim;
  kubectl(context: string, ...args: string[]): Promise<string>;
  helm(context: string, ...args: string[]): Promise<string>;
  /** writes `manifest` to `<directory>/<file>` and `kubectl apply -f`s it on each of `contexts`, in order */
  applyOn(contexts: string[], file: string, manifest: string): Promise<void>;
}

export interface TwoClusterEngine extends TwoClusters {
  sim: LlmSim;
  base: string;
  adminToken: string;
  memberToken: string;
  memberId: string;
  api(method: string, pathname: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** POSTs to a streaming route (expects 200) and reads every SSE frame; `raw` is the stream as sent */
  stream(pathname: string, body: unknown, token: string): Promise<{ frames: SseFrame[]; raw: string }>;
  /** closes the engine only, so a test can open its PGlite data dir (`<directory>/data/pglite`) itself */
  closeEngine(): Promise<void>;
  close(): Promise<void>;
}

/** The namespaces both cluster tests seed: `shop` (the scoped member's) and `payments` (outside their scope). */
export const shopAndPaymentsNamespaces = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: payments}
`;

/** A Deployment `name` in `namespace` of one nginx:1.27 container named like it, labelled app=`name`. */
export const deploymentIn = (namespace: string, name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: ${name}, image: nginx:1.27}]}
`;

export const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);

/**
 * Starts both kube-sims, writes the kubeconfig, lets `seed` put workloads in them, then starts llm-sim and the engine,
 * registers admin@example.test and adds the member shop@example.test.
 */
export async function startTwoClusterEngine(options: { prefix: string; seed(clusters: TwoClusters): Promise<void>; /** more engine environment (APPROVAL_POLICY…) */ env?: Record<string, string> }): Promise<TwoClusterEngine> {
  const directory = await mkdtemp(path.join(tmpdir(), options.prefix));
  const kubeconfig = path.join(directory, 'kubeconfig');
  const alpha = await startKubeSim({ port: 0 });
  const beta = await startKubeSim({ port: 0 });
  // One kubeconfig, two contexts (JSON is YAML): alpha is the current context.
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'alpha',
      clusters: [
        { name: 'alpha', cluster: { server: alpha.url, 'insecure-skip-tls-verify': true } },
        { name: 'beta', cluster: { server: beta.url, 'insecure-skip-tls-verify': true } },
      ],
      users: [
        { name: 'alpha-admin', user: { token: alpha.adminToken } },
        { name: 'beta-admin', user: { token: beta.adminToken } },
      ],
      contexts: [
        { name: 'alpha', context: { cluster: 'alpha', user: 'alpha-admin', namespace: 'default' } },
        { name: 'beta', context: { cluster: 'beta', user: 'beta-admin', namespace: 'default' } },
      ],
    }),
    { mode: 0o600 },
  );
  // kubectl and helm keep their caches in the test's directory, not the user's home
  const kubeEnv = () => ({ ...process.env, KUBECACHEDIR: path.join(directory, 'cache'), HELM_CACHE_HOME: path.join(directory, 'helm-cache'), HELM_CONFIG_HOME: path.join(directory, 'helm-config'), HELM_DATA_HOME: path.join(directory, 'helm-data') });
  const clusters: TwoClusters = {
    directory,
    kubeconfig,
    alpha,
    beta,
    kubectl: async (context, ...args) => (await run(kubectlPath, ['--kubeconfig', kubeconfig, '--context', context, ...args], { env: kubeEnv() })).stdout.trim(),
    helm: async (context, ...args) => (await run(helmPath, [...args, '--kubeconfig', kubeconfig, '--kube-context', context], { env: kubeEnv() })).stdout.trim(),
    async applyOn(contexts, file, manifest) {
      await writeFile(path.join(directory, file), manifest);
      for (const context of contexts) await clusters.kubectl(context, 'apply', '-f', path.join(directory, file));
    },
  };
  let sim: LlmSim | undefined;
  let engine: Engine | undefined;
  const close = async () => {
    await engine?.close();
    engine = undefined;
    await alpha.close();
    await beta.close();
    await sim?.close();
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await options.seed(clusters);
    sim = await startLlmSim({ port: 0 });
    engine = await createEngine(
      loadConfig({ PORT: '0', SKYFLO_DATA_DIR: path.join(directory, 'data'), KUBECONFIG: kubeconfig, LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: sim.url, LLM_RETRY_BASE_DELAY_MS: '1', LOG_LEVEL: 'silent', ...options.env }),
      { logger: false, passwordHasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1 }) },
    );
    const base = await engine.listen();
    const api: TwoClusterEngine['api'] = async (method, pathname, token, body) => {
      const response = await fetch(`${base}/api/v1${pathname}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    const login = async (email: string) => {
      const response = await fetch(`${base}/api/v1/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: email, password: testPassword }) });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const registered = await fetch(`${base}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.test', password: testPassword }) });
    expect(registered.status).toBe(201);
    const adminToken = await login('admin@example.test');
    const member = await api('POST', '/team/members', adminToken, { email: 'shop@example.test', role: 'member', password: testPassword });
    expect(member.status).toBe(201);
    return {
      ...clusters,
      sim,
      base,
      adminToken,
      memberToken: await login('shop@example.test'),
      memberId: String(member.json['id']),
      api,
      async stream(pathname, body, token) {
        const response = await fetch(`${base}/api/v1${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
        const raw = await response.clone().text();
        expect(response.status, raw).toBe(200);
        return { frames: await readSse(response), raw };
      },
      async closeEngine() {
        await engine?.close();
        engine = undefined;
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
