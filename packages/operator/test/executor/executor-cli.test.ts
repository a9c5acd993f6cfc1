import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/operator-harness.ts';
import { installNamespace, scaleWeb, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

/* `skyflo executor` as a pod runs it: settings from the environment, clear errors for what is missing. */

let h: ExecutorHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startExecutorHarness();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.close();
});

function skyflo(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [skyfloEntry(), ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: h.harness.directory, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('skyflo executor', () => {
  it('names every missing setting and exits 2', async () => {
    const run = skyflo(['executor'], {});
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('skyflo executor: the install namespace is missing: set --namespace or SKYFLO_EXECUTOR_NAMESPACE');
    expect(run.output()).toContain("the engine's public key is missing: set SKYFLO_ENGINE_PUBLIC_KEYS (PEM) or SKYFLO_ENGINE_PUBLIC_KEYS_FILE");
    expect(run.output()).toContain('the caller token is missing: set SKYFLO_EXECUTOR_TOKEN or SKYFLO_EXECUTOR_TOKEN_FILE');

    const badKeys = skyflo(['executor'], { SKYFLO_EXECUTOR_NAMESPACE: 'skyflo', SKYFLO_ENGINE_PUBLIC_KEYS: 'not a key', SKYFLO_EXECUTOR_TOKEN_FILE: '/nonexistent/token' });
    expect(await badKeys.exited).toBe(2);
    expect(badKeys.output()).toContain('SKYFLO_ENGINE_PUBLIC_KEYS holds no "-----BEGIN PUBLIC KEY-----" block');
    expect(badKeys.output()).toContain('SKYFLO_EXECUTOR_TOKEN_FILE: cannot read /nonexistent/token');
  });

  it('serves the API with its own identity from files, as in its pod', async () => {
    const directory = h.harness.directory;
    const kubeconfig = path.join(directory, 'executor.kubeconfig');
    writeFileSync(
      kubeconfig,
      toYaml({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'executor',
        clusters: [{ name: 'sim', cluster: { server: h.harness.sim.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'executor', user: { token: h.executorToken } }],
        contexts: [{ name: 'executor', context: { cluster: 'sim', user: 'executor' } }],
      }),
    );
    writeFileSync(path.join(directory, 'engine.pub'), h.enginePublicKeyPem);
    writeFileSync(path.join(directory, 'caller-token'), 'token-from-a-file\n');
    // The ClusterRoleBindings an install makes for a cluster-wide executor.
    await h.startExecutor().then((executor) => executor.close());
    const run = skyflo(['executor', '--kubeconfig', kubeconfig], {
      SKYFLO_EXECUTOR_NAMESPACE: installNamespace,
      SKYFLO_ENGINE_PUBLIC_KEYS_FILE: path.join(directory, 'engine.pub'),
      SKYFLO_EXECUTOR_TOKEN_FILE: path.join(directory, 'caller-token'),
      PORT: '0',
    });
    const url = await eventually(async () => /"msg":"executor listening","url":"([^"]+)"/.exec(run.output())?.[1], { what: `the executor to listen: ${run.output()}` });
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    const document = await h.signed(scaleWeb('from-cli-1'));
    const mirrored = await h.api({ url, webhookUrl: '', close: async () => {} }, 'POST', '/v1/approvals', document, 'token-from-a-file');
    expect(mirrored.status).toBe(201);
    expect(await h.kubectl(['get', 'skyfloapproval', document.name, '-n', installNamespace, '-o', 'jsonpath={.status.decision}'])).toBe('approved');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).not.toContain('token-from-a-file');
  });
});
