/**
 * Services through the real kubectl: the Endpoints and EndpointSlice controllers, `describe service`, and
 * traffic from pods (`kubectl exec … wget/nslookup`) through Service DNS, ClusterIPs and NetworkPolicies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

const setup = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {team: ops}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: "nginx:1.27", ports: [{name: http, containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-headless, namespace: shop}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: orphan, namespace: shop}
spec:
  selector: {app: web-frontend}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop}
spec:
  containers: [{name: shell, image: "busybox:1.36", command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: toolbox, namespace: ops}
spec:
  containers: [{name: shell, image: "busybox:1.36", command: [sleep, infinity]}]
`;

describe('services and the cluster network through the real kubectl', () => {
  let harness: KubectlHarness;
  const exec = (pod: string, namespace: string, ...command: string[]) => harness.kubectl(['exec', '-n', namespace, pod, '--', ...command]);
  const podIps = async () => JSON.parse(await harness.ok(['get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'json'])).items.map((pod: any) => pod.status.podIP).filter(Boolean).sort();

  beforeAll(async () => {
    harness = await startHarness();
    await harness.ok(['apply', '-f', '-'], { input: setup });
    await harness.ok(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s']);
    await harness.ok(['wait', '--for=condition=Ready', 'pod/client', '-n', 'shop', '--timeout=20s']);
    await harness.ok(['wait', '--for=condition=Ready', 'pod/toolbox', '-n', 'ops', '--timeout=20s']);
  });
  afterAll(() => harness?.close());

  it('lists ready pod IPs in Endpoints and EndpointSlices, and describe service shows them', async () => {
    const ips = await podIps();
    expect(ips).toHaveLength(2);
    const endpoints = await waitFor(async () => {
      const text = await harness.ok(['get', 'endpoints', 'web', '-n', 'shop', '--no-headers']);
      return ips.every((ip: string) => text.includes(`${ip}:80`)) && text;
    });
    expect(endpoints).toMatch(/^web\s+10\.244\.\d+\.\d+:80,10\.244\.\d+\.\d+:80\s+\d+s\n$/);
    const slice = await harness.ok(['get', 'endpointslices', '-n', 'shop', '-l', 'kubernetes.io/service-name=web', '--no-headers']);
    expect(slice).toMatch(/^web-[a-z0-9]{5}\s+IPv4\s+80\s+10\.244\.\d+\.\d+,10\.244\.\d+\.\d+\s+\d+s\n$/);
    const sliceObject = JSON.parse(await harness.ok(['get', 'endpointslices', '-n', 'shop', '-l', 'kubernetes.io/service-name=web', '-o', 'json'])).items[0];
    expect(sliceObject.metadata.ownerReferences[0]).toMatchObject({ kind: 'Service', name: 'web', controller: true });
    expect(sliceObject.metadata.labels['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
    expect(sliceObject.ports).toEqual([{ name: 'http', port: 80, protocol: 'TCP' }]);
    expect(sliceObject.endpoints[0]).toMatchObject({ conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: 'shop' } });
    const described = await harness.ok(['describe', 'service', 'web', '-n', 'shop']);
    expect(described).toMatch(new RegExp(`Endpoints:\\s+${ips.map((ip: string) => `${ip.replace(/\./g, '\\.')}:80`).join(',')}\\n`));
    expect(described).toMatch(/TargetPort:\s+http\/TCP/);

    expect(await harness.ok(['get', 'endpoints', 'orphan', '-n', 'shop', '--no-headers'])).toMatch(/^orphan\s+<none>\s+/);
    expect(await harness.ok(['get', 'endpointslices', '-n', 'shop', '-l', 'kubernetes.io/service-name=orphan', '--no-headers'])).toMatch(/^orphan-[a-z0-9]{5}\s+IPv4\s+<unset>\s+<unset>\s+/);
    expect(await harness.ok(['describe', 'service', 'orphan', '-n', 'shop'])).toMatch(/Endpoints:\s*\n/);
  });

  it('follows the pods: scaling adds and removes addresses, deleting the Service removes its endpoints', async () => {
    await harness.ok(['scale', 'deployment/web', '-n', 'shop', '--replicas=3']);
    await waitFor(async () => (await harness.ok(['get', 'endpoints', 'web', '-n', 'shop', '-o', 'jsonpath={.subsets[0].addresses[*].ip}'])).split(' ').length === 3);
    await harness.ok(['scale', 'deployment/web', '-n', 'shop', '--replicas=2']);
    await waitFor(async () => (await harness.ok(['get', 'endpoints', 'web', '-n', 'shop', '-o', 'jsonpath={.subsets[0].addresses[*].ip}'])).split(' ').length === 2);
    await harness.ok(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Service\nmetadata: {name: temp, namespace: shop}\nspec:\n  selector: {app: web}\n  ports: [{port: 8080, targetPort: 80}]\n' });
    await waitFor(async () => /:80/.test(await harness.ok(['get', 'endpoints', 'temp', '-n', 'shop', '--no-headers'])));
    await harness.ok(['delete', 'service', 'temp', '-n', 'shop']);
    await waitFor(async () => (await harness.kubectl(['get', 'endpoints', 'temp', '-n', 'shop'])).stderr.includes('endpoints "temp" not found'));
    await waitFor(async () => (await harness.ok(['get', 'endpointslices', '-n', 'shop', '-l', 'kubernetes.io/service-name=temp', '-o', 'name'])) === '');
  });

  it('resolves Service names and ClusterIPs from a pod and reaches a ready backend', async () => {
    const clusterIp = await harness.ok(['get', 'service', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.clusterIP}']);
    for (const name of ['web', 'web.shop', 'web.shop.svc.cluster.local']) {
      const lookup = await exec('client', 'shop', 'nslookup', name);
      expect(lookup.stdout).toBe(`Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb.shop.svc.cluster.local\nAddress: ${clusterIp}\n\n`);
    }
    const headless = await exec('client', 'shop', 'nslookup', 'web-headless');
    for (const ip of await podIps()) expect(headless.stdout).toContain(`Address: ${ip}\n`);
    expect((await exec('client', 'shop', 'wget', '-qO-', 'http://web')).stdout).toContain('<title>Welcome to nginx!</title>');
    expect((await exec('client', 'shop', 'wget', '-qO-', `http://${clusterIp}/`)).stdout).toContain('<title>Welcome to nginx!</title>');
    expect((await exec('toolbox', 'ops', 'wget', '-qO-', 'http://web.shop')).stdout).toContain('<title>Welcome to nginx!</title>');

    const unknown = await exec('client', 'shop', 'nslookup', 'nosuch');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain("** server can't find nosuch.shop.svc.cluster.local: NXDOMAIN");
    const badAddress = await exec('client', 'shop', 'wget', '-qO-', 'http://nosuch');
    expect(badAddress).toMatchObject({ code: 1, stderr: expect.stringContaining("wget: bad address 'nosuch'") });
    const noEndpoints = await exec('client', 'shop', 'wget', '-qO-', 'http://orphan');
    expect(noEndpoints.stderr).toContain(`wget: can't connect to remote host (`);
    expect(noEndpoints.stderr).toContain('): Connection refused');
    const wrongPort = await exec('client', 'shop', 'wget', '-qO-', '-T', '1', 'http://web:8080');
    expect(wrongPort).toMatchObject({ code: 1, stderr: expect.stringContaining('wget: download timed out') });
    const notFound = await exec('client', 'shop', 'wget', '-qO-', 'http://web/missing');
    expect(notFound.stderr).toContain('wget: server returned error: HTTP/1.1 404 Not Found');
    // nginx logged the request, with the client pod's IP.
    const clientIp = await harness.ok(['get', 'pod', 'client', '-n', 'shop', '-o', 'jsonpath={.status.podIP}']);
    await waitFor(async () => (await harness.ok(['logs', '-n', 'shop', '-l', 'app=web', '--tail=-1'])).includes(`${clientIp} - - [`));
  });

  it('honours NetworkPolicies: default deny, then allow by pod label, namespace and port; egress rules cover DNS', async () => {
    await harness.ok(['apply', '-f', '-'], { input: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n' });
    const blocked = await exec('client', 'shop', 'wget', '-qO-', '-T', '1', 'http://web');
    expect(blocked).toMatchObject({ code: 1, stderr: expect.stringContaining('wget: download timed out') });
    expect((await exec('client', 'shop', 'nc', '-z', '-w', '1', 'web', '80')).code).toBe(1);

    await harness.ok(['apply', '-f', '-'], {
      input: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: client}}}]
    ports: [{port: http}]
  - from: [{namespaceSelector: {matchLabels: {team: ops}}}]
    ports: [{port: 80, protocol: TCP}]
`,
    });
    expect((await exec('client', 'shop', 'wget', '-qO-', '-T', '1', 'http://web')).code).toBe(1);
    await harness.ok(['label', 'pod', 'client', '-n', 'shop', 'role=client']);
    expect((await exec('client', 'shop', 'wget', '-qO-', '-T', '1', 'http://web')).stdout).toContain('Welcome to nginx!');
    expect((await exec('toolbox', 'ops', 'wget', '-qO-', '-T', '1', 'http://web.shop')).stdout).toContain('Welcome to nginx!');
    await harness.ok(['label', 'namespace', 'ops', 'team-']);
    expect((await exec('toolbox', 'ops', 'wget', '-qO-', '-T', '1', 'http://web.shop')).stderr).toContain('wget: download timed out');

    await harness.ok(['apply', '-f', '-'], { input: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-egress, namespace: shop}\nspec:\n  podSelector: {matchLabels: {role: client}}\n  policyTypes: [Egress]\n' });
    const noDns = await exec('client', 'shop', 'nslookup', 'web');
    expect(noDns).toMatchObject({ code: 1, stdout: ';; connection timed out; no servers could be reached\n\n' });
    await harness.ok(['apply', '-f', '-'], {
      input: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {role: client}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}]
  - to: [{podSelector: {matchLabels: {app: web}}}]
`,
    });
    expect((await exec('client', 'shop', 'wget', '-qO-', '-T', '1', 'http://web')).stdout).toContain('Welcome to nginx!');
  });
});
