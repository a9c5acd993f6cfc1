/**
 * Issue 76 item 7: the emergency stop's in-cluster switch — the annotation `skyflo.ai/emergency-stop` (its value the
 * reason) on a SkyfloAI object in the install's namespace (`kubectl annotate skyfloai sky -n skyflo
 * skyflo.ai/emergency-stop="incident 42"`). The executor refuses every mint while it is there (operator, executor/
 * emergency-stop.ts); this is how every engine replica learns it too, read with the engine's own identity (the chart's
 * Role: get/list on skyfloais in that namespace, nothing more).
 *
 * Who may set it: whoever may annotate SkyfloAI objects — cluster administrators, never the engine (which cannot write
 * them, and so cannot lift it either). Read at most once a second (emergency-stop.ts caches it).
 */
import type { KubeObject } from '@skyflo/protocol';
import { loadOwnKubeConfig } from '../../platform/config/own-kube-config.ts';

export const emergencyStopAnnotation = 'skyflo.ai/emergency-stop';

/** A stop the cluster declares: the reason, and the object that carries it ("skyflo/sky"). */
export interface DeclaredStop {
  reason: string;
  object: string;
}

export interface ClusterStopSwitch {
  /** the SkyfloAI object that carries the annotation, if any; throws when the objects cannot be listed */
  read(): Promise<DeclaredStop | undefined>;
  /** where to lift it, for the refusal of a lift through the API */
  readonly namespace: string;
}

export async function createClusterStopSwitch(options: { namespace: string; kubeconfigPath?: string }): Promise<ClusterStopSwitch> {
  const { kubeConfig, kube } = await loadOwnKubeConfig(options.kubeconfigPath);
  const { ApiException } = kube;
  const objects = kubeConfig.makeApiClient(kube.CustomObjectsApi);
  return {
    namespace: options.namespace,
    async read() {
      let listed: { items?: KubeObject[] };
      try {
        listed = (await objects.listNamespacedCustomObject({ group: 'skyflo.ai', version: 'v1', namespace: options.namespace, plural: 'skyfloais' })) as { items?: KubeObject[] };
      } catch (error) {
        // no SkyfloAI kind (an install without the operator): there is no switch
        if (error instanceof ApiException && error.code === 404) return undefined;
        throw error;
      }
      const carrier = (listed.items ?? []).find((object) => typeof object.metadata?.annotations?.[emergencyStopAnnotation] === 'string');
      if (!carrier) return undefined;
      return { reason: carrier.metadata!.annotations![emergencyStopAnnotation]!, object: `${carrier.metadata?.namespace ?? options.namespace}/${carrier.metadata?.name ?? ''}` };
    },
  };
}
