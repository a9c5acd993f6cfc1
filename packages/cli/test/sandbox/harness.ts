/**
 * The sandbox as `skyflo sandbox` builds it, for the tests of this capability: simulated clusters that enforce
 * approvals (TLS, an identity per role, the executor and its webhook), and an engine whose settings are handed over as
 * configuration — never this process's environment — with a newcomer registered and signed in. `env` adds the model's
 * settings (llm-sim's, or the demo model's) and anything else the test needs.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createEngine, loadConfig, type Engine } from '@skyflo/engine';
import { kubectlPath } from '@skyflo/testkit/tools';
import { expect } from 'vitest';
import { sandboxIdentities, startSandboxApprovals, type SandboxApprovals } from '../../src/sandbox-approvals.ts';
import { startSandboxClusters, type SandboxClusters } from '../../src/sandbox-clusters.ts';

const run = promisify(execFile);

/** One server-sent event of a stream, as the engine sent it. */
export interface Frame {
  event: string;
  data: Record<string, any>;
}

export interface SandboxEngine {
  dir: string;
  sandbox: SandboxClusters;
  approvals: SandboxApprovals;
  engine: Engine;
  url: string;
  token: string;
  /** the real kubectl against the sandbox's (first) cluster, as its admin */
  kubectl(...args: string[]): Promise<string>;
  /** POSTs `payload` to `pathname` as the signed-in newcomer and reads the whole event stream */
  stream(pathname: string, payload: unknown): Promise<Frame[]>;
  close(): Promise<void>;
}

export async function startSandboxEngine(env: Record<string, string>): Promise<SandboxEngine> {
  const dir = mkdtempSync(path.join(tmpdir(), 'skyflo-sandbox-'));
  const dataDir = path.join(dir, 'data');
  const identities = sandboxIdentities();
  const sandbox = await startSandboxClusters({ count: 1, kubeconfigPath: path.join(dataDir, 'sandbox.kubeconfig'), users: identities.users, tls: true, webhookToken: identities.admissionToken });
  const approvals = await startSandboxApprovals(sandbox, identities, dataDir);
  const engine = await createEngine(loadConfig({ PORT: '0', SKYFLO_DATA_DIR: dataDir, VERIFY_HOLD_SECONDS: '1', LOG_LEVEL: 'silent', MCP_SERVER_URL: '', ...approvals.env, ...env }), { logger: false });
  const url = await engine.listen();
  const registered = await fetch(`${url}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'newcomer@example.com', password: 'correct-horse-battery' }) });
  expect(registered.status).toBe(201);
  const login = await fetch(`${url}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: 'newcomer@example.com', password: 'correct-horse-battery' }) });
  const token = ((await login.json()) as { access_token: string }).access_token;

  async function stream(pathname: string, payload: unknown): Promise<Frame[]> {
    const response = await fetch(`${url}${pathname}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    expect(response.status, await response.clone().text()).toBe(200);
    const frames: Frame[] = [];
    for (const block of (await response.text()).split('\n\n')) {
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (event && data) frames.push({ event, data: JSON.parse(data) });
    }
    return frames;
  }

  return {
    dir,
    sandbox,
    approvals,
    engine,
    url,
    token,
    kubectl: async (...args) => (await run(kubectlPath, ['--kubeconfig', sandbox.kubeconfigPath, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(dir, 'cache') } })).stdout.trim(),
    stream,
    async close() {
      await engine.close();
      await approvals.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
