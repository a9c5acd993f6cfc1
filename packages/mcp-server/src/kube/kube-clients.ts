/**
 * The per-KubeConfig API plumbing tools share: one HTTP client (one keep-alive agent) and one discovery
 * cache. Memoised on the KubeConfig instance, so tools built from the same ToolDeps reuse connections
 * while separate servers (tests, embedded vs standalone) stay isolated.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeHttp, type KubeHttp } from './create-kube-http.ts';
import { createDiscovery, type Discovery } from './create-discovery.ts';
import { dryRunProxyFor } from './dry-run-proxy.ts';

export interface KubeClients {
  http: KubeHttp;
  discovery: Discovery;
  /** the context's default namespace (or "default") */
  defaultNamespace: string;
}

const clientsByConfig = new WeakMap<KubeConfig, KubeClients>();

export function kubeClientsFor(kubeConfig: KubeConfig): KubeClients {
  let clients = clientsByConfig.get(kubeConfig);
  if (!clients) {
    const http = createKubeHttp(kubeConfig, { dryRunProxy: dryRunProxyFor(kubeConfig) });
    const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
    clients = { http, discovery: createDiscovery(http), defaultNamespace: context?.namespace || 'default' };
    clientsByConfig.set(kubeConfig, clients);
  }
  return clients;
}
