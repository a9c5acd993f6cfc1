import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, ResourceType } from '../src/kube-sim/cluster-types.ts';
import { humanDuration } from '../src/kube-sim/tables/human-duration.ts';
import { podStatusCells } from '../src/kube-sim/tables/pod-status.ts';
import { startHarness, type KubeSimHarness } from './support/kube-sim-harness.ts';

const now = new Date('2025-06-01T12:00:00Z');

function pod(status: Record<string, unknown>, extra: { initContainers?: unknown[]; deletionTimestamp?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: '2025-06-01T11:00:00Z', ...(extra.deletionTimestamp ? { deletionTimestamp: extra.deletionTimestamp } : {}) },
    spec: { containers: [{ name: 'app', image: 'x' }], ...(extra.initContainers ? { initContainers: extra.initContainers } : {}) },
    status,
  };
}

describe('kubectl-style cells', () => {
  it.each([
    [5_000, '5s'],
    [119_000, '119s'],
    [182_000, '3m2s'],
    [600_000, '10m'],
    [3 * 3_600_000 + 5 * 60_000, '3h5m'],
    [30 * 3_600_000, '30h'],
    [2 * 86_400_000 + 3 * 3_600_000, '2d3h'],
    [40 * 86_400_000, '40d'],
  ])('formats %i ms as %s', (milliseconds, expected) => {
    expect(humanDuration(milliseconds)).toBe(expected);
  });

  it.each([
    ['Pending', pod({ phase: 'Pending' }), '0/1', 'Pending'],
    ['Running', pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }] }), '1/1', 'Running'],
    ['CrashLoopBackOff', pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }), '0/1', 'CrashLoopBackOff'],
    ['ErrImagePull', pod({ phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] }), '0/1', 'ErrImagePull'],
    ['OOMKilled', pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: false, restartCount: 1, state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] }), '0/1', 'OOMKilled'],
    ['Completed', pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } }] }), '0/1', 'Completed'],
    ['exit code without reason', pod({ phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] }), '0/1', 'ExitCode:2'],
    ['Init:0/1', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { running: {} } }] }, { initContainers: [{ name: 'init', image: 'x' }] }), '0/1', 'Init:0/1'],
    ['Init:CrashLoopBackOff', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, { initContainers: [{ name: 'init', image: 'x' }] }), '0/1', 'Init:CrashLoopBackOff'],
    ['Terminating', pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }] }, { deletionTimestamp: '2025-06-01T11:59:00Z' }), '1/1', 'Terminating'],
  ])('shows %s', (_label, object, ready, status) => {
    const cells = podStatusCells(object, now);
    expect(cells.ready).toBe(ready);
    expect(cells.status).toBe(status);
  });

  it('shows restarts with the time since the last one', () => {
    const cells = podStatusCells(
      pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 2, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: '2025-06-01T11:55:00Z' } } }] }),
      now,
    );
    expect(cells.restarts).toBe('2 (5m ago)');
  });
});

describe('tables through the real kubectl (no simulated workloads)', () => {
  let harness: KubeSimHarness;
  const resource = (group: string, plural: string): ResourceType => harness.sim.cluster.registry.byResource(group, plural)!;

  beforeAll(async () => {
    harness = await startHarness({ workloads: false });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('prints pod STATUS from container states, wide columns and -A', async () => {
    const pods = resource('', 'pods');
    const make = (name: string, status: Record<string, unknown>) =>
      harness.sim.cluster.store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }], nodeName: 'node-a' }, status });
    make('crashy', { phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] });
    make('pull', { phase: 'Pending', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }] });
    make('happy', { phase: 'Running', podIP: '10.1.2.3', containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }] });
    const wide = await harness.kubectl(['get', 'pods', '-o', 'wide']);
    expect(wide.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/m);
    expect(wide.stdout).toMatch(/crashy\s+0\/1\s+CrashLoopBackOff\s+4\s+/);
    expect(wide.stdout).toMatch(/pull\s+0\/1\s+ImagePullBackOff\s+0\s+/);
    expect(wide.stdout).toMatch(/happy\s+1\/1\s+Running\s+0\s+\S+\s+10\.1\.2\.3\s+node-a\s+<none>\s+<none>/);
    const plain = await harness.kubectl(['get', 'pods']);
    expect(plain.stdout).not.toContain('NOMINATED NODE');
    const all = await harness.kubectl(['get', 'pods', '-A', '--field-selector', 'status.phase=Pending', '--show-labels']);
    expect(all.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS/m);
    expect(all.stdout).toMatch(/default\s+pull\s+0\/1\s+ImagePullBackOff\s+0\s+\S+\s+app=pull/);
    expect(all.stdout).not.toContain('happy');
  });

  it('sorts by a field of the row objects', async () => {
    const sorted = await harness.kubectl(['get', 'pods', '--sort-by=.metadata.name', '-o', 'name']);
    expect(sorted.stdout.trim().split('\n')).toEqual(['pod/crashy', 'pod/happy', 'pod/pull']);
  });

  it('prints jobs, cronjobs, hpas, events and nodes with their columns', async () => {
    const store = harness.sim.cluster.store;
    store.create(resource('batch', 'jobs'), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: 'default' },
      spec: { completions: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'busybox' }] } } },
      status: { succeeded: 1, startTime: '2025-01-01T00:00:00Z', completionTime: '2025-01-01T00:00:42Z', conditions: [{ type: 'Complete', status: 'True' }] },
    });
    store.create(resource('batch', 'cronjobs'), {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'default' },
      spec: { schedule: '0 2 * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'n', image: 'busybox' }] } } } } },
    });
    store.create(resource('autoscaling', 'horizontalpodautoscalers'), {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
      status: { currentReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 42 } } }] },
    });
    const crashy = store.get(resource('', 'pods'), 'default', 'crashy')!;
    harness.sim.cluster.events.record(crashy, { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container c', component: 'kubelet' });
    harness.sim.cluster.events.record(crashy, { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container c', component: 'kubelet' });
    store.create(resource('', 'nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { 'node-role.kubernetes.io/control-plane': '' } }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.3' } } });

    expect((await harness.kubectl(['get', 'jobs'])).stdout).toMatch(/migrate\s+Complete\s+1\/1\s+42s\s+/);
    expect((await harness.kubectl(['get', 'cronjobs'])).stdout).toMatch(/nightly\s+0 2 \* \* \*\s+<none>\s+False\s+0\s+<none>\s+/);
    expect((await harness.kubectl(['get', 'hpa'])).stdout).toMatch(/web\s+Deployment\/web\s+cpu: 42%\/80%\s+2\s+10\s+3\s+/);
    const events = await harness.kubectl(['get', 'events']);
    expect(events.stdout).toMatch(/LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    expect(events.stdout).toMatch(/Warning\s+BackOff\s+pod\/crashy\s+Back-off restarting failed container c/);
    expect(events.stdout.trim().split('\n')).toHaveLength(2);
    const describe = await harness.kubectl(['describe', 'pod', 'crashy']);
    expect(describe.stdout).toMatch(/Warning\s+BackOff\s+\S+ \(x2 over \S+\)\s+kubelet\s+Back-off restarting failed container c/);
    expect((await harness.kubectl(['get', 'nodes'])).stdout).toMatch(/node-a\s+Ready,SchedulingDisabled\s+control-plane\s+\S+\s+v1\.32\.3/);
  });

  it('decodes the protobuf bodies of kubectl create for many kinds', async () => {
    const run = (...args: string[]) => harness.kubectl(args);
    expect((await run('create', 'service', 'clusterip', 'front', '--tcp=80:8080')).stdout).toContain('service/front created');
    expect((await run('create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *')).stdout).toContain('cronjob.batch/tick created');
    expect((await run('create', 'ingress', 'edge', '--rule=shop.example.com/api=front:80')).stdout).toContain('ingress.networking.k8s.io/edge created');
    expect((await run('create', 'quota', 'small', '--hard=pods=10')).stdout).toContain('resourcequota/small created');
    expect((await run('create', 'priorityclass', 'urgent', '--value=1000')).stdout).toContain('priorityclass.scheduling.k8s.io/urgent created');
    const store = harness.sim.cluster.store;
    expect(store.get(resource('', 'services'), 'default', 'front')?.spec.ports).toEqual([{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }]);
    expect(store.get(resource('batch', 'cronjobs'), 'default', 'tick')?.spec.schedule).toBe('*/5 * * * *');
    expect(store.get(resource('networking.k8s.io', 'ingresses'), 'default', 'edge')?.spec.rules[0]).toMatchObject({ host: 'shop.example.com', http: { paths: [{ path: '/api', pathType: 'Exact', backend: { service: { name: 'front', port: { number: 80 } } } }] } });
    expect(store.get(resource('', 'resourcequotas'), 'default', 'small')?.spec.hard).toEqual({ pods: '10' });
    expect(store.get(resource('scheduling.k8s.io', 'priorityclasses'), undefined, 'urgent')?.value).toBe(1000);
    expect((await run('get', 'quota')).stdout).toMatch(/small\s+\S+\s+pods: 0\/10/);
    expect((await run('get', 'pc')).stdout).toMatch(/urgent\s+1000\s+false\s+\S+\s+PreemptLowerPriority/);
  });

  it('falls back to NAME and AGE for kinds without a printer', async () => {
    harness.sim.cluster.store.create(resource('', 'limitranges'), { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits', namespace: 'default' }, spec: { limits: [] } });
    const result = await harness.kubectl(['get', 'limitranges']);
    expect(result.stdout).toMatch(/^NAME\s+AGE\nlimits\s+\d+s/m);
  });

  it('prints EndpointSlices with their address type, ports and endpoints', async () => {
    harness.sim.cluster.store.create(resource('discovery.k8s.io', 'endpointslices'), {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abcde', namespace: 'default' },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      endpoints: ['10.244.1.2', '10.244.1.3', '10.244.2.2', '10.244.2.3'].map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    });
    harness.sim.cluster.store.create(resource('discovery.k8s.io', 'endpointslices'), { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'empty-fghij', namespace: 'default' }, addressType: 'IPv4', endpoints: null, ports: null });
    const result = await harness.kubectl(['get', 'endpointslices']);
    expect(result.stdout).toMatch(/^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n/);
    expect(result.stdout).toMatch(/\nempty-fghij\s+IPv4\s+<unset>\s+<unset>\s+\d+s\n/);
    expect(result.stdout).toMatch(/\nweb-abcde\s+IPv4\s+80\s+10\.244\.1\.2,10\.244\.1\.3,10\.244\.2\.2 \+ 1 more\.\.\.\s+\d+s\n/);
  });
});

describe('events.k8s.io view of core events', () => {
  let harness: KubeSimHarness;

  beforeAll(async () => {
    harness = await startHarness({ workloads: false });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('serves recorded events through both APIs', async () => {
    const configMaps = harness.sim.cluster.registry.byResource('', 'configmaps')!;
    const target = harness.sim.cluster.store.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: 'default' } });
    harness.sim.cluster.events.record(target, { reason: 'Synced', message: 'configuration synced', component: 'sync-controller' });
    const modern = JSON.parse((await harness.kubectl(['get', 'events.events.k8s.io', '-o', 'json'])).stdout);
    expect(modern.items).toHaveLength(1);
    expect(modern.items[0]).toMatchObject({ apiVersion: 'events.k8s.io/v1', reason: 'Synced', note: 'configuration synced', reportingController: 'sync-controller', regarding: { kind: 'ConfigMap', name: 'watched' } });
    const table = await harness.kubectl(['get', 'events.events.k8s.io']);
    expect(table.stdout).toMatch(/Normal\s+Synced\s+configmap\/watched\s+configuration synced/);
    const events = await harness.kubectl(['events', '--for', 'configmap/watched']);
    expect(events.stdout).toMatch(/Normal\s+Synced\s+ConfigMap\/watched\s+configuration synced/);
  });
});
