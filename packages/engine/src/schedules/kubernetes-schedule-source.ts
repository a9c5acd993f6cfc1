/**
 * The SkyfloSchedule objects of one namespace, read with the engine's own identity (@kubernetes/client-node): the
 * kubeconfig the engine is given (KUBECONFIG), or the in-cluster ServiceAccount, which the chart lets get and list
 * skyfloschedules in the install's namespace and nothing more (templates/engine-rbac.yaml).
 */
import type { ScheduleObjectSource } from './cluster-schedules.ts';

export async function createKubernetesScheduleSource(options: { namespace: string; kubeconfigPath?: string }): Promise<ScheduleObjectSource> {
  const { CustomObjectsApi, KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  if (options.kubeconfigPath) kubeConfig.loadFromFile(options.kubeconfigPath);
  else kubeConfig.loadFromDefault();
  const objects = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    async list() {
      const listed = (await objects.listNamespacedCustomObject({ group: 'skyflo.ai', version: 'v1alpha1', namespace: options.namespace, plural: 'skyfloschedules' })) as { items?: unknown[] };
      return listed.items ?? [];
    },
  };
}
