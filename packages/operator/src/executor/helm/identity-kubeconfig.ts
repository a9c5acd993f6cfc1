/**
 * The executor's own identity as a kubeconfig file for helm (issue 73 item 6): helm reads the cluster with exactly the
 * credentials the executor uses, never the MCP server's. Built from the KubeConfig's current cluster and user, because
 * an in-cluster KubeConfig holds its ServiceAccount token as a `tokenFile` auth provider that helm does not know
 * (kubeconfig's own `tokenFile` field says the same and keeps following token rotation).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export function kubeconfigOfIdentity(kubeConfig: KubeConfig): string {
  const cluster = kubeConfig.getCurrentCluster();
  const user = kubeConfig.getCurrentUser();
  if (!cluster || !user) throw new Error("the executor's KubeConfig has no current cluster or user, so helm cannot run as the executor");
  const tokenFile = user.authProvider?.name === 'tokenFile' ? (user.authProvider.config?.tokenFile as string | undefined) : undefined;
  if (user.authProvider && !tokenFile) throw new Error(`the executor's KubeConfig authenticates with the "${String(user.authProvider.name)}" auth provider, which helm cannot use; give the executor a token, client certificate or exec credential`);
  const entries = <T extends Record<string, unknown>>(value: T) => Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined && entry !== false));
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'executor',
    clusters: [{ name: 'executor', cluster: entries({ server: cluster.server, 'certificate-authority-data': cluster.caData, 'certificate-authority': cluster.caFile, 'insecure-skip-tls-verify': cluster.skipTLSVerify, 'tls-server-name': cluster.tlsServerName, 'proxy-url': cluster.proxyUrl }) }],
    users: [{ name: 'executor', user: entries({ token: user.token, tokenFile, 'client-certificate-data': user.certData, 'client-key-data': user.keyData, 'client-certificate': user.certFile, 'client-key': user.keyFile, exec: user.exec, username: user.username, password: user.password }) }],
    contexts: [{ name: 'executor', context: { cluster: 'executor', user: 'executor' } }],
  });
}
