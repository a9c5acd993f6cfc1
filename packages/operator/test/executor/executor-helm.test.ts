import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { helmPath } from '@skyflo/testkit/tools';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalWebhookConfiguration, contentHash, type RunningExecutor } from '../../src/executor/index.ts';
import { installNamespace, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';

/*
 * The real helm, run with nothing but an approval's credential: the install the human approved (each object of the
 * rendered manifest with its dry-run content, and the release's storage Secret) goes through; the same release with
 * another value does not.
 */

let h: ExecutorHarness;
let executor: RunningExecutor;
let chart: string;

beforeAll(async () => {
  h = await startExecutorHarness();
  executor = await h.startExecutor();
  await h.kubectl(['apply', '-f', '-'], JSON.stringify(approvalWebhookConfiguration({ namespace: installNamespace, url: executor.webhookUrl })));
  chart = path.join(h.harness.directory, 'shop');
  mkdirSync(path.join(chart, 'templates'), { recursive: true });
  writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: shop\nversion: 0.1.0\n');
  writeFileSync(path.join(chart, 'values.yaml'), 'mode: safe\n');
  writeFileSync(path.join(chart, 'templates', 'config.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\ndata:\n  mode: {{ .Values.mode | quote }}\n');
});

afterAll(async () => {
  await h?.close();
});

function helm(token: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = path.join(h.harness.directory, 'helm-home');
  const kubeconfig = path.join(h.harness.directory, `helm-${Math.random().toString(16).slice(2)}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'token',
      clusters: [{ name: 'sim', cluster: { server: h.harness.sim.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'token', user: { token } }],
      contexts: [{ name: 'token', context: { cluster: 'sim', user: 'token' } }],
    }),
    { mode: 0o600 },
  );
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') };
  return new Promise((resolve) => {
    execFile(helmPath, [...args, '--kubeconfig', kubeconfig], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

/** What the engine's preview computes: the object helm will create (with helm's ownership metadata), dry-run on the server. */
async function helmObjectHash(mode: string): Promise<string> {
  const object = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'shop-config', namespace: 'staging', labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': 'shop', 'meta.helm.sh/release-namespace': 'staging' } },
    data: { mode },
  };
  return contentHash(JSON.parse(await h.kubectl(['create', '-f', '-', '--dry-run=server', '-o', 'json'], JSON.stringify(object))));
}

describe('helm with a per-approval credential', () => {
  it('installs the approved release as the approval account, and refuses the release with another value', async () => {
    const access = async (mode: string) => [
      { apiGroup: '', resource: 'configmaps', namespace: 'staging', name: 'shop-config', verbs: ['create' as const], contentHash: await helmObjectHash(mode) },
      { apiGroup: '', resource: 'secrets', namespace: 'staging', name: 'sh.helm.release.v1.shop.v1', verbs: ['create' as const, 'update' as const, 'patch' as const] },
    ];
    const first = await h.signed('helm-shop-1', await access('safe'));
    await h.api(executor, 'POST', '/v1/approvals', first);
    const firstCredential = await h.api(executor, 'POST', '/v1/approvals/helm-shop-1/credential');
    const refused = await helm(firstCredential.body.token, ['install', 'shop', chart, '--namespace', 'staging', '--set', 'mode=unsafe']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('differs from the dry-run approved in SkyfloApproval "helm-shop-1"');
    expect(await h.kubectl(['get', 'configmap', 'shop-config', '-n', 'staging', '--ignore-not-found', '-o', 'name'])).toBe('');
    await h.api(executor, 'DELETE', '/v1/approvals/helm-shop-1/credential');
    // helm recorded the failed release before the refused write; a new approval starts clean
    await h.kubectl(['delete', 'secret', '-n', 'staging', '-l', 'owner=helm,name=shop', '--ignore-not-found']);

    const approved = await h.signed('helm-shop-2', await access('safe'));
    await h.api(executor, 'POST', '/v1/approvals', approved);
    const second = await h.api(executor, 'POST', '/v1/approvals/helm-shop-2/credential');
    const mark = h.harness.sim.calls.at(-1)!.sequence;
    const installed = await helm(second.body.token, ['install', 'shop', chart, '--namespace', 'staging']);
    expect(installed.stderr).toBe('');
    expect(installed.stdout).toContain('STATUS: deployed');
    expect(await h.kubectl(['get', 'configmap', 'shop-config', '-n', 'staging', '-o', 'jsonpath={.data.mode}'])).toBe('safe');
    // Every write of the install: the release Secret and the ConfigMap, all by the approval's account.
    const writes = h.harness.sim.calls.filter((call) => call.sequence > mark && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(call.method));
    expect(writes.map((call) => `${call.method} ${call.path} ${call.status}`)).toEqual([
      'POST /api/v1/namespaces/staging/secrets 201',
      'POST /api/v1/namespaces/staging/configmaps 201',
      'PUT /api/v1/namespaces/staging/secrets/sh.helm.release.v1.shop.v1 200',
    ]);
    expect(new Set(writes.map((call) => call.user))).toEqual(new Set(['system:serviceaccount:skyflo:skyflo-approval-helm-shop-2']));
    expect((await h.api(executor, 'DELETE', '/v1/approvals/helm-shop-2/credential')).status).toBe(204);
  });
});
