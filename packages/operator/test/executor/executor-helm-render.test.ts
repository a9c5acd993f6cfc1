import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { helmPath } from '@skyflo/testkit/tools';
import { manifestDigestOf, previewHash } from '@skyflo/protocol/approval-hashes';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalWebhookConfiguration, type RunningExecutor } from '../../src/executor/index.ts';
import { callerToken, dryRunToken, installNamespace, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';

/*
 * Issue 73 item 6: POST /v1/helm/render — a Helm preview rendered by the executor with its own identity (the MCP
 * server's may not read the release's storage Secrets on an enforcing cluster). Only the MCP server's dry-run token
 * opens it; its answer holds no Secret value although the chart renders a Secret; the digest it answers is the
 * unredacted manifest's; and the approval of that preview mints a credential the real helm upgrades with, from the
 * executor's own render (the engine sends no manifest).
 */

let h: ExecutorHarness;
let executor: RunningExecutor;
let chart: string;
let archive: string;
const firstSecret = 'first-s3cret-value';
const secondSecret = 'second-s3cret-value';

function helm(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = path.join(h.harness.directory, 'helm-home');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') };
  return new Promise((resolve) => {
    const child = execFile(helmPath, args, { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
    child.stdin?.end(stdin ?? '');
  });
}

/** helm as the cluster's admin (kube-sim's own kubeconfig) */
const adminKubeconfig = () => ['--kubeconfig', path.join(h.harness.directory, 'kubeconfig')];

beforeAll(async () => {
  h = await startExecutorHarness();
  executor = await h.startExecutor({ helmPath });
  chart = path.join(h.harness.directory, 'vault');
  mkdirSync(path.join(chart, 'templates'), { recursive: true });
  writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: vault\nversion: 0.1.0\n');
  writeFileSync(path.join(chart, 'values.yaml'), 'mode: safe\npassword: changeme\n');
  writeFileSync(path.join(chart, 'templates', 'config.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vault-config\ndata:\n  mode: {{ .Values.mode | quote }}\n');
  writeFileSync(path.join(chart, 'templates', 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: vault-credentials\ntype: Opaque\ndata:\n  password: {{ .Values.password | b64enc | quote }}\nstringData:\n  note: |\n    the password is {{ .Values.password }}\n');
  const packaged = await helm(['package', chart, '--destination', h.harness.directory]);
  expect(packaged.code, packaged.stderr).toBe(0);
  archive = readFileSync(path.join(h.harness.directory, 'vault-0.1.0.tgz')).toString('base64');
  // the release as someone installed it before (revision 1), with a password the MCP server must never see
  const installed = await helm(['install', 'vault', chart, '--namespace', 'staging', '--set', `password=${firstSecret}`, ...adminKubeconfig()]);
  expect(installed.code, installed.stderr).toBe(0);
  await h.kubectl(['apply', '-f', '-'], JSON.stringify(approvalWebhookConfiguration({ namespace: installNamespace, url: executor.webhookUrl })));
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** A one-template chart packaged by the real helm, as the base64 archive the MCP server sends (what an attacker's chart looks like). */
async function chartArchive(name: string, template: string, text: string): Promise<string> {
  const directory = path.join(h.harness.directory, name);
  mkdirSync(path.join(directory, 'templates'), { recursive: true });
  writeFileSync(path.join(directory, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
  writeFileSync(path.join(directory, 'templates', template), text);
  const packaged = await helm(['package', directory, '--destination', h.harness.directory]);
  expect(packaged.code, packaged.stderr).toBe(0);
  return readFileSync(path.join(h.harness.directory, `${name}-0.1.0.tgz`)).toString('base64');
}

const upgradeRequest = { release: 'vault', namespace: 'staging', values: `mode: v2\npassword: ${secondSecret}\n` };
const render = (body: unknown, token = dryRunToken, on = executor) => h.api(on, 'POST', '/v1/helm/render', body, token);
const containsSecret = (text: string) => [firstSecret, secondSecret].some((secret) => text.includes(secret) || text.includes(Buffer.from(secret).toString('base64')));

describe('POST /v1/helm/render', () => {
  it("opens to the MCP server's dry-run token only, and for its namespaces and release names only", async () => {
    expect(await render({ ...upgradeRequest, chart: { archive } }, '')).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    expect(await render({ ...upgradeRequest, chart: { archive } }, callerToken)).toMatchObject({ status: 403, body: { code: 'UNAUTHORIZED', message: expect.stringContaining('SKYFLO_DRY_RUN_TOKEN') } });
    expect(await render({ release: 'Vault_1', namespace: 'staging' })).toMatchObject({ status: 400, body: { code: 'INVALID', message: expect.stringContaining('release') } });
    expect(await render({ release: 'vault', namespace: 'staging', extra: true })).toMatchObject({ status: 400, body: { code: 'INVALID' } });
    const stagingOnly = await h.startExecutor({ helmPath, allowedNamespaces: ['staging'] });
    expect(await render({ release: 'web', namespace: 'prod' }, dryRunToken, stagingOnly)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', message: expect.stringContaining('staging') } });
    const noHelm = await h.startExecutor();
    expect(await render({ release: 'vault', namespace: 'staging' }, dryRunToken, noHelm)).toMatchObject({ status: 422, body: { code: 'UNSUPPORTED', message: expect.stringContaining('SKYFLO_EXECUTOR_HELM_PATH') } });
  }, 60_000);

  it('renders an upgrade of the installed release without a Secret value, digesting the unredacted manifest', async () => {
    const answer = await render({ ...upgradeRequest, chart: { archive } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(containsSecret(JSON.stringify(answer.body))).toBe(false);
    expect(answer.body).toMatchObject({ release: 'vault', namespace: 'staging', exists: true, version: 2, history: [{ revision: 1, status: 'deployed' }], storage: { create: 2, update: [1], delete: [] } });
    expect(answer.body.live_manifest).toContain('mode: "safe"');
    expect(answer.body.manifest).toContain('mode: "v2"');
    // the Secret keeps its keys, never its values
    expect(answer.body.manifest).toMatch(/password: <redacted>\n/);
    expect(answer.body.manifest).toMatch(/note: <redacted>\n/);
    // the same upgrade rendered by the admin's helm: its full manifest (Secret values in clear) has the answered digest
    const full = await helm(['upgrade', 'vault', chart, '--install', '--dry-run=server', '--output', 'json', '--namespace', 'staging', '-f', '-', ...adminKubeconfig()], upgradeRequest.values);
    expect(full.code, full.stderr).toBe(0);
    const manifest = (JSON.parse(full.stdout) as { manifest: string }).manifest;
    expect(manifest).toContain(secondSecret);
    expect(answer.body.manifest_digest).toBe(manifestDigestOf(manifest));
    // the release alone (an uninstall's preview, the verification's status, the undo baseline): nothing proposed
    const releaseOnly = await render({ release: 'vault', namespace: 'staging' });
    expect(releaseOnly).toMatchObject({ status: 200, body: { exists: true, history: [{ revision: 1, status: 'deployed', chart: 'vault-0.1.0' }] } });
    expect(releaseOnly.body).not.toHaveProperty('manifest');
    expect(releaseOnly.body).not.toHaveProperty('manifest_digest');
    expect(containsSecret(JSON.stringify(releaseOnly.body))).toBe(false);
  }, 60_000);

  it("renders a chart's lookup of the release namespace's Secret as nothing (client-side), so no value reaches the answer", async () => {
    await h.kubectl(['create', 'secret', 'generic', 'db-credentials', '-n', 'staging', '--from-literal=password=lookup-s3cret-value']);
    const copier = await chartArchive('copier', 'copy.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: copied\ndata:\n  password: {{ ((lookup "v1" "Secret" .Release.Namespace "db-credentials").data | default dict).password | default "" | b64dec | quote }}\n');
    const answer = await render({ release: 'copier', namespace: 'staging', chart: { archive: copier } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ exists: false, live_manifest: '', history: [], storage: { create: 1, update: [], delete: [] } });
    expect(answer.body.manifest).toContain('password: ""');
    expect(JSON.stringify(answer.body)).not.toContain('lookup-s3cret-value');
  }, 60_000);

  it("never runs a chart's lookup as the executor: a Secret of another namespace stays out of the answer, however the template spells it", async () => {
    // the attack: a taken-over MCP server sends a chart whose templates look up any Secret and print it, transformed so
    // that no value redaction recognises it
    await h.kubectl(['create', 'namespace', 'payments']);
    await h.kubectl(['create', 'secret', 'generic', 'db-creds', '-n', 'payments', '--from-literal=password=payments-s3cret-value']);
    const thief = await chartArchive('thief', 'leak.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  plain: {{ ((lookup "v1" "Secret" "payments" "db-creds").data | default dict).password | default "" | b64dec | quote }}\n  upper: {{ ((lookup "v1" "Secret" "payments" "db-creds").data | default dict).password | default "" | b64dec | upper | quote }}\n  listed: {{ ((lookup "v1" "Secret" "payments" "").items | default list) | len | quote }}\n');
    const answer = await render({ release: 'thief', namespace: 'staging', chart: { archive: thief } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const body = JSON.stringify(answer.body);
    expect(body).not.toContain('payments-s3cret-value');
    expect(body).not.toContain('PAYMENTS-S3CRET-VALUE');
    // the lookups answered nothing at all
    expect(answer.body.manifest).toContain('plain: ""');
    expect(answer.body.manifest).toContain('listed: "0"');
  }, 60_000);

  it("never answers the values a release was installed with, even to a chart that prints them all with reuse_values", async () => {
    const printer = await chartArchive('printer', 'all.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vault-values\ndata:\n  all: {{ toYaml .Values | quote }}\n');
    const answer = await render({ release: 'vault', namespace: 'staging', reuse_values: true, chart: { archive: printer } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    // the values were rendered (the chart printed them), the stored password was not answered
    expect(answer.body.manifest).toContain('password: <redacted>');
    expect(containsSecret(JSON.stringify(answer.body))).toBe(false);
  }, 60_000);

  it("mints the approved upgrade from its own render when the engine sends no manifest, and helm writes exactly it", async () => {
    const answer = await render({ ...upgradeRequest, chart: { archive } });
    const call = { tool: 'helm_upgrade', args: { release_name: 'vault', chart, namespace: 'staging', values: upgradeRequest.values }, callId: 'render-upgrade-1' };
    const previewText = 'Manifest diff: 3 line(s) added, 3 line(s) removed.';
    // an approval of a preview this executor never rendered (another digest) mints nothing
    const unknown = { ...call, callId: 'render-upgrade-unknown' };
    const unknownDocument = await h.signed(unknown, { spec: { diffHash: previewHash(previewText, manifestDigestOf('kind: ConfigMap\n')) } });
    await h.api(executor, 'POST', '/v1/approvals', unknownDocument);
    const refused = await h.mint(executor, unknownDocument, unknown.args, { liveManifest: answer.body.live_manifest, previewText, storage: answer.body.storage });
    expect(refused).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED', message: expect.stringContaining('preview again') } });

    const document = await h.signed(call, { spec: { diffHash: previewHash(previewText, answer.body.manifest_digest) } });
    expect((await h.api(executor, 'POST', '/v1/approvals', document)).status).toBe(201);
    // what the engine sends on an enforcing cluster: the (redacted) live manifest and the preview text, no manifest
    const minted = await h.mint(executor, document, call.args, { liveManifest: answer.body.live_manifest, previewText, storage: { create: 2, update: [], delete: [] } });
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    expect(minted.body.access.map((entry: { resource: string; name: string; verbs: string[] }) => `${entry.verbs.join('/')} ${entry.resource} ${entry.name}`)).toEqual([
      'patch/update secrets vault-credentials',
      'patch/update configmaps vault-config',
      // the executor's own storage plan (the request's named no update of revision 1)
      'create/update/patch secrets sh.helm.release.v1.vault.v2',
      'update/patch secrets sh.helm.release.v1.vault.v1',
    ]);
    // the real helm with nothing but the approval's credential
    const kubeconfig = path.join(h.harness.directory, 'approval.kubeconfig');
    writeFileSync(kubeconfig, toYaml({ apiVersion: 'v1', kind: 'Config', 'current-context': 'token', clusters: [{ name: 'sim', cluster: { server: h.harness.sim.url, 'insecure-skip-tls-verify': true } }], users: [{ name: 'token', user: { token: minted.body.token } }], contexts: [{ name: 'token', context: { cluster: 'sim', user: 'token' } }] }), { mode: 0o600 });
    const upgraded = await helm(['upgrade', 'vault', chart, '--namespace', 'staging', '-f', '-', '--kubeconfig', kubeconfig], upgradeRequest.values);
    expect(upgraded.stderr).toBe('');
    expect(await h.kubectl(['get', 'configmap', 'vault-config', '-n', 'staging', '-o', 'jsonpath={.data.mode}'])).toBe('v2');
    expect(Buffer.from(await h.kubectl(['get', 'secret', 'vault-credentials', '-n', 'staging', '-o', 'jsonpath={.data.password}']), 'base64').toString()).toBe(secondSecret);
  }, 120_000);
});
