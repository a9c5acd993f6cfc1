/**
 * Incident: nginx mounts its server block from a ConfigMap, but the volume's `items` name a key the
 * ConfigMap does not have. The pod never starts (FailedMount). k8s_patch points the item at the right key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPod, livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: v1
kind: ConfigMap
metadata: {name: menu-config}
data:
  default.conf: |
    server {
        listen 8080;
        location /healthz { return 200 'ok'; }
        location / { return 200 'menu service v2\\n'; }
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: menu}
spec:
  replicas: 1
  selector: {matchLabels: {app: menu}}
  template:
    metadata: {labels: {app: menu}}
    spec:
      containers:
      - name: web
        image: "nginx:1.27"
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 2}
        volumeMounts: [{name: config, mountPath: /etc/nginx/conf.d}]
      volumes:
      - name: config
        configMap:
          name: menu-config
          items: [{key: site.conf, path: default.conf}]
---
apiVersion: v1
kind: Service
metadata: {name: menu}
spec:
  selector: {app: menu}
  ports: [{port: 80, targetPort: http}]
---
${clientPod()}`;

describe('incident: ConfigMap volume refers to a missing key', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
  });
  afterAll(() => incident?.close());

  it('shows ContainerCreating with the FailedMount event naming the key', async () => {
    const [pod] = await waitFor(async () => {
      const pods = await livePods(incident, 'app=menu');
      return pods.length > 0 && pods;
    });
    await waitFor(async () => /Warning\s+FailedMount\s+.*MountVolume.SetUp failed for volume "config" : configmap references non-existent config key: site.conf/.test(await incident.ok(['describe', 'pod', pod.metadata.name])));
    expect(await incident.ok(['get', 'pod', pod.metadata.name, '--no-headers'])).toMatch(/0\/1\s+ContainerCreating\s+0/);
    const described = await incident.ok(['describe', 'pod', pod.metadata.name]);
    expect(described).toMatch(/Volumes:\n\s+config:\n\s+Type:\s+ConfigMap \(a volume populated by a ConfigMap\)\n\s+Name:\s+menu-config/);
  });

  it('is fixed by mounting the existing key with k8s_patch: nginx loads the config and serves it', async () => {
    await incident.fix('k8s_patch', { name: 'menu', resource_type: 'deployment', patch_type: 'json', patch: '[{"op":"replace","path":"/spec/template/spec/volumes/0/configMap/items/0/key","value":"default.conf"}]' });
    expect(await incident.ok(['rollout', 'status', 'deployment/menu', '--timeout=30s'])).toContain('successfully rolled out');
    const [pod] = await livePods(incident, 'app=menu');
    expect((await incident.exec(pod.metadata.name, ['cat', '/etc/nginx/conf.d/default.conf'])).stdout).toContain('listen 8080;');
    await waitFor(async () => (await incident.exec('client', ['wget', '-qO-', 'http://menu'])).stdout === 'menu service v2\n');
  });
});
