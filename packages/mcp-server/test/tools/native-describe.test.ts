/**
 * Native k8s_describe against the real `kubectl describe`, on objects the real kubectl created on kube-sim:
 * for every kind rendered natively, the same sections, labels, values and events, line for line.
 *
 * The native side runs with a kubectl path that does not exist, so a pass also proves no subprocess ran.
 * Both sides go through the same redaction (kubectl's output through redactText, the tool's through runTool).
 * Where the two may legitimately differ, the comparison says why:
 * - event ages ("5s" vs "6s": the two describes run moments apart) are checked by shape, and because the Age
 *   column sits mid-table the Events table's column padding may differ too, so event rows compare cell by cell;
 *   the same goes for the trailing Age cell of a node's pod table;
 * - ConfigMap and Secret data come in Go's random map order from kubectl and sorted from the tool;
 * - short Secret values show [REDACTED] instead of their byte count (see describe-secret.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installArgoRolloutsCrds } from '@skyflo/sandbox/kube-sim';
import { kubectlPath } from '@skyflo/testkit/tools';
import { redactText } from '@skyflo/safety';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { startKubeHarness, eventually, type KubeHarness } from '../support/kube-harness.ts';

const run = promisify(execFile);
let harness: KubeHarness;
let nativeOnly: ToolDeps;
const NS = 'shop';
const LONG_CERT = `-----BEGIN CERTIFICATE-----${'MIIBszCCAVmgAwIBAgIU'.repeat(4)}-----END CERTIFICATE-----`;
const SHORT_PASSWORD = 'pw-4821';
const SA_TOKEN = 'plain-sa-token-value-1234567890abcdef';

async function kubectl(args: string[], stdin?: string): Promise<string> {
  const child = run(kubectlPath, ['--kubeconfig', harness.kubeconfigPath, ...args], { maxBuffer: 16 * 1024 * 1024 });
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  }
  return (await child).stdout;
}

const manifests = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}, labels: {team: storefront}, annotations: {owner: platform-team}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: ${NS}}
spec:
  hard: {requests.cpu: "4", requests.memory: 8Gi, pods: "20"}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: ${NS}}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 512Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
    max: {cpu: "2"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: ${NS}, labels: {app: web}}
data:
  LOG_LEVEL: info
  nginx.conf: |
    server {
      listen 8080;
    }
  api_token: should-not-show-123
binaryData:
  logo.png: iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==
---
apiVersion: v1
kind: Secret
metadata: {name: web-secret, namespace: ${NS}, labels: {app: web}}
type: Opaque
stringData:
  password: ${SHORT_PASSWORD}
  username: admin
  ca.crt: "${LONG_CERT}"
---
apiVersion: v1
kind: Secret
metadata: {name: robot-token, namespace: ${NS}, annotations: {kubernetes.io/service-account.name: robot}}
type: kubernetes.io/service-account-token
stringData: {token: ${SA_TOKEN}, namespace: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}, labels: {app: web}, annotations: {kubernetes.io/change-cause: first release}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: frontend}, annotations: {prometheus.io/scrape: "true"}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
        resources: {requests: {cpu: "0.25", memory: 128Mi}, limits: {cpu: 500m, memory: 0.5Gi}}
        # kube-sim runs the probes against its container model: nginx answers / on the port its config listens on
        readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 5, failureThreshold: 3}
        livenessProbe: {exec: {command: [cat, /etc/nginx/nginx.conf]}, initialDelaySeconds: 10}
        env:
        - {name: LOG_LEVEL, value: debug}
        - {name: POD_NAME, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}}
        - {name: MEMORY_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
        - {name: DB_USER, valueFrom: {secretKeyRef: {name: web-secret, key: username}}}
        envFrom: [{configMapRef: {name: web-config}}]
        volumeMounts:
        - {name: config, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf, readOnly: true}
        - {name: cache, mountPath: /var/cache/nginx}
        - {name: certs, mountPath: /etc/certs, readOnly: true}
      volumes:
      - {name: config, configMap: {name: web-config}}
      - {name: cache, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
      - {name: certs, secret: {secretName: web-secret}}
      - name: bundle
        projected:
          sources:
          - configMap: {name: web-config}
          - downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
      tolerations: [{key: dedicated, operator: Equal, value: web, effect: NoSchedule}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${NS}}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      initContainers: [{name: init-perms, image: busybox:1.36, command: [sh, -c, "chown 999 /data"]}]
      containers:
      - name: postgres
        image: postgres:16
        ports: [{containerPort: 5432, name: pg}, {containerPort: 9187, name: metrics}]
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata: {name: data, labels: {app: db}}
    spec: {accessModes: [ReadWriteOnce], storageClassName: standard, resources: {requests: {storage: 10Gi}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: log-agent, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: log-agent}}
  template:
    metadata: {labels: {app: log-agent}}
    spec:
      nodeSelector: {kubernetes.io/os: linux}
      containers: [{name: agent, image: registry.local/fluent-bit:3.0, args: [--config, /etc/fluent-bit.conf]}]
      volumes: [{name: varlog, hostPath: {path: /var/log, type: Directory}}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: ${NS}}
spec:
  backoffLimit: 2
  ttlSecondsAfterFinished: 3600
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: busybox:1.36, command: [sh, -c, "echo migrated"]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly-report, namespace: ${NS}}
spec:
  schedule: "0 2 * * *"
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 2
  jobTemplate:
    spec:
      activeDeadlineSeconds: 600
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: busybox:1.36, command: [sh, -c, "echo report"]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${NS}, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: metrics, port: 9100, targetPort: 9100}]
---
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: ${NS}}
spec:
  type: NodePort
  selector: {app: web}
  externalTrafficPolicy: Local
  ports: [{port: 443, targetPort: 8443, nodePort: 30443}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: ${NS}, annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}}
spec:
  ingressClassName: nginx
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /metrics, pathType: Exact, backend: {service: {name: web, port: {name: metrics}}}}
      - {path: /legacy, pathType: Prefix, backend: {service: {name: gone, port: {number: 80}}}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: shop-pv, labels: {tier: storage}}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: manual
  hostPath: {path: /mnt/shop}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: uploads, namespace: ${NS}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  resources: {requests: {storage: 2Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: uploader, namespace: ${NS}, labels: {app: uploader}}
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: [sh, -c, "sleep 3600"]
    volumeMounts: [{name: uploads, mountPath: /uploads}]
  volumes: [{name: uploads, persistentVolumeClaim: {claimName: uploads}}]
---
apiVersion: v1
kind: Pod
metadata: {name: crasher, namespace: ${NS}, labels: {app: crasher}}
spec:
  containers: [{name: main, image: registry.local/crash-loop:1.0}]
---
apiVersion: v1
kind: Pod
metadata: {name: puller, namespace: ${NS}, labels: {app: puller}}
spec:
  containers: [{name: main, image: registry.example.com/doesnotexist:1.0}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: ${NS}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
  - type: Resource
    resource: {name: memory, target: {type: AverageValue, averageValue: 300Mi}}
  - type: Pods
    pods: {metric: {name: requests_per_second}, target: {type: AverageValue, averageValue: "100"}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 120
      policies: [{type: Percent, value: 50, periodSeconds: 60}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: checkout, namespace: ${NS}, labels: {app: checkout}}
spec:
  replicas: 3
  selector: {matchLabels: {app: checkout}}
  strategy:
    canary:
      steps: [{setWeight: 25}, {pause: {}}, {setWeight: 75}, {pause: {duration: 30s}}]
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers: [{name: checkout, image: nginx:1.27, ports: [{name: http, containerPort: 80}]}]
`;

beforeAll(async () => {
  // A slow crash back-off keeps the crash-looping pod's event counts still long enough to compare both describes.
  // No HPA resync during the suite: the status below is written once and compared by both describes.
  harness = await startKubeHarness({ settings: { readinessDelayMs: 20, startDelayMs: 10, crashBackoffMs: 5000, jobDurationMs: 50, hpaSyncPeriodMs: 3_600_000 } });
  installArgoRolloutsCrds(harness.sim.cluster);
  nativeOnly = harness.depsWith({ kubectlPath: '/nonexistent/kubectl' });
  await kubectl(['apply', '-f', '-'], manifests);
  // A second revision, so the Deployment has an old and a new ReplicaSet.
  await kubectl(['-n', NS, 'set', 'image', 'deployment/web', 'web=nginx:1.28']);
  const { store, registry } = harness.sim.cluster;
  const type = (group: string, resource: string) => registry.byResource(group, resource)!;
  // kube-sim's HPA controller evaluates a new HPA once (its metrics here are partly ones kube-sim cannot serve); after
  // that first status write, write a fuller status — the controller does not re-evaluate on status writes, and its
  // resync is an hour away — so both describes see the same object. kube-sim runs no quota controller.
  await eventually(() => expect(store.get(type('autoscaling', 'horizontalpodautoscalers'), NS, 'web')?.status?.conditions?.length).toBeGreaterThan(0), 20_000);
  store.mutate(type('autoscaling', 'horizontalpodautoscalers'), NS, 'web', (hpa) => {
    hpa.status = {
      currentReplicas: 2,
      desiredReplicas: 2,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 41, averageValue: '103m' } } },
        { type: 'Resource', resource: { name: 'memory', current: { averageValue: '201326592' } } },
      ],
      conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' }],
    };
    return hpa;
  });
  store.mutate(type('', 'resourcequotas'), NS, 'compute', (quota) => {
    quota.status = { hard: { 'requests.cpu': '4', 'requests.memory': '8Gi', pods: '20' }, used: { 'requests.cpu': '750m', 'requests.memory': '1280Mi', pods: '7' } };
    return quota;
  });
  await eventually(async () => {
    const pods = JSON.parse(await kubectl(['get', 'pods', '-n', NS, '-o', 'json'])).items as Array<Record<string, any>>;
    const reason = (name: string) => pods.find((pod) => pod.metadata.name === name)?.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    expect(reason('crasher')).toBe('CrashLoopBackOff');
    expect(reason('puller')).toBe('ImagePullBackOff');
    const web = JSON.parse(await kubectl(['get', 'deployment', 'web', '-n', NS, '-o', 'json']));
    expect(web.status.updatedReplicas).toBe(2);
    expect(web.status.availableReplicas).toBe(2);
    const job = JSON.parse(await kubectl(['get', 'job', 'migrate', '-n', NS, '-o', 'json']));
    expect(job.status.succeeded).toBe(1);
    const rollout = JSON.parse(await kubectl(['get', 'rollout', 'checkout', '-n', NS, '-o', 'json']));
    expect(rollout.status?.availableReplicas).toBe(3);
  }, 20_000);
}, 60_000);
afterAll(() => harness?.close());

interface Split {
  body: string[];
  events: string[][];
}

/** Separates the Events table (if any) from the rest; event rows become cells, ages replaced by their shape. */
function splitEvents(text: string): Split {
  const lines = text.replace(/\n+$/, '').split('\n');
  const start = lines.findIndex((line) => /^Events:$/.test(line));
  if (start < 0) return { body: lines, events: [] };
  const events = lines.slice(start + 3).map((line) => {
    const cells = line.trim().split(/\s{2,}/);
    expect(cells[2], line).toMatch(/^(\d+[smhdy])+( \(x\d+ over (\d+[smhdy])+\))?$/);
    return [cells[0], cells[1], cells[2].replace(/(\d+[smhdy])+/g, 'AGE'), ...cells.slice(3)];
  });
  expect(lines.slice(start, start + 3).map((line) => line.trim().split(/\s{2,}/))).toEqual([['Events:'], ['Type', 'Reason', 'Age', 'From', 'Message'], ['----', '------', '----', '----', '-------']]);
  return { body: lines.slice(0, start), events };
}

async function both(resourceType: string, name: string, namespace = NS): Promise<{ expected: string; actual: string }> {
  const expected = redactText(await kubectl(['describe', resourceType, name, '--namespace', namespace]));
  const result = await harness.call('k8s_describe', { resource_type: resourceType, name, namespace }, nativeOnly);
  expect(result.isError, result.text).toBeFalsy();
  return { expected, actual: result.text };
}

/** Same sections, labels, values and events; see the file comment for what may differ and why. */
async function expectSameDescribe(resourceType: string, name: string, options: { normalise?: (lines: string[]) => string[] } = {}): Promise<string> {
  let actualText = '';
  // Retried briefly: a controller or the kubelet may record an event between the two describes.
  await eventually(async () => {
    const { expected, actual } = await both(resourceType, name);
    actualText = actual;
    const left = splitEvents(expected);
    const right = splitEvents(actual);
    const normalise = options.normalise ?? ((lines: string[]) => lines);
    expect(normalise(right.body)).toEqual(normalise(left.body));
    expect(right.events).toEqual(left.events);
  }, 15_000);
  return actualText;
}

/** Sorts the entries of a "Data\n====" block (kubectl prints them in Go's random map order). */
function sortDataBlock(lines: string[], entryStart: (line: string, next: string | undefined) => boolean): string[] {
  const start = lines.indexOf('Data');
  if (start < 0) return lines;
  let end = lines.findIndex((line, index) => index > start + 1 && (line === 'BinaryData' || line.startsWith('Events:')));
  if (end < 0) end = lines.length;
  const entries: string[][] = [];
  for (const line of lines.slice(start + 2, end)) {
    if (entryStart(line, undefined) || entries.length === 0) entries.push([line]);
    else entries[entries.length - 1].push(line);
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return [...lines.slice(0, start + 2), ...entries.flat(), ...lines.slice(end)];
}

describe('native k8s_describe matches kubectl describe', () => {
  it('Pod (volumes, probes, env from fields, resources, tolerations, events)', async () => {
    const pods = JSON.parse(await kubectl(['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'json'])).items as Array<Record<string, any>>;
    const pod = pods.find((candidate) => candidate.spec.containers[0].image === 'nginx:1.28' && !candidate.metadata.deletionTimestamp)!;
    const text = await expectSameDescribe('pod', pod.metadata.name);
    expect(text).toMatch(/^Controlled By:\s+ReplicaSet\/web-/m);
    expect(text).toMatch(/^\s+POD_NAME:\s+web-\S+ \(v1:metadata\.name\)$/m);
    expect(text).toMatch(/^\s+MEMORY_LIMIT:\s+512 \(limits\.memory\)$/m);
    expect(text).toMatch(/^\s+cpu:\s+250m$/m);
  });

  it('Pod in CrashLoopBackOff, with its Last State and BackOff events', async () => {
    const text = await expectSameDescribe('pod', 'crasher');
    expect(text).toMatch(/^\s+Reason:\s+CrashLoopBackOff$/m);
    expect(text).toMatch(/^\s+Last State:\s+Terminated$/m);
    expect(text).toMatch(/^\s+Warning\s+BackOff\s+/m);
  });

  it('Pod in ImagePullBackOff', async () => {
    const text = await expectSameDescribe('pod', 'puller');
    expect(text).toMatch(/^\s+Reason:\s+ImagePullBackOff$/m);
    expect(text).toMatch(/Failed to pull image/);
  });

  it('Deployment (old and new ReplicaSets, rolling update strategy)', async () => {
    const text = await expectSameDescribe('deployment', 'web');
    expect(text).toMatch(/^OldReplicaSets:\s+web-\S+ \(0\/0 replicas created\)$/m);
    expect(text).toMatch(/^NewReplicaSet:\s+web-\S+ \(2\/2 replicas created\)$/m);
    expect(text).toMatch(/^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
  });

  it('ReplicaSet', async () => {
    const replicaSets = JSON.parse(await kubectl(['get', 'rs', '-n', NS, '-l', 'app=web', '-o', 'json'])).items as Array<Record<string, any>>;
    for (const replicaSet of replicaSets) await expectSameDescribe('replicaset', replicaSet.metadata.name);
  });

  it('StatefulSet (init containers, volume claim templates)', async () => {
    const text = await expectSameDescribe('statefulset', 'db');
    expect(text).toMatch(/^Volume Claims:$/m);
    expect(text).toMatch(/^\s+Ports:\s+5432\/TCP, 9187\/TCP$/m);
  });

  it('DaemonSet', async () => {
    const text = await expectSameDescribe('daemonset', 'log-agent');
    expect(text).toMatch(/^Node-Selector:\s+kubernetes\.io\/os=linux$/m);
  });

  it('Job', async () => {
    const text = await expectSameDescribe('job', 'migrate');
    expect(text).toMatch(/^Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed$/m);
  });

  it('CronJob', async () => {
    const text = await expectSameDescribe('cronjob', 'nightly-report');
    expect(text).toMatch(/^Active Deadline Seconds:\s+600s$/m);
  });

  it('Service (ClusterIP and NodePort)', async () => {
    await expectSameDescribe('service', 'web');
    const text = await expectSameDescribe('svc', 'edge');
    expect(text).toMatch(/^NodePort:\s+<unset>\s+30443\/TCP$/m);
  });

  it('Ingress (TLS, rules, a backend whose Service is missing)', async () => {
    const text = await expectSameDescribe('ingress', 'web');
    expect(text).toMatch(/gone:80 \(<error: services "gone" not found>\)/);
  });

  it('Node (capacity, allocatable, the pods on it and their requests)', async () => {
    const nodeOf = JSON.parse(await kubectl(['get', 'pod', 'uploader', '-n', NS, '-o', 'json'])).spec.nodeName as string;
    // The Age of each pod is the row's last cell; the two describes run moments apart.
    const withoutPodAges = (lines: string[]) => lines.map((line) => (/^\s{2}\S+\s{2,}\S+\s{2,}.*\(\d+%\)\s{2,}\S+$/.test(line) ? line.replace(/\S+$/, 'AGE') : line));
    const text = await expectSameDescribe('node', nodeOf, { normalise: withoutPodAges });
    expect(text).toMatch(/^Allocated resources:$/m);
    expect(text).toMatch(new RegExp(`^\\s+${NS}\\s+uploader\\s+`, 'm'));
  });

  it('Namespace (resource quota and limit range)', async () => {
    const text = await expectSameDescribe('namespace', NS);
    expect(text).toMatch(/^\s+requests\.memory\s+1280Mi\s+8Gi$/m);
    expect(text).toMatch(/^ Container\s+cpu\s+-\s+2\s+100m\s+500m\s+-$/m);
  });

  it('PersistentVolumeClaim (used by a pod) and PersistentVolume', async () => {
    const claim = await expectSameDescribe('pvc', 'uploads');
    expect(claim).toMatch(/^Used By:\s+uploader$/m);
    const volume = await expectSameDescribe('pv', 'shop-pv');
    expect(volume).toMatch(/^Access Modes:\s+RWO,ROX$/m);
  });

  it('ConfigMap (data in sorted order, sensitive values redacted; only its own events)', async () => {
    // One event for this ConfigMap, one for an earlier object of the same name (another uid): kubectl shows the first only.
    const uid = JSON.parse(await kubectl(['get', 'configmap', 'web-config', '-n', NS, '-o', 'json'])).metadata.uid;
    const event = (name: string, objectUid: string, message: string) => `apiVersion: v1
kind: Event
metadata: {name: ${name}, namespace: ${NS}}
involvedObject: {apiVersion: v1, kind: ConfigMap, name: web-config, namespace: ${NS}, uid: ${objectUid}}
type: Normal
reason: Updated
message: ${message}
source: {component: config-reloader}
firstTimestamp: "${new Date(Date.now() - 90_000).toISOString()}"
lastTimestamp: "${new Date(Date.now() - 30_000).toISOString()}"
count: 2
`;
    await kubectl(['apply', '-f', '-'], `${event('web-config.current', uid, 'reloaded by nginx')}---\n${event('web-config.previous', 'a-deleted-configmaps-uid', 'from the deleted one')}`);
    const entryStart = (line: string) => /^\S.*:$/.test(line);
    const text = await expectSameDescribe('configmap', 'web-config', { normalise: (lines) => sortDataBlock(lines, entryStart) });
    expect(text).toMatch(/^api_token:\n-+\n\[REDACTED\]$/m);
    expect(text).toMatch(/^logo\.png: 70 bytes$/m);
    expect(text).not.toContain('should-not-show-123');
    expect(text).toMatch(/^\s+Normal\s+Updated\s+\d+s \(x2 over \d+s\)\s+config-reloader\s+reloaded by nginx$/m);
    expect(text).not.toContain('from the deleted one');
  });

  it('Secret: never a value; a byte count only for long values', async () => {
    const { expected, actual } = await both('secret', 'web-secret');
    const data = (text: string) => Object.fromEntries(text.slice(text.indexOf('====')).split('\n').slice(1).filter(Boolean).map((line) => line.split(/:\s+/)));
    const header = (text: string) => text.slice(0, text.indexOf('====')).split('\n');
    expect(header(actual)).toEqual(header(expected));
    expect(Object.keys(data(actual)).sort()).toEqual(Object.keys(data(expected)).sort());
    expect(data(actual)).toEqual({ 'ca.crt': `${LONG_CERT.length} bytes`, password: '[REDACTED]', username: '[REDACTED]' });
    expect(data(expected)['ca.crt']).toBe(`${LONG_CERT.length} bytes`);
    expect(actual).not.toContain(SHORT_PASSWORD);
    // kubectl prints a service-account token Secret's token itself; the native describe never does.
    const token = await harness.call('k8s_describe', { resource_type: 'secret', name: 'robot-token', namespace: NS }, nativeOnly);
    expect(token.text).toMatch(/^token:\s+\[REDACTED\]$/m);
    expect(token.text).not.toContain(SA_TOKEN);
    expect(token.text).toMatch(/^Type:\s+kubernetes\.io\/service-account-token$/m);
  });

  it('HorizontalPodAutoscaler (resource, value and pods metrics, behavior, conditions)', async () => {
    const text = await expectSameDescribe('hpa', 'web');
    expect(text).toMatch(/\(as a percentage of request\):\s+41% \(103m\) \/ 70%$/m);
    expect(text).toMatch(/resource memory on pods:\s+201326592 \/ 300Mi$/m);
  });

  it('Argo Rollout (kubectl\'s generic describer)', async () => {
    const text = await expectSameDescribe('rollout', 'checkout');
    expect(text).toMatch(/^\s+Set Weight:\s+25$/m);
    expect(text).toMatch(/^API Version:\s+argoproj\.io\/v1alpha1$/m);
  });
});

describe('native k8s_describe behaves like kubectl describe', () => {
  it('describes every object of a type when no name is given, and by name prefix when nothing has that name', async () => {
    const all = await harness.call('k8s_describe', { resource_type: 'services', namespace: NS }, nativeOnly);
    expect(all.text.match(/^Name:/gm)).toHaveLength(2);
    expect(all.text).toContain('\n\n\nName:');
    const byPrefix = await harness.call('k8s_describe', { resource_type: 'deployment', name: 'we', namespace: NS }, nativeOnly);
    expect(byPrefix.text).toMatch(/^Name:\s+web$/m);
    const expected = redactText(await kubectl(['describe', 'deployment', 'we', '--namespace', NS]));
    expect(splitEvents(byPrefix.text).body).toEqual(splitEvents(expected).body);
  });

  it('reports a missing object without running kubectl', async () => {
    const missing = await harness.call('k8s_describe', { resource_type: 'deployment', name: 'ghost', namespace: NS }, nativeOnly);
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/^Failed to describe deployment ghost: deployments\.apps "ghost" not found/);
    expect(missing.structured).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('falls back to kubectl for kinds it does not render, and for volume types it does not know', async () => {
    await kubectl(['apply', '-f', '-'], `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: ${NS}}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: v1
kind: Pod
metadata: {name: legacy-volume, namespace: ${NS}}
spec:
  containers: [{name: main, image: busybox:1.36}]
  volumes: [{name: repo, gitRepo: {repository: "https://example.com/repo.git", revision: main}}]
`);
    for (const [type, name] of [['pdb', 'web'], ['pod', 'legacy-volume']]) {
      const native = await harness.call('k8s_describe', { resource_type: type, name, namespace: NS }, nativeOnly);
      expect(native.structured).toMatchObject({ error: { code: 'MISSING_BINARY' } });
      const viaKubectl = await harness.call('k8s_describe', { resource_type: type, name, namespace: NS });
      expect(viaKubectl.isError, viaKubectl.text).toBeFalsy();
      expect(viaKubectl.text).toMatch(new RegExp(`^Name:\\s+${name}$`, 'm'));
    }
    const gitRepo = await harness.call('k8s_describe', { resource_type: 'pod', name: 'legacy-volume', namespace: NS });
    expect(gitRepo.text).toMatch(/Type:\s+GitRepo \(a volume that is pulled from git when the pod is created\)/);
  });
});
