/**
 * In a pod that is also given a kubeconfig (issue 22): the pod's own identity is one more cluster, "in-cluster", next
 * to the kubeconfig's contexts; the kubeconfig's current context stays the default. kubectl, which would not fall back
 * to the pod's identity when a kubeconfig is given, gets a generated kubeconfig that holds only paths (token and CA
 * files), never the token. The pod is faked as in in-cluster-identity.test.ts: a service-account directory with the
 * admin token of a kube-sim serving HTTPS, and its certificate as the CA bundle.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import { createToolDeps } from '../../src/create-tool-deps.ts';
import { clusterRegistryOf } from '../../src/kube/context-deps.ts';
import { allTools } from '../../src/catalogue.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';

let podSim: KubeSim;
let fileSim: KubeSim;
let directory: string;
let deps: ToolDeps;
const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, dir: process.env.SKYFLO_SERVICE_ACCOUNT_DIR };

async function serverCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(`-----BEGIN CERTIFICATE-----\n${raw.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`);
    });
    socket.once('error', reject);
  });
}

const call = (name: string, input: Record<string, unknown>) => runTool(allTools.find((tool) => tool.name === name)!, input, deps, { signal: new AbortController().signal });

beforeAll(async () => {
  [podSim, fileSim] = await Promise.all([startKubeSim({ tls: true, workloads: false }), startKubeSim({ workloads: false })]);
  directory = mkdtempSync(path.join(tmpdir(), 'skyflo-pod-and-file-'));
  process.env.KUBECACHEDIR = path.join(directory, 'cache');
  const serviceAccountDir = path.join(directory, 'serviceaccount');
  mkdirSync(serviceAccountDir);
  writeFileSync(path.join(serviceAccountDir, 'token'), podSim.adminToken);
  writeFileSync(path.join(serviceAccountDir, 'ca.crt'), await serverCertificate(podSim.port));
  writeFileSync(path.join(serviceAccountDir, 'namespace'), 'kube-system\n');
  Object.assign(process.env, { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(podSim.port), SKYFLO_SERVICE_ACCOUNT_DIR: serviceAccountDir });
  const kubeconfigPath = path.join(directory, 'kubeconfig');
  fileSim.writeKubeconfig(kubeconfigPath);
  deps = createToolDeps({ kubeconfigPath, kubectlPath, helmPath });
  // something only the pod's cluster has
  podSim.cluster.store.create(podSim.cluster.registry.byResource('', 'configmaps')!, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'only-in-pod-cluster', namespace: 'kube-system' }, data: { a: 'b' } });
}, 60_000);

afterAll(async () => {
  for (const [key, value] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port], ['SKYFLO_SERVICE_ACCOUNT_DIR', saved.dir]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await Promise.all([podSim?.close(), fileSim?.close()]);
  if (directory) rmSync(directory, { recursive: true, force: true });
});

it('lists the kubeconfig context (current) and in-cluster, and runs API and kubectl calls on the pod\'s cluster when named', async () => {
  const clusters = (await call('list_clusters', {})).structured?.['clusters'] as Array<Record<string, unknown>>;
  expect(clusters.map((cluster) => [cluster['name'], cluster['current'], cluster['reachable'], cluster['default_namespace']])).toEqual([
    ['kube-sim', true, true, 'default'],
    ['in-cluster', false, true, 'kube-system'],
  ]);
  // the API client (k8s_get) and kubectl (k8s_describe) both reach the pod's cluster
  expect((await call('k8s_get', { resource_type: 'configmaps', context: 'in-cluster' })).text).toContain('only-in-pod-cluster');
  const described = await call('k8s_describe', { resource_type: 'configmap', name: 'only-in-pod-cluster', context: 'in-cluster' });
  expect(described.isError, described.text).toBeFalsy();
  expect(described.text).toContain('only-in-pod-cluster');
  // and without context, the kubeconfig's current context, which does not have it
  expect((await call('k8s_get', { resource_type: 'configmaps', namespace: 'kube-system' })).text).not.toContain('only-in-pod-cluster');
  // what kubectl was given names the token file, never the token
  const generated = clusterRegistryOf(deps).invocationFor('in-cluster').kubeconfigPath!;
  const text = readFileSync(generated, 'utf8');
  expect(text).toContain(path.join(process.env.SKYFLO_SERVICE_ACCOUNT_DIR!, 'token'));
  expect(text).not.toContain(podSim.adminToken);
});
