import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KubeObject, ResourceType } from '../src/kube-sim/cluster-types.ts';
import { startKubeSim, type KubeSim } from '../src/kube-sim/index.ts';

let sim: KubeSim;
const resource = (group: string, plural: string): ResourceType => sim.cluster.registry.byResource(group, plural)!;

async function call(method: string, path: string, options: { body?: unknown; contentType?: string; accept?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'Content-Type': options.contentType ?? 'application/json' } : {}),
      ...(options.accept ? { Accept: options.accept } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', json, text };
}

/** Reads watch events until `count` arrived or the stream ends. */
/**
 * Reads a watch stream until `count` events arrived, the server ended it, or `timeoutMs` passed (a safety net, not an
 * assertion). `received` fills as events arrive; `endedByServer` says the server closed the stream on its own.
 */
function watch(path: string, count: number, timeoutMs = 15_000): { received: Array<{ type: string; object: any }>; events: Promise<Array<{ type: string; object: any }>>; endedByServer(): boolean; abort(): void } {
  const controller = new AbortController();
  const received: Array<{ type: string; object: any }> = [];
  let endedByServer = false;
  const events = (async () => {
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetch(`${sim.url}${path}`, { signal: controller.signal });
      const decoder = new TextDecoder();
      let buffer = '';
      let enough = false;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          received.push(JSON.parse(buffer.slice(0, newline)));
          buffer = buffer.slice(newline + 1);
        }
        if (received.length >= count) {
          enough = true;
          break;
        }
      }
      endedByServer = !enough;
    } catch {
      // aborted by the safety timeout: return what arrived
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return received;
  })();
  return { received, events, endedByServer: () => endedByServer, abort: () => controller.abort() };
}

const configMap = (name: string, labels: Record<string, string> = {}, namespace = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data: { a: '1' } });

beforeAll(async () => {
  sim = await startKubeSim({ workloads: false });
});

afterAll(async () => {
  await sim?.close();
});

describe('discovery and openapi', () => {
  it('serves aggregated discovery with its content type, listing subresources', async () => {
    const result = await call('GET', '/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    expect(result.contentType).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const apps = result.json.items.find((item: any) => item.metadata.name === 'apps');
    const deployments = apps.versions[0].resources.find((entry: any) => entry.resource === 'deployments');
    expect(deployments.subresources.map((entry: any) => entry.subresource)).toEqual(['status', 'scale']);
    expect(deployments.shortNames).toEqual(['deploy']);
    const legacy = await call('GET', '/api/v1');
    const names = legacy.json.resources.map((entry: any) => entry.name);
    expect(names).toEqual(expect.arrayContaining(['pods', 'pods/log', 'pods/exec', 'pods/eviction', 'pods/status', 'configmaps']));
  });

  it('serves a minimal OpenAPI v3 with PATCH operations and no v2', async () => {
    const root = await call('GET', '/openapi/v3');
    const url = root.json.paths['apis/apps/v1'].serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=/);
    const document = await call('GET', url);
    const patch = document.json.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters.map((parameter: any) => parameter.name)).toContain('fieldValidation');
    expect((await call('GET', '/openapi/v2')).status).toBe(404);
  });

  it('answers version and health without credentials', async () => {
    expect((await call('GET', '/version')).json.gitVersion).toBe('v1.32.3');
    for (const path of ['/healthz', '/readyz', '/livez']) expect((await call('GET', path)).text).toBe('ok');
  });
});

describe('store semantics over HTTP', () => {
  it('assigns generateName, uid, resourceVersion and bumps generation only on spec changes', async () => {
    const created = await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { generateName: 'gen-' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } },
    });
    expect(created.status).toBe(201);
    const name = created.json.metadata.name;
    expect(name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(created.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.json.metadata.generation).toBe(1);
    const labelled = await call('PATCH', `/apis/apps/v1/namespaces/default/deployments/${name}`, { body: { metadata: { labels: { x: 'y' } } }, contentType: 'application/merge-patch+json' });
    expect(labelled.json.metadata.generation).toBe(1);
    expect(Number(labelled.json.metadata.resourceVersion)).toBeGreaterThan(Number(created.json.metadata.resourceVersion));
    const scaled = await call('PATCH', `/apis/apps/v1/namespaces/default/deployments/${name}`, { body: { spec: { replicas: 4 } }, contentType: 'application/merge-patch+json' });
    expect(scaled.json.metadata.generation).toBe(2);
  });

  it('rejects stale updates with a Conflict and keeps status out of main-resource writes', async () => {
    const deployments = resource('apps', 'deployments');
    const stored = sim.cluster.store.create(deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'guarded', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } }, status: { replicas: 1 } });
    const stale = { ...stored, metadata: { ...stored.metadata, resourceVersion: '1' } };
    const conflict = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/guarded', { body: stale });
    expect(conflict.status).toBe(409);
    expect(conflict.json.reason).toBe('Conflict');
    expect(conflict.json.message).toBe('Operation cannot be fulfilled on deployments.apps "guarded": the object has been modified; please apply your changes to the latest version and try again');

    const main = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/guarded', { body: { ...stored, spec: { ...stored.spec, replicas: 2 }, status: { replicas: 99 } } });
    expect(main.json.spec.replicas).toBe(2);
    expect(main.json.status).toEqual({ replicas: 1 });
    const status = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/guarded/status', { body: { status: { replicas: 7 }, spec: { replicas: 50 } }, contentType: 'application/merge-patch+json' });
    expect(status.json.status.replicas).toBe(7);
    expect(status.json.spec.replicas).toBe(2);
  });

  it('serves the scale subresource for deployments (GET, PUT, PATCH)', async () => {
    const scale = await call('GET', '/apis/apps/v1/namespaces/default/deployments/guarded/scale');
    expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { replicas: 7, selector: 'a=b' } });
    const put = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/guarded/scale', { body: { ...scale.json, spec: { replicas: 3 } } });
    expect(put.json.spec.replicas).toBe(3);
    const patched = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/guarded/scale', { body: { spec: { replicas: 5 } }, contentType: 'application/merge-patch+json' });
    expect(patched.json.spec.replicas).toBe(5);
    expect(sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'guarded')?.spec.replicas).toBe(5);
    const negative = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/guarded/scale', { body: { spec: { replicas: -1 } }, contentType: 'application/merge-patch+json' });
    expect(negative.status).toBe(422);
  });

  it('answers bad input with Status objects and the right codes', async () => {
    const malformed = await call('POST', '/api/v1/namespaces/default/configmaps', { body: '{"metadata": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400 });
    const unknownPatch = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/guarded', { body: {}, contentType: 'text/plain' });
    expect(unknownPatch.status).toBe(415);
    expect(unknownPatch.json.reason).toBe('UnsupportedMediaType');
    const noName = await call('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } });
    expect(noName.status).toBe(422);
    expect(noName.json.details.causes[0].field).toBe('metadata.name');
    const postToItem = await call('POST', '/api/v1/namespaces/default/configmaps/x', { body: configMap('x') });
    expect(postToItem.status).toBe(405);
    const strict = await call('POST', '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict', { body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'strict' }, spek: {} } });
    expect(strict.status).toBe(400);
    expect(strict.json.message).toContain('unknown field "spek"');
    const dryRunMissingNamespace = await call('POST', '/api/v1/namespaces/ghost/configmaps?dryRun=All', { body: configMap('x', {}, 'ghost') });
    expect(dryRunMissingNamespace.status).toBe(404);
    expect(dryRunMissingNamespace.json.message).toBe('namespaces "ghost" not found');
    const missingPatch = await call('PATCH', '/api/v1/namespaces/default/configmaps/none', { body: { data: {} }, contentType: 'application/merge-patch+json' });
    expect(missingPatch.status).toBe(404);
    expect(missingPatch.json.message).toBe('configmaps "none" not found');
  });

  it('creates objects with server-side apply when missing and keeps managedFields well formed', async () => {
    const applied = await call('PATCH', '/api/v1/namespaces/default/configmaps/ssa-new?fieldManager=tester', { body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-new\ndata:\n  k: v\n', contentType: 'application/apply-patch+yaml' });
    expect(applied.status).toBe(201);
    expect(applied.json.data).toEqual({ k: 'v' });
    expect(applied.json.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'tester', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:k': {} } } })]);
    const noManager = await call('PATCH', '/api/v1/namespaces/default/configmaps/ssa-new', { body: '{}', contentType: 'application/apply-patch+yaml' });
    expect(noManager.status).toBe(422);
  });
});

describe('lists and watches', () => {
  it('pages with limit/continue and returns Tables when asked', async () => {
    for (const name of ['l-a', 'l-b', 'l-c']) sim.cluster.store.create(resource('', 'configmaps'), configMap(name, { list: 'yes' }));
    const first = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=list%3Dyes&limit=2');
    expect(first.json.items.map((item: any) => item.metadata.name)).toEqual(['l-a', 'l-b']);
    expect(first.json.metadata.remainingItemCount).toBe(1);
    const second = await call('GET', `/api/v1/namespaces/default/configmaps?labelSelector=list%3Dyes&limit=2&continue=${first.json.metadata.continue}`);
    expect(second.json.items.map((item: any) => item.metadata.name)).toEqual(['l-c']);
    expect(second.json.metadata.continue).toBeUndefined();
    const table = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=list%3Dyes&includeObject=Metadata', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(table.contentType).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(table.json.columnDefinitions.map((column: any) => column.name)).toEqual(['Name', 'Data', 'Age']);
    expect(table.json.rows[0].cells.slice(0, 2)).toEqual(['l-a', 1]);
    expect(table.json.rows[0].object.kind).toBe('PartialObjectMetadata');
  });

  it('watches from now-ish with initial ADDED events, then changes, with selector transitions', async () => {
    const configMaps = resource('', 'configmaps');
    sim.cluster.store.create(configMaps, configMap('w-1', { watch: 'me' }));
    const stream = watch('/api/v1/namespaces/default/configmaps?watch=true&labelSelector=watch%3Dme', 4);
    // the watch is established once its initial ADDED arrived; the changes below happen after that
    await vi.waitFor(() => expect(stream.received).toHaveLength(1));
    sim.cluster.store.create(configMaps, configMap('w-2', { watch: 'me' }));
    sim.cluster.store.mutate(configMaps, 'default', 'w-1', (object) => ({ ...object, data: { a: '2' } }));
    sim.cluster.store.mutate(configMaps, 'default', 'w-2', (object) => ({ ...object, metadata: { ...object.metadata, labels: { watch: 'not-me' } } }));
    const events = await stream.events;
    expect(events.map((event) => `${event.type} ${event.object.metadata.name}`)).toEqual(['ADDED w-1', 'ADDED w-2', 'MODIFIED w-1', 'DELETED w-2']);
  });

  it('replays changes after a resourceVersion, stays open for later changes, and ends at timeoutSeconds', async () => {
    const configMaps = resource('', 'configmaps');
    const from = sim.cluster.store.currentResourceVersion();
    sim.cluster.store.create(configMaps, configMap('r-1'));
    sim.cluster.store.remove(configMaps, 'default', 'r-1');
    const stream = watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${from}&timeoutSeconds=1`, 99);
    await vi.waitFor(() => expect(stream.received).toHaveLength(2));
    // still open after the replay: a change made now arrives on the same stream
    sim.cluster.store.create(configMaps, configMap('r-2'));
    const events = await stream.events;
    expect(events.map((event) => `${event.type} ${event.object.metadata.name}`)).toEqual(['ADDED r-1', 'DELETED r-1', 'ADDED r-2']);
    // nothing else could end it: the client waits far longer than timeoutSeconds, so the server closed it on its timer
    expect(stream.endedByServer()).toBe(true);
  });

  // Timings (10,000 pods listed as JSON and as a Table) are in bench/kube-sim-list.ts; this guards the content.
  it('lists 10,000 pods, as JSON and as a Table with every object', async () => {
    const pods = resource('', 'pods');
    await call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bulk' } } });
    for (let index = 0; index < 10_000; index++) {
      sim.cluster.store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${index}`, namespace: 'bulk', labels: { app: 'bulk' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] }, status: { phase: 'Running' } });
    }
    const list = await call('GET', '/api/v1/namespaces/bulk/pods');
    expect(list.json.items).toHaveLength(10_000);
    expect(new Set(list.json.items.map((pod: KubeObject) => pod.metadata.name)).size).toBe(10_000);
    const table = await call('GET', '/api/v1/pods?includeObject=Object', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    const bulkRows = table.json.rows.filter((row: { object: KubeObject }) => row.object.metadata.namespace === 'bulk');
    expect(bulkRows).toHaveLength(10_000);
    expect(bulkRows.every((row: { object: KubeObject }) => row.object.kind === 'Pod')).toBe(true);
  });
});

describe('deletion: finalizers, garbage collection, namespaces', () => {
  const owner = (name: string) => sim.cluster.store.create(resource('', 'configmaps'), configMap(name));
  const dependent = (name: string, ownerObject: KubeObject) =>
    sim.cluster.store.create(resource('', 'secrets'), { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: ownerObject.metadata.name!, uid: ownerObject.metadata.uid! }] } });

  it('deletes dependents in the background, keeps them with Orphan, removes them first with Foreground', async () => {
    const secrets = resource('', 'secrets');
    dependent('bg-child', owner('bg-owner'));
    await call('DELETE', '/api/v1/namespaces/default/configmaps/bg-owner', { body: { propagationPolicy: 'Background' } });
    await vi.waitFor(() => expect(sim.cluster.store.get(secrets, 'default', 'bg-child')).toBeUndefined());

    dependent('orphan-child', owner('orphan-owner'));
    await call('DELETE', '/api/v1/namespaces/default/configmaps/orphan-owner?propagationPolicy=Orphan');
    await vi.waitFor(() => expect(sim.cluster.store.get(secrets, 'default', 'orphan-child')).toBeDefined());
    await vi.waitFor(() => expect(sim.cluster.store.get(secrets, 'default', 'orphan-child')?.metadata.ownerReferences).toBeUndefined());

    dependent('fg-child', owner('fg-owner'));
    await call('DELETE', '/api/v1/namespaces/default/configmaps/fg-owner', { body: { propagationPolicy: 'Foreground' } });
    expect(sim.cluster.store.get(secrets, 'default', 'fg-child')).toBeUndefined();
  });

  it('collects a dependent written after its owner was gone (a controller racing the deletion), as the real collector does', async () => {
    const secrets = resource('', 'secrets');
    const gone = owner('raced-owner');
    await call('DELETE', '/api/v1/namespaces/default/configmaps/raced-owner');
    await vi.waitFor(() => expect(sim.cluster.store.get(resource('', 'configmaps'), 'default', 'raced-owner')).toBeUndefined());
    dependent('late-child', gone);
    await vi.waitFor(() => expect(sim.cluster.store.get(secrets, 'default', 'late-child')).toBeUndefined());
    // one live owner is enough to keep it, and an owner of a kind the cluster does not serve is not judged
    const alive = owner('live-owner');
    sim.cluster.store.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kept-child', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'raced-owner', uid: gone.metadata.uid! }, { apiVersion: 'v1', kind: 'ConfigMap', name: 'live-owner', uid: alive.metadata.uid! }] } });
    sim.cluster.store.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'foreign-child', namespace: 'default', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Unserved', name: 'x', uid: 'not-a-uid' }] } });
    const marker = owner('gc-pass-marker');
    const markerChild = dependent('gc-pass-child', marker);
    await call('DELETE', '/api/v1/namespaces/default/configmaps/gc-pass-marker');
    // once a later collection has run, the two that must stay are still there
    await vi.waitFor(() => expect(sim.cluster.store.get(secrets, 'default', markerChild.metadata.name!)).toBeUndefined());
    expect(sim.cluster.store.get(secrets, 'default', 'kept-child')).toBeDefined();
    expect(sim.cluster.store.get(secrets, 'default', 'foreign-child')).toBeDefined();
  });

  it('holds objects with finalizers until the finalizers are removed', async () => {
    const configMaps = resource('', 'configmaps');
    sim.cluster.store.create(configMaps, { ...configMap('held'), metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] } });
    const deleted = await call('DELETE', '/api/v1/namespaces/default/configmaps/held');
    expect(deleted.json.metadata.deletionTimestamp).toBeTruthy();
    expect(sim.cluster.store.get(configMaps, 'default', 'held')).toBeDefined();
    await call('PATCH', '/api/v1/namespaces/default/configmaps/held', { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    expect(sim.cluster.store.get(configMaps, 'default', 'held')).toBeUndefined();
  });

  it('keeps a terminating namespace until its contents are gone and refuses new objects in it', async () => {
    const namespaces = resource('', 'namespaces');
    await call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ending' } } });
    sim.cluster.store.create(resource('', 'configmaps'), { ...configMap('sticky', {}, 'ending'), metadata: { name: 'sticky', namespace: 'ending', finalizers: ['example.com/hold'] } });
    await call('DELETE', '/api/v1/namespaces/ending');
    await vi.waitFor(() => expect(sim.cluster.store.get(namespaces, undefined, 'ending')?.status.phase).toBe('Terminating'));
    const refused = await call('POST', '/api/v1/namespaces/ending/configmaps', { body: configMap('late', {}, 'ending') });
    expect(refused.status).toBe(403);
    expect(refused.json.message).toContain('because it is being terminated');
    sim.cluster.store.mutate(resource('', 'configmaps'), 'ending', 'sticky', (object) => ({ ...object, metadata: { ...object.metadata, finalizers: [] } }));
    await vi.waitFor(() => expect(sim.cluster.store.get(namespaces, undefined, 'ending')).toBeUndefined());
    expect((await call('DELETE', '/api/v1/namespaces/default')).status).toBe(403);
  });
});

describe('extension points used by the workloads side', () => {
  it('routes subresources, custom API groups and upgrades to registered handlers', async () => {
    sim.cluster.addSubresource('pods', 'log', ({ response, name, url }) => {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end(`log of ${name} container=${url.searchParams.get('container')}`);
    });
    sim.cluster.addSubresource('configmaps', 'nothing', () => false);
    sim.cluster.addApiGroup({
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      resources: [{ group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', singular: '', kind: 'PodMetrics', listKind: 'PodMetricsList', namespaced: true, verbs: ['get', 'list'], subresources: [] }],
      handle: ({ response, path }) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ kind: 'PodMetricsList', path }));
      },
    });
    sim.cluster.addUpgrade('pods', 'exec', ({ socket, name }) => {
      socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\nX-Pod: ${name}\r\n\r\n`);
    });

    sim.cluster.store.create(resource('', 'pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'routed', namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'x' }] } });
    expect((await call('GET', '/api/v1/namespaces/default/pods/routed/log?container=main')).text).toBe('log of routed container=main');
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/w-1/nothing')).status).toBe(404);
    const metrics = await call('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
    expect(metrics.json).toEqual({ kind: 'PodMetricsList', path: ['namespaces', 'default', 'pods'] });
    const discovery = await call('GET', '/apis');
    expect(discovery.json.groups.map((group: any) => group.name)).toContain('metrics.k8s.io');

    const upgradeHeaders = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
      const request = http.request(`${sim.url}/api/v1/namespaces/default/pods/routed/exec?command=ls`, { headers: { Connection: 'Upgrade', Upgrade: 'test' } });
      request.on('upgrade', (response, socket) => {
        socket.destroy();
        resolve(response.headers);
      });
      request.on('error', reject);
      request.end();
    });
    expect(upgradeHeaders['x-pod']).toBe('routed');
  });
});

describe('authentication', () => {
  it('requires a valid bearer token unless insecure, and honours configured users with RBAC', async () => {
    const strict = await startKubeSim({ workloads: false, insecure: false, users: [{ name: 'carol', token: 'carol-token', groups: ['devs'] }] });
    try {
      const anonymous = await fetch(`${strict.url}/api/v1/namespaces`);
      expect(anonymous.status).toBe(401);
      expect((await anonymous.json()).reason).toBe('Unauthorized');
      const admin = await fetch(`${strict.url}/api/v1/namespaces`, { headers: { Authorization: `Bearer ${strict.adminToken}` } });
      expect(admin.status).toBe(200);
      const carol = await fetch(`${strict.url}/api/v1/namespaces/default/pods`, { headers: { Authorization: 'Bearer carol-token' } });
      expect(carol.status).toBe(403);
      expect((await carol.json()).message).toBe('pods is forbidden: User "carol" cannot list resource "pods" in API group "" in the namespace "default"');
      const impersonating = await fetch(`${strict.url}/api/v1/namespaces/default/pods`, { headers: { Authorization: 'Bearer carol-token', 'Impersonate-User': 'admin' } });
      expect(impersonating.status).toBe(403);
      expect((await impersonating.json()).message).toContain('cannot impersonate resource "users"');
    } finally {
      await strict.close();
    }
  });
});
