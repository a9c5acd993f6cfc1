/**
 * The engine's own identity in its cluster, for what it reads or keeps there itself (declared schedules, policies,
 * freezes, the emergency stop's annotation, integration Secrets): the kubeconfig it is given (KUBECONFIG), or the
 * in-cluster ServiceAccount, whose Role the chart keeps to exactly those reads (templates/engine-rbac.yaml). Loaded
 * lazily: an install that uses none of these never loads @kubernetes/client-node.
 */
import type { KubeConfig } from '@kubernetes/client-node';

export async function loadOwnKubeConfig(kubeconfigPath: string | undefined): Promise<{ kubeConfig: KubeConfig; kube: typeof import('@kubernetes/client-node') }> {
  const kube = await import('@kubernetes/client-node');
  const kubeConfig = new kube.KubeConfig();
  if (kubeconfigPath) kubeConfig.loadFromFile(kubeconfigPath);
  else kubeConfig.loadFromDefault();
  return { kubeConfig, kube };
}
