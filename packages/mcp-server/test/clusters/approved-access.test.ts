/**
 * Issue 34: a write tool's preview reports `access` — the objects the call writes, its verbs and, for the approved
 * content, contentHash = sha256(canonicalJson(normaliseForAdmission(dry-run object))). What makes it worth anything is
 * that the API server's admission sees exactly that content when the real tool runs: a validating webhook on loopback
 * (what the executor serves) records every write's normalised hash, and the real k8s_scale and the real helm install
 * must write objects whose hashes are the previewed ones.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, normaliseForAdmission, type ApprovedAccess } from '@skyflo/protocol';
import { chartsDir, createHelmHome, demoChartDir, type HelmTestEnv } from '../support/helm-test-env.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';

interface Seen {
  operation: string;
  resource: string;
  subResource?: string;
  namespace?: string;
  name: string;
  dryRun: boolean;
  hash?: string;
}

let harness: KubeHarness;
let helmHome: HelmTestEnv;
let deps: ToolDeps;
let webhook: http.Server;
const seen: Seen[] = [];

beforeAll(async () => {
  webhook = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const admission = review.request;
      seen.push({
        operation: admission.operation,
        resource: `${admission.resource.group ? `${admission.resource.group}/` : ''}${admission.resource.resource}`,
        ...(admission.subResource ? { subResource: admission.subResource } : {}),
        ...(admission.namespace ? { namespace: admission.namespace } : {}),
        name: admission.name,
        dryRun: admission.dryRun === true,
        ...(admission.object ? { hash: createHash('sha256').update(canonicalJson(normaliseForAdmission(admission.object))).digest('hex') } : {}),
      });
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: admission.uid, allowed: true } }));
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  harness = await startKubeHarness();
  helmHome = await createHelmHome();
  deps = harness.depsWith({ helmEnv: helmHome.helmEnv, helmChartDirs: [chartsDir] });
  const created = await harness.call('k8s_apply', {
    content: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: main, image: "nginx:1.27"}]}\n',
  });
  expect(created.isError, created.text).toBeFalsy();
  const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/validate`;
  const registered = await harness.call('k8s_apply', {
    content: [
      'apiVersion: admissionregistration.k8s.io/v1',
      'kind: ValidatingWebhookConfiguration',
      'metadata: {name: record-writes}',
      'webhooks:',
      '- name: record.skyflo.test',
      `  clientConfig: {url: "${url}"}`,
      '  rules: [{operations: [CREATE, UPDATE], apiGroups: ["*"], apiVersions: ["*"], resources: ["*", "*/scale"]}]',
      '  sideEffects: None',
      '  admissionReviewVersions: [v1]',
      '  failurePolicy: Fail',
      '',
    ].join('\n'),
  });
  expect(registered.isError, registered.text).toBeFalsy();
});

afterAll(async () => {
  await harness?.close();
  await helmHome?.cleanup();
  await new Promise((resolve) => webhook?.close(resolve));
});

const preview = async (tool: string, args: Record<string, unknown>): Promise<ApprovedAccess[]> => {
  const result = await harness.call('preview_tool_call', { tool, arguments: args }, deps);
  expect(result.isError, result.text).toBeFalsy();
  return (result.structured?.['access'] ?? []) as ApprovedAccess[];
};

/** What admission was asked, each distinct request once. */
const distinct = (entries: Seen[]): Seen[] => [...new Map(entries.map((entry) => [JSON.stringify(entry), entry])).values()];

describe('the preview binds what admission sees', () => {
  it('k8s_scale: the deployment\'s scale subresource, patch, and the Scale the real call writes', async () => {
    const access = await preview('k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 4 });
    expect(access).toEqual([{ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'default', name: 'web', verbs: ['patch'], contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    seen.length = 0;
    const scaled = await harness.call('k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 4 }, deps);
    expect(scaled.isError, scaled.text).toBeFalsy();
    // Distinct writes: a write that raced the deployment controller (its status as pods start) is applied and admitted
    // again, as the real API server does (kube-sim's unconditional-writes.ts), with the same content.
    const writes = distinct(seen.filter((entry) => !entry.dryRun));
    expect(writes).toEqual([{ operation: 'UPDATE', resource: 'apps/deployments', subResource: 'scale', namespace: 'default', name: 'web', dryRun: false, hash: access[0]!.contentHash }]);
    // another replica count is another content: the webhook would refuse it
    const other = await preview('k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 5 });
    expect(other[0]!.contentHash).not.toBe(access[0]!.contentHash);
  });

  it('k8s_patch and k8s_delete: the object, its verb, the patched content (none for a delete)', async () => {
    const patch = '{"metadata":{"labels":{"tier":"front"}}}';
    const access = await preview('k8s_patch', { name: 'web', resource_type: 'deployment', patch, patch_type: 'merge' });
    expect(access).toEqual([{ apiGroup: 'apps', resource: 'deployments', namespace: 'default', name: 'web', verbs: ['patch'], contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    seen.length = 0;
    const patched = await harness.call('k8s_patch', { name: 'web', resource_type: 'deployment', patch, patch_type: 'merge' }, deps);
    expect(patched.isError, patched.text).toBeFalsy();
    expect(distinct(seen.filter((entry) => !entry.dryRun)).map((entry) => entry.hash)).toEqual([access[0]!.contentHash]);
    expect(await preview('k8s_delete', { name: 'web', resource_type: 'deployment' })).toEqual([{ apiGroup: 'apps', resource: 'deployments', namespace: 'default', name: 'web', verbs: ['delete'] }]);
  });

  it('helm install into a new namespace: its creation is part of the access', async () => {
    const access = await preview('helm_install', { release_name: 'other', chart: demoChartDir, namespace: 'fresh', create_namespace: true, wait: false });
    expect(access).toContainEqual({ apiGroup: '', resource: 'namespaces', name: 'fresh', verbs: ['create'] });
    expect(access).toContainEqual(expect.objectContaining({ apiGroup: 'apps', resource: 'deployments', namespace: 'fresh', name: 'other-web', verbs: ['create'] }));
  });

  it('helm install: every object of the rendered manifest, created with the previewed content, and the release Secret', async () => {
    expect((await harness.call('k8s_apply', { content: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: store}\n' })).isError).toBeFalsy();
    const args = { release_name: 'shop', chart: demoChartDir, namespace: 'store', create_namespace: true, wait: false };
    const resolved = await harness.call('preview_tool_call', { tool: 'helm_install', arguments: args }, deps);
    expect(resolved.isError, resolved.text).toBeFalsy();
    const access = (resolved.structured?.['access'] ?? []) as ApprovedAccess[];
    const objects = access.filter((entry) => entry.resource !== 'secrets' || !entry.name.startsWith('sh.helm.release.'));
    expect(objects.map((entry) => `${entry.apiGroup}/${entry.resource} ${entry.namespace}/${entry.name} ${entry.verbs.join(',')}`).sort()).toEqual(
      expect.arrayContaining(['/configmaps store/shop-config create', '/services store/shop-web create', 'apps/deployments store/shop-web create']),
    );
    expect(objects.every((entry) => entry.contentHash)).toBe(true);
    expect(access).toContainEqual({ apiGroup: '', resource: 'secrets', namespace: 'store', name: 'sh.helm.release.v1.shop.v1', verbs: ['create', 'update', 'patch'] });
    seen.length = 0;
    const resolvedArgs = (resolved.structured as { resolved_arguments?: Record<string, unknown> } | undefined)?.resolved_arguments ?? args;
    const installed = await harness.call('helm_install', resolvedArgs, deps);
    expect(installed.isError, installed.text).toBeFalsy();
    const created = seen.filter((entry) => !entry.dryRun && entry.operation === 'CREATE' && entry.namespace === 'store' && !entry.name.startsWith('sh.helm.release.'));
    expect(created.length).toBe(objects.length);
    for (const entry of objects) {
      const write = created.find((candidate) => candidate.name === entry.name && candidate.resource === `${entry.apiGroup ? `${entry.apiGroup}/` : ''}${entry.resource}`);
      expect(write?.hash, `${entry.resource} ${entry.name}`).toBe(entry.contentHash);
    }
  });
});
