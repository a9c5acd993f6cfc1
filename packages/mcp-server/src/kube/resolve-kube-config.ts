/**
 * Which cluster identity the MCP server uses when none is named on the command line. Why not client-node's
 * loadFromDefault: when it finds nothing it quietly falls back to http://localhost:8080, so the server starts
 * "healthy" and every tool then fails with "HTTP protocol is not allowed when skipTLSVerify is not set", which names
 * neither the missing file nor the fix. Order here:
 *   1. an explicit kubeconfig (--kubeconfig, or KUBECONFIG): it must exist;
 *   2. in a pod (KUBERNETES_SERVICE_HOST is set and the service-account token is mounted): the pod's own identity;
 *   3. ~/.kube/config;
 *   4. otherwise an error naming every place looked at and what to do.
 * Type-only import: @kubernetes/client-node is loaded lazily by the caller (see create-tool-deps.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';

/** Where Kubernetes mounts a pod's service-account token, CA bundle and namespace. */
export const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ResolveKubeConfigOptions {
  /** --kubeconfig (main.ts also passes the first KUBECONFIG entry here) */
  kubeconfigPath?: string | undefined;
  /** default process.env; reads KUBERNETES_SERVICE_HOST/PORT and SKYFLO_SERVICE_ACCOUNT_DIR */
  env?: NodeJS.ProcessEnv;
  /** default os.homedir() */
  homeDir?: string;
}

export type KubeConfigSource = { kind: 'file'; path: string } | { kind: 'in-cluster'; server: string; serviceAccountDir: string };

export class KubeConfigNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigNotFoundError';
  }
}

/** Loads `kubeConfig` from the first source that applies (see the module comment) and says which one it used. */
export function resolveKubeConfig(kubeConfig: KubeConfig, options: ResolveKubeConfigOptions = {}): KubeConfigSource {
  const env = options.env ?? process.env;
  if (options.kubeconfigPath) {
    if (!existsSync(options.kubeconfigPath)) {
      throw new KubeConfigNotFoundError(`The kubeconfig ${options.kubeconfigPath} does not exist (given by --kubeconfig or KUBECONFIG). Point it at an existing file, or leave both unset to use ~/.kube/config or, in a pod, its service account.`);
    }
    kubeConfig.loadFromFile(options.kubeconfigPath);
    return { kind: 'file', path: options.kubeconfigPath };
  }

  // SKYFLO_SERVICE_ACCOUNT_DIR: the mount path when a pod projects the token elsewhere (and for tests).
  const serviceAccountDir = env.SKYFLO_SERVICE_ACCOUNT_DIR || defaultServiceAccountDir;
  const tokenFile = path.join(serviceAccountDir, 'token');
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host && existsSync(tokenFile)) {
    const server = inClusterServer(host, env.KUBERNETES_SERVICE_PORT || '443');
    const namespaceFile = path.join(serviceAccountDir, 'namespace');
    const caFile = path.join(serviceAccountDir, 'ca.crt');
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'in-cluster', server, skipTLSVerify: false, ...(existsSync(caFile) ? { caFile } : {}) }],
      // the tokenFile provider re-reads the file, so the kubelet's rotation of projected tokens is picked up
      users: [{ name: 'service-account', authProvider: { name: 'tokenFile', config: { tokenFile } } }],
      contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'service-account', ...(existsSync(namespaceFile) ? { namespace: readTrimmed(namespaceFile) } : {}) }],
      currentContext: 'in-cluster',
    });
    return { kind: 'in-cluster', server, serviceAccountDir };
  }

  const homeConfig = path.join(options.homeDir ?? homedir(), '.kube', 'config');
  if (existsSync(homeConfig)) {
    kubeConfig.loadFromFile(homeConfig);
    return { kind: 'file', path: homeConfig };
  }

  const pod = host ? `KUBERNETES_SERVICE_HOST is set but no service-account token is mounted at ${tokenFile} (automountServiceAccountToken: false?)` : `this is not a pod (KUBERNETES_SERVICE_HOST is unset)`;
  throw new KubeConfigNotFoundError(`No kubeconfig found: ${homeConfig} does not exist, KUBECONFIG and --kubeconfig are unset, and ${pod}. Pass --kubeconfig <file>, set KUBECONFIG, or run in a pod with a service account.`);
}

function inClusterServer(host: string, port: string): string {
  // the same rule as client-go and client-node: these ports are the API server's plain-HTTP ones
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function readTrimmed(file: string): string {
  return readFileSync(file, 'utf8').trim();
}
