import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/kube-sim/cluster-types.ts';
import { conflictRetries } from '../src/kube-sim/http/unconditional-writes.ts';
import { startHarness, type KubeSimHarness } from './support/kube-sim-harness.ts';

/*
 * A write racing a controller, as the real API server settles it: a request that names no resourceVersion is applied
 * again to the object as it now is (admission included), one that names a resourceVersion gets 409 Conflict. The race
 * is made on demand: a validating webhook writes the object itself (straight into the store, as a controller updating
 * a status would) while it is asked about the request, i.e. between the server's read and its write. Without this, an
 * approved `k8s_patch` of a deployment whose pods were starting failed at random with 409 "the object has been
 * modified" (packages/mcp-server/test/clusters/approved-access.test.ts in CI), which a real cluster never answers to a patch
 * without a precondition.
 */

let harness: KubeSimHarness;
let webhook: http.Server;
const reviews: any[] = [];
/** objects (`kind/name`) the webhook writes while it is asked about them, and how many more times it does */
const racesLeft = new Map<string, number>();

/** The concurrent write: an annotation counting the races, stored without admission, as a controller's write. */
function raceWith(kind: string, name: string): void {
  const resource = kind === 'Deployment' ? harness.sim.cluster.registry.byResource('apps', 'deployments')! : harness.sim.cluster.registry.byResource('', 'configmaps')!;
  harness.sim.cluster.store.mutate(resource, 'default', name, (object: KubeObject) => {
    const annotations = (object.metadata.annotations ??= {});
    annotations['race.test/writes'] = String(Number(annotations['race.test/writes'] ?? 0) + 1);
  });
}

beforeAll(async () => {
  webhook = http.createServer((request, response) => {
    void text(request).then((body) => {
      const review = JSON.parse(body);
      const { name, dryRun, oldObject } = review.request;
      const kind = oldObject?.kind === 'Scale' ? 'Deployment' : oldObject?.kind;
      const key = `${kind}/${name}`;
      if (!dryRun && (racesLeft.get(key) ?? 0) > 0) {
        racesLeft.set(key, racesLeft.get(key)! - 1);
        raceWith(kind, name);
      }
      reviews.push(review);
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } }));
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  // no controllers: the webhook's write is the only one besides kubectl's
  harness = await startHarness({ workloads: false });
  const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/validate`;
  await ok(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'race' },
      webhooks: [
        {
          name: 'race.test',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          clientConfig: { url },
          rules: [{ operations: ['UPDATE'], apiGroups: ['', 'apps'], apiVersions: ['v1'], resources: ['configmaps', 'deployments', 'deployments/scale'] }],
        },
      ],
    }),
  });
  await ok(['create', 'configmap', 'raced', '--from-literal=mode=old']);
  await ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=1']);
});

afterAll(async () => {
  await harness?.close();
  await new Promise((resolve) => webhook?.close(resolve));
});

/** the sequence number of the last request before the test: its own requests come after */
let callsBefore = 0;
beforeEach(() => {
  reviews.length = 0;
  racesLeft.clear();
  callsBefore = harness.sim.calls.at(-1)?.sequence ?? 0;
});

async function ok(args: string[], options?: { input?: string }): Promise<string> {
  const result = await harness.kubectl(args, options);
  expect(result.stderr, `kubectl ${args.join(' ')}`).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** The API server's answers to kubectl's writes of `path` in this test (kubectl itself retries some of them). */
function writesTo(path: string): Array<{ method: string; status: number }> {
  return harness.sim.calls.filter((call) => call.sequence > callsBefore && call.path === path && ['PUT', 'PATCH'].includes(call.method)).map(({ method, status }) => ({ method, status }));
}

const updates = () => reviews.filter((review) => review.request.operation === 'UPDATE' && !review.request.dryRun);

describe('a write racing another writer of the same object', () => {
  it('a merge patch without a resourceVersion is applied again to the object as the other write left it, admission asked again', async () => {
    racesLeft.set('ConfigMap/raced', 1);
    await ok(['patch', 'configmap', 'raced', '--type=merge', '-p', '{"data":{"mode":"new"}}']);
    expect(writesTo('/api/v1/namespaces/default/configmaps/raced')).toEqual([{ method: 'PATCH', status: 200 }]);
    const stored = JSON.parse(await ok(['get', 'configmap', 'raced', '-o', 'json']));
    expect(stored.data).toEqual({ mode: 'new' });
    expect(stored.metadata.annotations).toEqual({ 'race.test/writes': '1' });
    // the second review is of the object the race left, with the patch applied to it
    expect(updates().map((review) => [review.request.oldObject.metadata.annotations?.['race.test/writes'] ?? null, review.request.object.data.mode])).toEqual([
      [null, 'new'],
      ['1', 'new'],
    ]);
  });

  it('a patch naming the resourceVersion it read gets 409 Conflict when the object moved on, and changes nothing', async () => {
    const version = await ok(['get', 'configmap', 'raced', '-o', 'jsonpath={.metadata.resourceVersion}']);
    racesLeft.set('ConfigMap/raced', 1);
    const refused = await harness.kubectl(['patch', 'configmap', 'raced', '--type=merge', '-p', JSON.stringify({ metadata: { resourceVersion: version }, data: { mode: 'pinned' } })]);
    expect(refused.stderr).toContain('Operation cannot be fulfilled on configmaps "raced": the object has been modified; please apply your changes to the latest version and try again');
    expect(writesTo('/api/v1/namespaces/default/configmaps/raced')).toEqual([{ method: 'PATCH', status: 409 }]);
    expect(updates()).toHaveLength(1);
    expect(await ok(['get', 'configmap', 'raced', '-o', 'jsonpath={.data.mode} {.metadata.annotations.race\\.test/writes}'])).toBe('new 2');
  });

  it('kubectl scale and a server-side apply, which name no resourceVersion, succeed in one request each', async () => {
    racesLeft.set('Deployment/web', 1);
    await ok(['scale', 'deployment', 'web', '--replicas=3']);
    expect(writesTo('/apis/apps/v1/namespaces/default/deployments/web/scale')).toEqual([{ method: 'PATCH', status: 200 }]);
    expect(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas} {.metadata.annotations.race\\.test/writes}'])).toBe('3 1');

    racesLeft.set('Deployment/web', 1);
    const manifest = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: { tier: 'front' } } };
    await ok(['apply', '--server-side', '--field-manager=race-test', '-f', '-'], { input: JSON.stringify(manifest) });
    expect(writesTo('/apis/apps/v1/namespaces/default/deployments/web')).toEqual([{ method: 'PATCH', status: 200 }]);
    expect(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.labels.tier} {.spec.replicas} {.metadata.annotations.race\\.test/writes}'])).toBe('front 3 2');
  });

  it('a PUT without a resourceVersion replaces the object as it now is; one with the version it read gets 409', async () => {
    const replacement = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'raced', namespace: 'default' }, data: { mode: 'replaced' } };
    racesLeft.set('ConfigMap/raced', 1);
    // --raw: kubectl's own replace would first read the object and send its resourceVersion
    await ok(['replace', '--raw', '/api/v1/namespaces/default/configmaps/raced', '-f', '-'], { input: JSON.stringify(replacement) });
    expect(writesTo('/api/v1/namespaces/default/configmaps/raced')).toEqual([{ method: 'PUT', status: 200 }]);
    // a replace writes the whole object: the race's annotation is gone with the rest of the old object
    const stored = JSON.parse(await ok(['get', 'configmap', 'raced', '-o', 'json']));
    expect([stored.data, stored.metadata.annotations]).toEqual([{ mode: 'replaced' }, undefined]);
    expect(updates()).toHaveLength(2);

    racesLeft.set('ConfigMap/raced', 1);
    const pinned = { ...replacement, metadata: { ...replacement.metadata, resourceVersion: stored.metadata.resourceVersion }, data: { mode: 'pinned' } };
    const refused = await harness.kubectl(['replace', '--raw', '/api/v1/namespaces/default/configmaps/raced', '-f', '-'], { input: JSON.stringify(pinned) });
    expect(refused.stderr).toContain('the object has been modified');
    expect(await ok(['get', 'configmap', 'raced', '-o', 'jsonpath={.data.mode}'])).toBe('replaced');
  });

  it('a patch that loses every race gets the Conflict after the API server\'s retries, not a loop', async () => {
    racesLeft.set('ConfigMap/raced', 100);
    const refused = await harness.kubectl(['patch', 'configmap', 'raced', '--type=merge', '-p', '{"data":{"mode":"never"}}']);
    expect(refused.stderr).toContain('the object has been modified');
    expect(updates()).toHaveLength(1 + conflictRetries);
    expect(await ok(['get', 'configmap', 'raced', '-o', 'jsonpath={.data.mode}'])).toBe('replaced');
  });
});
