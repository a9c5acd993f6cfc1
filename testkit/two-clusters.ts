/**
 * Two clusters behind one kubeconfig, for the multi-cluster tests of the CLI and the Command Center: two kube-sims,
 * contexts `staging` (the current one) and `prod-eu`, each running deployment `web` (2 replicas) in namespace
 * `payments`, read and changed with the real kubectl.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim, type StartKubeSimOptions } from '@skyflo/sandbox/kube-sim';
import { kubectlPath } from './tools.ts';

const run = promisify(execFile);

export interface TwoClusters {
  staging: KubeSim;
  prod: KubeSim;
  /** the kubeconfig path (mode 0600: it holds both admin tokens) */
  kubeconfig: string;
  /** the real kubectl on `context` */
  kubectl(context: 'staging' | 'prod-eu', ...args: string[]): Promise<string>;
  /** web's desired replicas in `context` */
  replicas(context: 'staging' | 'prod-eu'): Promise<string>;
}

const workloads = `apiVersion: v1
kind: Namespace
metadata: {name: payments}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: payments}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
`;

/** `dir` holds the kubeconfig, the manifest and kubectl's cache; the caller closes `staging` and `prod`. */
export async function startTwoClusters(dir: string, settings?: StartKubeSimOptions['settings']): Promise<TwoClusters> {
  const [staging, prod] = await Promise.all([startKubeSim({ port: 0, settings }), startKubeSim({ port: 0, settings })]);
  const kubeconfig = path.join(dir, 'kubeconfig');
  // JSON is YAML
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'staging',
      clusters: [
        { name: 'staging', cluster: { server: staging.url, 'insecure-skip-tls-verify': true } },
        { name: 'prod-eu', cluster: { server: prod.url, 'insecure-skip-tls-verify': true } },
      ],
      users: [
        { name: 'staging-admin', user: { token: staging.adminToken } },
        { name: 'prod-admin', user: { token: prod.adminToken } },
      ],
      contexts: [
        { name: 'staging', context: { cluster: 'staging', user: 'staging-admin', namespace: 'default' } },
        { name: 'prod-eu', context: { cluster: 'prod-eu', user: 'prod-admin', namespace: 'default' } },
      ],
    }),
    { mode: 0o600 },
  );
  const kubectl = async (context: string, ...args: string[]) =>
    (await run(kubectlPath, ['--kubeconfig', kubeconfig, '--context', context, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(dir, 'kube-cache') } })).stdout.trim();
  writeFileSync(path.join(dir, 'workloads.yaml'), workloads);
  await kubectl('staging', 'apply', '-f', path.join(dir, 'workloads.yaml'));
  await kubectl('prod-eu', 'apply', '-f', path.join(dir, 'workloads.yaml'));
  return {
    staging,
    prod,
    kubeconfig,
    kubectl,
    replicas: (context) => kubectl(context, 'get', 'deployment', 'web', '-n', 'payments', '-o', 'jsonpath={.spec.replicas}'),
  };
}
