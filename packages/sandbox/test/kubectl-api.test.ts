import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { argoRolloutsCrds } from '../src/kube-sim/crds/argo-rollouts.ts';
import type { ResourceType } from '../src/kube-sim/cluster-types.ts';
import { startHarness, type KubeSimHarness } from './support/kube-sim-harness.ts';

let harness: KubeSimHarness;
const kubectl = (...args: string[]) => harness.kubectl(args);
const resource = (group: string, plural: string): ResourceType => harness.sim.cluster.registry.byResource(group, plural)!;

const appManifest = (image: string, replicas = 1) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api, tier: backend}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: main
        image: ${image}
        env: [{name: MODE, value: fast}]
      - name: sidecar
        image: envoy:1.30
---
apiVersion: v1
kind: Service
metadata: {name: api, labels: {app: api}}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
`;

beforeAll(async () => {
  harness = await startHarness({ users: [{ name: 'erin', token: 'erin-token', groups: ['auditors'] }] });
});

afterAll(async () => {
  await harness?.close();
});

describe('server basics', () => {
  it('reports the fixed server version', async () => {
    const result = await kubectl('version');
    expect(result.stdout).toContain('Server Version: v1.32.3');
  });

  it('lists the system namespaces', async () => {
    const result = await kubectl('get', 'namespaces');
    expect(result.stdout).toMatch(/^NAME\s+STATUS\s+AGE/m);
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) expect(result.stdout).toMatch(new RegExp(`^${name}\\s+Active`, 'm'));
  });

  it('answers unknown resource types the way kubectl expects', async () => {
    const result = await kubectl('get', 'foos');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('error: the server doesn\'t have a resource type "foos"');
  });

  it('lists built-in resources in api-resources', async () => {
    const result = await kubectl('api-resources');
    expect(result.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m);
    expect(result.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod/m);
    expect(result.stdout).toMatch(/^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler/m);
  });
});

describe('create, get and delete', () => {
  it('creates a configmap, a secret and a namespace with kubectl create (protobuf bodies)', async () => {
    expect((await kubectl('create', 'namespace', 'shop')).stdout).toContain('namespace/shop created');
    expect((await kubectl('create', 'configmap', 'settings', '-n', 'shop', '--from-literal=color=blue', '--from-literal=size=xl')).stdout).toContain('configmap/settings created');
    expect((await kubectl('create', 'secret', 'generic', 'creds', '-n', 'shop', '--from-literal=password=hunter2')).stdout).toContain('secret/creds created');
    const configMap = harness.sim.cluster.store.get(resource('', 'configmaps'), 'shop', 'settings');
    expect(configMap?.data).toEqual({ color: 'blue', size: 'xl' });
    const secret = harness.sim.cluster.store.get(resource('', 'secrets'), 'shop', 'creds');
    expect(secret?.type).toBe('Opaque');
    expect(Buffer.from(secret?.data.password, 'base64').toString()).toBe('hunter2');
    const table = await kubectl('get', 'configmaps,secrets', '-n', 'shop');
    expect(table.stdout).toMatch(/configmap\/settings\s+2\s+\d+s/);
    expect(table.stdout).toMatch(/secret\/creds\s+Opaque\s+1\s+\d+s/);
  });

  it('merges stringData into base64 data', async () => {
    const file = harness.file('string-secret.yaml', 'apiVersion: v1\nkind: Secret\nmetadata: {name: token, namespace: shop}\nstringData: {token: abc123}\n');
    await kubectl('apply', '-f', file);
    const secret = harness.sim.cluster.store.get(resource('', 'secrets'), 'shop', 'token');
    expect(secret?.stringData).toBeUndefined();
    expect(Buffer.from(secret?.data.token, 'base64').toString()).toBe('abc123');
  });

  it('reports duplicates, missing objects, missing namespaces and invalid objects with the server message', async () => {
    const duplicate = await kubectl('create', 'configmap', 'settings', '-n', 'shop');
    expect(duplicate.stderr).toContain('configmaps "settings" already exists');
    const missing = await kubectl('get', 'pods', 'nope');
    expect(missing.stderr).toContain('Error from server (NotFound): pods "nope" not found');
    const noNamespace = await kubectl('create', 'configmap', 'x', '-n', 'ghost');
    expect(noNamespace.stderr).toContain('namespaces "ghost" not found');
    const invalid = harness.file('invalid.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: c}]}\n');
    const result = await kubectl('apply', '-f', invalid);
    expect(result.stderr).toContain('The Deployment "broken" is invalid');
    expect(result.stderr).toContain('spec.template.metadata.labels');
    expect(result.stderr).toContain('spec.template.spec.containers[0].image: Required value');
    expect(harness.sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'broken')).toBeUndefined();
  });

  it('deletes a namespace together with its contents', async () => {
    await kubectl('create', 'namespace', 'doomed');
    await kubectl('create', 'configmap', 'inside', '-n', 'doomed', '--from-literal=a=b');
    await kubectl('create', 'deployment', 'inner', '-n', 'doomed', '--image=nginx:1.25');
    const result = await kubectl('delete', 'namespace', 'doomed');
    expect(result.stdout).toContain('namespace "doomed" deleted');
    expect(harness.sim.cluster.store.get(resource('', 'namespaces'), undefined, 'doomed')).toBeUndefined();
    expect(harness.sim.cluster.store.list(resource('', 'configmaps'), 'doomed')).toEqual([]);
    expect(harness.sim.cluster.store.list(resource('apps', 'deployments'), 'doomed')).toEqual([]);
    expect((await kubectl('get', 'namespace', 'doomed')).stderr).toContain('namespaces "doomed" not found');
  });
});

describe('apply, diff and patch', () => {
  it('creates from a file, reports unchanged on re-apply and configures on change', async () => {
    const file = harness.file('app.yaml', appManifest('busybox:1.36'));
    expect((await kubectl('apply', '-f', file)).stdout).toMatch(/deployment.apps\/api created\s+service\/api created/);
    expect((await kubectl('apply', '-f', file)).stdout).toMatch(/deployment.apps\/api unchanged\s+service\/api unchanged/);
    harness.file('app.yaml', appManifest('busybox:1.37'));
    expect((await kubectl('apply', '-f', file)).stdout).toContain('deployment.apps/api configured');
    const deployment = harness.sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'api');
    expect(deployment?.spec.template.spec.containers.map((container: { image: string }) => container.image)).toEqual(['busybox:1.37', 'envoy:1.30']);
    expect(deployment?.metadata.generation).toBe(2);
  });

  it('diffs a changed manifest (exit 1 with the field) and an equal one (exit 0)', async () => {
    const changed = harness.file('app-diff.yaml', appManifest('busybox:1.38'));
    const diff = await kubectl('diff', '-f', changed);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('-        image: busybox:1.37');
    expect(diff.stdout).toContain('+        image: busybox:1.38');
    const same = harness.file('app-same.yaml', appManifest('busybox:1.37'));
    const equal = await kubectl('diff', '-f', same);
    expect(equal.code).toBe(0);
    expect(equal.stdout).toBe('');
    expect(harness.sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'api')?.spec.template.spec.containers[0].image).toBe('busybox:1.37');
  });

  it('patches a container by name with a strategic merge patch and keeps the other container', async () => {
    const result = await kubectl('patch', 'deployment', 'api', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"busybox:2.0","env":[{"name":"EXTRA","value":"1"}]}]}}}}');
    expect(result.stdout).toContain('deployment.apps/api patched');
    const containers = harness.sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'api')?.spec.template.spec.containers;
    expect(containers.map((container: { name: string; image: string }) => `${container.name}=${container.image}`)).toEqual(['main=busybox:2.0', 'sidecar=envoy:1.30']);
    expect(containers[0].env.map((variable: { name: string }) => variable.name)).toEqual(['MODE', 'EXTRA']);
  });

  it('applies merge and json patches', async () => {
    await kubectl('patch', 'deployment', 'api', '--type', 'merge', '-p', '{"metadata":{"labels":{"owner":"team-a"}}}');
    await kubectl('patch', 'deployment', 'api', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]');
    const deployment = harness.sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'api');
    expect(deployment?.metadata.labels).toMatchObject({ owner: 'team-a', app: 'api' });
    expect(deployment?.spec.replicas).toBe(3);
    const bad = await kubectl('patch', 'deployment', 'api', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/nothing"}]');
    expect(bad.code).not.toBe(0);
    const missing = await kubectl('patch', 'deployment', 'ghost', '--type', 'merge', '-p', '{"spec":{"replicas":1}}');
    expect(missing.stderr).toContain('deployments.apps "ghost" not found');
  });

  it('labels and annotates with --overwrite and key- removal', async () => {
    expect((await kubectl('label', 'deployment', 'api', 'stage=dev')).stdout).toContain('labeled');
    const refused = await kubectl('label', 'deployment', 'api', 'stage=prod');
    expect(refused.stderr).toContain("'stage' already has a value (dev)");
    await kubectl('label', 'deployment', 'api', 'stage=prod', '--overwrite');
    await kubectl('annotate', 'deployment', 'api', 'note=hello');
    await kubectl('label', 'deployment', 'api', 'owner-');
    const deployment = harness.sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'api');
    expect(deployment?.metadata.labels).toEqual({ app: 'api', tier: 'backend', stage: 'prod' });
    expect(deployment?.metadata.annotations?.note).toBe('hello');
    const shown = await kubectl('get', 'deployment', 'api', '--show-labels');
    expect(shown.stdout).toMatch(/LABELS\n.*app=api,stage=prod,tier=backend/);
  });

  it('applies server-side, records managed fields and drops fields no longer applied', async () => {
    const file = harness.file('ssa.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  labels: {a: "1", b: "2"}\ndata: {key: one}\n');
    expect((await kubectl('apply', '--server-side', '-f', file)).stdout).toContain('configmap/ssa serverside-applied');
    harness.file('ssa.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  labels: {a: "1"}\ndata: {key: two}\n');
    await kubectl('apply', '--server-side', '-f', file);
    const configMap = harness.sim.cluster.store.get(resource('', 'configmaps'), 'default', 'ssa');
    expect(configMap?.data).toEqual({ key: 'two' });
    expect(configMap?.metadata.labels).toEqual({ a: '1' });
    const managed = configMap?.metadata.managedFields as Array<{ manager: string; operation: string; fieldsType: string; fieldsV1: Record<string, unknown> }>;
    const entry = managed.find((candidate) => candidate.manager === 'kubectl' && candidate.operation === 'Apply');
    expect(entry?.fieldsType).toBe('FieldsV1');
    expect(entry?.fieldsV1).toEqual({ 'f:data': { 'f:key': {} }, 'f:metadata': { 'f:labels': { 'f:a': {} } } });
    const yaml = await kubectl('get', 'configmap', 'ssa', '-o', 'yaml', '--show-managed-fields');
    expect(yaml.stdout).toContain('manager: kubectl');
  });

  it('drops all labels and annotations a manager stops applying, but keeps the object (also with --dry-run=server)', async () => {
    const file = harness.file('ssa-meta.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-meta\n  labels: {team: a}\n  annotations: {note: x}\ndata: {key: one}\n');
    await kubectl('apply', '--server-side', '-f', file);
    harness.file('ssa-meta.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-meta\ndata: {key: two}\n');
    const dryRun = await kubectl('apply', '--server-side', '--dry-run=server', '-f', file, '-o', 'json');
    expect(JSON.parse(dryRun.stdout)).toMatchObject({ metadata: { name: 'ssa-meta', namespace: 'default' }, data: { key: 'two' } });
    expect(harness.sim.cluster.store.get(resource('', 'configmaps'), 'default', 'ssa-meta')?.data).toEqual({ key: 'one' });
    await kubectl('apply', '--server-side', '-f', file);
    const configMap = harness.sim.cluster.store.get(resource('', 'configmaps'), 'default', 'ssa-meta');
    expect(configMap?.metadata.name).toBe('ssa-meta');
    expect(configMap?.metadata.labels).toBeUndefined();
    expect(configMap?.metadata.annotations).toBeUndefined();
    expect(configMap?.data).toEqual({ key: 'two' });
  });

  it('changes nothing with --dry-run=server on create, apply, patch and delete', async () => {
    const created = await kubectl('create', 'configmap', 'dry', '--from-literal=a=b', '--dry-run=server', '-o', 'name');
    expect(created.stdout.trim()).toBe('configmap/dry');
    expect(harness.sim.cluster.store.get(resource('', 'configmaps'), 'default', 'dry')).toBeUndefined();
    const file = harness.file('dry.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry-applied}\ndata: {a: b}\n');
    expect((await kubectl('apply', '-f', file, '--dry-run=server')).stdout).toContain('(server dry run)');
    expect(harness.sim.cluster.store.get(resource('', 'configmaps'), 'default', 'dry-applied')).toBeUndefined();
    const before = harness.sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'api');
    await kubectl('patch', 'deployment', 'api', '--type', 'merge', '-p', '{"spec":{"replicas":9}}', '--dry-run=server');
    expect((await kubectl('delete', 'deployment', 'api', '--dry-run=server')).stdout).toContain('deleted (server dry run)');
    const after = harness.sim.cluster.store.get(resource('apps', 'deployments'), 'default', 'api');
    expect(after?.spec.replicas).toBe(before?.spec.replicas);
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
  });
});

describe('get output formats and selectors', () => {
  it('prints -o wide, yaml, json and name', async () => {
    const wide = await kubectl('get', 'deployment', 'api', '-o', 'wide');
    expect(wide.stdout).toMatch(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(wide.stdout).toMatch(/api\s+\d+\/3\s+\d+\s+\d+\s+\S+\s+main,sidecar\s+busybox:2.0,envoy:1.30\s+app=api/);
    const yaml = await kubectl('get', 'service', 'api', '-o', 'yaml');
    expect(yaml.stdout).toContain('kind: Service');
    expect(yaml.stdout).toMatch(/clusterIP: 10\.96\.\d+\.\d+/);
    const json = JSON.parse((await kubectl('get', 'configmap', 'settings', '-n', 'shop', '-o', 'json')).stdout);
    expect(json.data.color).toBe('blue');
    const names = await kubectl('get', 'deploy,svc', '-l', 'app=api', '-o', 'name');
    expect(names.stdout.trim().split('\n')).toEqual(['deployment.apps/api', 'service/api']);
    const services = await kubectl('get', 'svc', 'api');
    expect(services.stdout).toMatch(/api\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+/);
  });

  it('filters with label selectors and field selectors across namespaces', async () => {
    for (const [name, namespace, tier] of [['one', 'default', 'web'], ['two', 'default', 'db'], ['three', 'shop', 'web']]) {
      harness.sim.cluster.store.create(resource('', 'configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { tier, env: namespace === 'shop' ? 'prod' : 'dev' } }, data: {} });
    }
    const web = await kubectl('get', 'cm', '-A', '-l', 'tier=web', '-o', 'name');
    expect(web.stdout.trim().split('\n')).toEqual(['configmap/one', 'configmap/three']);
    const notWeb = await kubectl('get', 'cm', '-l', 'tier!=web,tier', '-o', 'name');
    expect(notWeb.stdout.trim()).toBe('configmap/two');
    const setBased = await kubectl('get', 'cm', '-A', '-l', 'env in (prod),tier notin (db)', '-o', 'name');
    expect(setBased.stdout.trim()).toBe('configmap/three');
    const noLabel = await kubectl('get', 'cm', '-A', '-l', '!tier', '-o', 'name');
    expect(noLabel.stdout).not.toContain('configmap/one');
    const byField = await kubectl('get', 'cm', '-A', '--field-selector', 'metadata.namespace=shop,metadata.name!=three', '-o', 'name');
    expect(byField.stdout.trim().split('\n')).toEqual(['configmap/settings']);
    const secretsByType = await kubectl('get', 'secrets', '-A', '--field-selector', 'type=Opaque', '-o', 'name');
    expect(secretsByType.stdout).toContain('secret/creds');
  });

  it('pages through lists with limit and continue', async () => {
    const configMaps = resource('', 'configmaps');
    await kubectl('create', 'namespace', 'paged');
    for (let index = 0; index < 7; index++) harness.sim.cluster.store.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `page-${index}`, namespace: 'paged' } });
    const result = await kubectl('get', 'cm', '-n', 'paged', '--chunk-size=3', '-o', 'name');
    expect(result.stdout.trim().split('\n')).toEqual(Array.from({ length: 7 }, (_, index) => `configmap/page-${index}`));
  });
});

describe('describe', () => {
  it('describes a pod, a deployment and a node with their usual sections', async () => {
    harness.sim.cluster.store.create(resource('', 'nodes'), {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-a', labels: { 'node-role.kubernetes.io/worker': '' } },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }], nodeInfo: { kubeletVersion: 'v1.32.3' }, capacity: { cpu: '4', memory: '8Gi' }, allocatable: { cpu: '4', memory: '8Gi' } },
    });
    harness.sim.cluster.store.create(resource('', 'pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'happy', namespace: 'shop' }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'x' }] } });
    const pod = await kubectl('describe', 'pod', 'happy', '-n', 'shop');
    expect(pod.stdout).toMatch(/Name:\s+happy/);
    expect(pod.stdout).toMatch(/Namespace:\s+shop/);
    expect(pod.stdout).toContain('Containers:');
    expect(pod.stdout).toContain('Events:');
    const deployment = await kubectl('describe', 'deployment', 'api');
    expect(deployment.stdout).toMatch(/Replicas:\s+3 desired/);
    expect(deployment.stdout).toMatch(/StrategyType:\s+RollingUpdate/);
    expect(deployment.stdout).toContain('Pod Template:');
    const node = await kubectl('describe', 'node', 'node-a');
    expect(node.stdout).toMatch(/Name:\s+node-a/);
    expect(node.stdout).toMatch(/Roles:\s+worker/);
    expect(node.stdout).toContain('Conditions:');
    expect(node.stdout).toContain('Non-terminated Pods:');
    expect(node.stdout).toMatch(/shop\s+happy/);
    const nodes = await kubectl('get', 'nodes');
    expect(nodes.stdout).toMatch(/node-a\s+Ready\s+worker\s+\S+\s+v1\.32\.3/);
  });
});

describe('wait', () => {
  /**
   * Until kubectl has opened its watch on that one object (from the sim's request log): a change made after this can
   * only reach kubectl through the watch, whatever the machine's load. Sequence numbers count from `after`.
   */
  const watchOpened = (plural: string, name: string, after: number) =>
    vi.waitFor(
      () => expect(harness.sim.calls.some((call) => call.sequence > after && call.verb === 'watch' && call.path.endsWith(`/${plural}`) && call.query['fieldSelector'] === `metadata.name=${name}`)).toBe(true),
      { timeout: 20_000, interval: 20 },
    );
  const lastSequence = () => harness.sim.calls.at(-1)?.sequence ?? 0;

  it('waits for a condition set through the store and for deletion', async () => {
    const configMaps = resource('', 'configmaps');
    const jobs = resource('batch', 'jobs');
    harness.sim.cluster.store.create(jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: 'default' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'busybox' }] } } },
    });
    let after = lastSequence();
    const waiting = kubectl('wait', '--for=jsonpath={.metadata.annotations.phase}=done', 'configmap/one', '--timeout=20s');
    await watchOpened('configmaps', 'one', after);
    harness.sim.cluster.store.mutate(configMaps, 'default', 'one', (object) => {
      object.metadata.annotations = { phase: 'done' };
      return object;
    });
    const result = await waiting;
    expect(result.stdout).toContain('configmap/one condition met');

    // kubectl must have found the object before it goes, or it reports "no matching resources": it has, once it watches.
    after = lastSequence();
    const deleting = kubectl('wait', '--for=delete', 'configmap/two', '--timeout=20s');
    await watchOpened('configmaps', 'two', after);
    harness.sim.cluster.store.remove(configMaps, 'default', 'two');
    expect((await deleting).stdout).toContain('configmap/two condition met');
  });

  it('waits for a status condition', async () => {
    const services = resource('', 'services');
    harness.sim.cluster.store.create(services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } });
    const after = lastSequence();
    const waiting = kubectl('wait', '--for=condition=LoadBalancerReady', 'service/lb', '--timeout=20s');
    await watchOpened('services', 'lb', after);
    harness.sim.cluster.store.mutate(services, 'default', 'lb', (object) => {
      object.status = { conditions: [{ type: 'LoadBalancerReady', status: 'True', reason: 'Provisioned', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }], loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } };
      return object;
    });
    expect((await waiting).stdout).toContain('service/lb condition met');
    expect((await kubectl('get', 'svc', 'lb')).stdout).toMatch(/lb\s+LoadBalancer\s+\S+\s+203\.0\.113\.7\s+443\/TCP/);
  });
});

describe('auth can-i and impersonation', () => {
  it('answers yes for the admin and follows a Role for a restricted user', async () => {
    expect((await kubectl('auth', 'can-i', 'delete', 'nodes')).stdout.trim()).toBe('yes');
    expect((await kubectl('auth', 'can-i', 'list', 'pods', '--as', 'alice', '-n', 'shop')).stdout.trim()).toBe('no');
    await kubectl('create', 'role', 'pod-reader', '-n', 'shop', '--verb=get,list', '--resource=pods,pods/log');
    await kubectl('create', 'rolebinding', 'alice-reads', '-n', 'shop', '--role=pod-reader', '--user=alice');
    expect((await kubectl('auth', 'can-i', 'list', 'pods', '--as', 'alice', '-n', 'shop')).stdout.trim()).toBe('yes');
    expect((await kubectl('auth', 'can-i', 'get', 'pods', '--subresource=log', '--as', 'alice', '-n', 'shop')).stdout.trim()).toBe('yes');
    expect((await kubectl('auth', 'can-i', 'delete', 'pods', '--as', 'alice', '-n', 'shop')).stdout.trim()).toBe('no');
    expect((await kubectl('auth', 'can-i', 'list', 'pods', '--as', 'alice', '-n', 'default')).stdout.trim()).toBe('no');
  });

  it('enforces RBAC on requests made as the impersonated user', async () => {
    const allowed = await kubectl('get', 'pods', '-n', 'shop', '--as', 'alice');
    expect(allowed.stdout).toContain('happy');
    const denied = await kubectl('get', 'deployments', '-n', 'shop', '--as', 'alice');
    expect(denied.stderr).toContain('Error from server (Forbidden): deployments.apps is forbidden: User "alice" cannot list resource "deployments" in API group "apps" in the namespace "shop"');
    const groupBinding = await kubectl('create', 'clusterrolebinding', 'auditors-view', '--clusterrole=view', '--group=auditors');
    expect(groupBinding.code).toBe(0);
    expect((await kubectl('auth', 'can-i', 'list', 'deployments', '--as', 'bob', '--as-group', 'auditors', '-A')).stdout.trim()).toBe('yes');
  });
});

describe('user kubeconfigs over plain HTTP', () => {
  it('acts as the configured user through impersonation, since kubectl sends no token over HTTP', async () => {
    const erin = harness.file('erin.kubeconfig', '');
    harness.sim.writeKubeconfig(erin, { user: 'erin' });
    const denied = await harness.kubectl(['delete', 'configmap', 'settings', '-n', 'shop'], { kubeconfig: erin });
    expect(denied.stderr).toContain('configmaps "settings" is forbidden: User "erin" cannot delete resource "configmaps" in API group "" in the namespace "shop"');
    const viewing = await harness.kubectl(['get', 'deployments', '-A', '-o', 'name'], { kubeconfig: erin });
    expect(viewing.stdout).toContain('deployment.apps/api');
  });
});

describe('custom resources', () => {
  it('serves Argo Rollouts after its CRDs are applied, by plural and short name', async () => {
    const crds = harness.file('argo-crds.yaml', argoRolloutsCrds.map((crd) => toYaml(crd)).join('---\n'));
    expect((await kubectl('apply', '-f', crds)).stdout).toContain('customresourcedefinition.apiextensions.k8s.io/rollouts.argoproj.io created');
    expect((await kubectl('wait', '--for=condition=Established', 'crd/rollouts.argoproj.io', '--timeout=10s')).stdout).toContain('condition met');
    const rollout = harness.file('rollout.yaml', 'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: checkout}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: checkout}}\n  template:\n    metadata: {labels: {app: checkout}}\n    spec: {containers: [{name: app, image: "shop:1"}]}\n  strategy: {canary: {steps: [{setWeight: 20}, {pause: {}}]}}\n');
    expect((await kubectl('apply', '-f', rollout)).stdout).toContain('rollout.argoproj.io/checkout created');
    const byShortName = await kubectl('get', 'ro');
    expect(byShortName.stdout).toMatch(/NAME\s+DESIRED\s+CURRENT\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    expect(byShortName.stdout).toMatch(/checkout\s+2\s+/);
    expect((await kubectl('get', 'rollouts', '-o', 'name')).stdout.trim()).toBe('rollout.argoproj.io/checkout');
    const resources = await kubectl('api-resources', '--api-group=argoproj.io');
    expect(resources.stdout).toMatch(/^rollouts\s+ro\s+argoproj.io\/v1alpha1\s+true\s+Rollout/m);
    expect((await kubectl('scale', 'rollout', 'checkout', '--replicas=5')).stdout).toContain('scaled');
    expect(harness.sim.cluster.store.get(resource('argoproj.io', 'rollouts'), 'default', 'checkout')?.spec.replicas).toBe(5);
  });

  it('refuses strategic merge patches on custom resources and unregisters deleted CRDs', async () => {
    const patch = await kubectl('patch', 'rollout', 'checkout', '--type', 'strategic', '-p', '{"spec":{"replicas":1}}');
    expect(patch.stderr).toContain('application/strategic-merge-patch+json is not supported');
    expect((await kubectl('delete', 'crd', 'rollouts.argoproj.io')).stdout).toContain('deleted');
    expect(harness.sim.cluster.registry.byResource('argoproj.io', 'rollouts')).toBeUndefined();
    const gone = await kubectl('get', 'rollouts');
    expect(gone.code).not.toBe(0);
  });
});
