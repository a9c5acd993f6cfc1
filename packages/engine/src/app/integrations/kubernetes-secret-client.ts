/**
 * The engine's own access to integration Secrets (INTEGRATIONS_BACKEND=kubernetes), with @kubernetes/client-node:
 * the kubeconfig the engine is given (KUBECONFIG), or the in-cluster service account.
 */
import type { SecretClient } from './credential-vault.ts';
import { loadOwnKubeConfig } from '../../platform/config/own-kube-config.ts';

export async function createKubernetesSecretClient(options: { kubeconfigPath?: string }): Promise<SecretClient> {
  const { kubeConfig, kube } = await loadOwnKubeConfig(options.kubeconfigPath);
  const { ApiException } = kube;
  const core = kubeConfig.makeApiClient(kube.CoreV1Api);
  const notFound = (error: unknown) => error instanceof ApiException && error.code === 404;
  return {
    async apply(namespace, name, stringData, labels) {
      const body = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace, labels }, stringData };
      try {
        await core.replaceNamespacedSecret({ name, namespace, body });
      } catch (error) {
        if (!notFound(error)) throw error;
        await core.createNamespacedSecret({ namespace, body });
      }
    },
    async read(namespace, name) {
      try {
        const secret = await core.readNamespacedSecret({ name, namespace });
        return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
    async remove(namespace, name) {
      try {
        await core.deleteNamespacedSecret({ name, namespace });
      } catch (error) {
        if (!notFound(error)) throw error;
      }
    },
  };
}
