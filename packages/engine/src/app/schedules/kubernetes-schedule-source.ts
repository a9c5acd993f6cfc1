/**
 * The SkyfloSchedule objects of one namespace, read with the engine's own identity (@kubernetes/client-node): the
 * kubeconfig the engine is given (KUBECONFIG), or the in-cluster ServiceAccount, which the chart lets get and list
 * skyfloschedules in the install's namespace and nothing more (templates/engine-rbac.yaml).
 */
import type { ScheduleObjectSource } from './cluster-schedules.ts';
import { loadOwnKubeConfig } from '../../platform/config/own-kube-config.ts';

export async function createKubernetesScheduleSource(options: { namespace: string; kubeconfigPath?: string }): Promise<ScheduleObjectSource> {
  const { kubeConfig, kube } = await loadOwnKubeConfig(options.kubeconfigPath);
  const objects = kubeConfig.makeApiClient(kube.CustomObjectsApi);
  return {
    async list() {
      const listed = (await objects.listNamespacedCustomObject({ group: 'skyflo.ai', version: 'v1alpha1', namespace: options.namespace, plural: 'skyfloschedules' })) as { items?: unknown[] };
      return listed.items ?? [];
    },
  };
}
