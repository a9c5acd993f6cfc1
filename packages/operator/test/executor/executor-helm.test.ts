import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { helmPath } from '@skyflo/testkit/tools';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalWebhookConfiguration, type RunningExecutor } from '../../src/executor/index.ts';
import { manifestDigestOf, previewHash } from '@skyflo/protocol/approval-hashes';
import { installNamespace, startExecutorHarness, type ApprovedCall, type ExecutorHarness } from './executor-harness.ts';

/*
 * The real helm, run with nothing but an approval's credential: the install or upgrade the human approved goes through
 * — each object of the approved rendered manifest with the content the executor's own dry-run gives it, and the
 * release's storage Secret holding exactly that manifest (issue 73 item 5) — and the same release with another value,
 * a manifest the approval does not bind, or a forged release record does not.
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

/** What the approved preview of a release rendered: the manifest helm will record, as `helm template` prints it. */
async function rendered(mode: string): Promise<string> {
  const out = await helm('', ['template', 'shop', chart, '--namespace', 'staging', '--set', `mode=${mode}`]);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout;
}

/**
 * The engine's side of an approved Helm call: the approval binds the preview text and the manifest's digest (diffHash),
 * and the credential request sends the manifest itself, the live one and the storage plan (issue 73).
 */
async function approveRelease(call: ApprovedCall, manifest: string, live: string, storage: { create?: number; update: number[]; delete: number[] }) {
  const previewText = `Manifest diff for ${call.callId}`;
  const document = await h.signed(call, { spec: { diffHash: previewHash(previewText, manifestDigestOf(manifest)) } });
  expect((await h.api(executor, 'POST', '/v1/approvals', document)).status).toBe(201);
  const minted = await h.mint(executor, document, call.args, { manifest, liveManifest: live, previewText, storage });
  return { document, minted };
}

const install = (callId: string): ApprovedCall => ({ tool: 'helm_install', args: { release_name: 'shop', chart, namespace: 'staging' }, callId });
const upgrade = (callId: string): ApprovedCall => ({ tool: 'helm_upgrade', args: { release_name: 'shop', chart, namespace: 'staging', values: 'mode: v2\n' }, callId });

/** A storage Secret with a forged release record (what a taken-over MCP server would write with the credential). */
function forgedRecord(revision: number, manifest: string) {
  const release = Buffer.from(gzipSync(JSON.stringify({ name: 'shop', namespace: 'staging', version: revision, manifest, info: { status: 'deployed' } })).toString('base64')).toString('base64');
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: `sh.helm.release.v1.shop.v${revision}`, namespace: 'staging', labels: { owner: 'helm', name: 'shop', version: String(revision), status: 'deployed' } }, type: 'helm.sh/release.v1', data: { release } };
}

describe('helm with a per-approval credential', () => {
  it('installs the approved release as the approval account, and refuses the release with another value', async () => {
    const safe = await rendered('safe');
    const first = await approveRelease(install('helm-shop-1'), safe, '', { create: 1, update: [], delete: [] });
    expect(first.minted.status, JSON.stringify(first.minted.body)).toBe(200);
    // what the executor computed from the manifest: the object (its own dry-run's content) and the release's storage
    expect(first.minted.body.access.map((entry: { resource: string; name: string; verbs: string[] }) => `${entry.verbs.join('/')} ${entry.resource} ${entry.name}`)).toEqual([
      'create configmaps shop-config',
      'create/update/patch secrets sh.helm.release.v1.shop.v1',
    ]);
    const refused = await helm(first.minted.body.token, ['install', 'shop', chart, '--namespace', 'staging', '--set', 'mode=unsafe']);
    expect(refused.code).not.toBe(0);
    // helm records the release first: a record of another manifest than the approved one is refused already
    expect(refused.stderr).toContain(`carries another manifest than the one approved in SkyfloApproval "${first.document.name}"`);
    expect(await h.kubectl(['get', 'configmap', 'shop-config', '-n', 'staging', '--ignore-not-found', '-o', 'name'])).toBe('');
    await h.api(executor, 'DELETE', `/v1/approvals/${first.document.name}/credential`);
    await h.kubectl(['delete', 'secret', '-n', 'staging', '-l', 'owner=helm,name=shop', '--ignore-not-found']);

    // a manifest that is not the one the approved preview digested mints nothing
    const swapped = await approveRelease(install('helm-shop-swapped'), safe, '', { create: 1, update: [], delete: [] });
    expect(swapped.minted.status).toBe(200);
    await h.api(executor, 'DELETE', `/v1/approvals/${swapped.document.name}/credential`);
    const tampered = install('helm-shop-tampered');
    const tamperedDocument = await h.signed(tampered, { spec: { diffHash: previewHash('Manifest diff', manifestDigestOf(safe)) } });
    await h.api(executor, 'POST', '/v1/approvals', tamperedDocument);
    const notApproved = await h.mint(executor, tamperedDocument, tampered.args, { manifest: await rendered('unsafe'), liveManifest: '', previewText: 'Manifest diff', storage: { create: 1, update: [], delete: [] } });
    expect(notApproved).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED', message: expect.stringContaining('is not the one the approved preview rendered') } });

    const approved = await approveRelease(install('helm-shop-2'), safe, '', { create: 1, update: [], delete: [] });
    const mark = h.harness.sim.calls.at(-1)!.sequence;
    const installed = await helm(approved.minted.body.token, ['install', 'shop', chart, '--namespace', 'staging']);
    expect(installed.stderr).toBe('');
    expect(installed.stdout).toContain('STATUS: deployed');
    expect(await h.kubectl(['get', 'configmap', 'shop-config', '-n', 'staging', '-o', 'jsonpath={.data.mode}'])).toBe('safe');
    // Every write of the install: the release Secret and the ConfigMap, all by the approval's account.
    const writes = h.harness.sim.calls.filter((call) => call.sequence > mark && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(call.method) && !call.query.dryRun);
    expect(writes.map((call) => `${call.method} ${call.path} ${call.status}`)).toEqual([
      'POST /api/v1/namespaces/staging/secrets 201',
      'POST /api/v1/namespaces/staging/configmaps 201',
      'PUT /api/v1/namespaces/staging/secrets/sh.helm.release.v1.shop.v1 200',
    ]);
    expect(new Set(writes.map((call) => call.user))).toEqual(new Set([`system:serviceaccount:skyflo:skyflo-approval-${approved.document.name}`]));
    expect((await h.api(executor, 'DELETE', `/v1/approvals/${approved.document.name}/credential`)).status).toBe(204);
  });

  it('upgrades an existing release to exactly the approved manifest: no other content, no forged release record', async () => {
    const live = await rendered('safe');
    const next = await rendered('v2');
    const { document, minted } = await approveRelease(upgrade('helm-shop-3'), next, live, { create: 2, update: [1], delete: [] });
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    const token: string = minted.body.token;
    // the existing ConfigMap: granted with the content of the manifest merged over it (the executor's dry-run)
    expect(minted.body.access).toContainEqual(expect.objectContaining({ resource: 'configmaps', name: 'shop-config', verbs: ['patch', 'update'], contentHash: expect.any(String) }));
    // a write with other content than the approved manifest's, through the object or a forged release record
    const otherValue = await h.kubectlAs(token, ['patch', 'configmap', 'shop-config', '-n', 'staging', '--type=merge', '-p', '{"data":{"mode":"privileged"}}']);
    expect(otherValue.stderr).toContain('differs from the dry-run approved');
    const forged = await h.kubectlAs(token, ['create', '-f', '-'], JSON.stringify(forgedRecord(2, next.replace('v2', 'privileged'))));
    expect(forged.stderr).toContain('carries another manifest than the one approved');
    expect((await h.kubectlAs(token, ['create', '-f', '-'], JSON.stringify(forgedRecord(7, next)))).stderr).toContain('does not cover CREATE of secrets staging/sh.helm.release.v1.shop.v7');
    // the approved upgrade, by helm, goes through
    const upgraded = await helm(token, ['upgrade', 'shop', chart, '--namespace', 'staging', '--set', 'mode=v2']);
    expect(upgraded.stderr).toBe('');
    expect(await h.kubectl(['get', 'configmap', 'shop-config', '-n', 'staging', '-o', 'jsonpath={.data.mode}'])).toBe('v2');
    expect(await h.kubectl(['get', 'secrets', '-n', 'staging', '-l', 'owner=helm,name=shop', '-o', 'jsonpath={.items[*].metadata.labels.status}'])).toBe('superseded deployed');
    await h.api(executor, 'DELETE', `/v1/approvals/${document.name}/credential`);
  });
});
