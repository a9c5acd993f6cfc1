/**
 * Who set a changed field back: a HorizontalPodAutoscaler targeting the workload (for replicas), else the field
 * manager that last wrote the field (managedFields: "argocd-controller", "kustomize-controller", an operator…).
 */
import type { KubeHttp } from '../kube/create-kube-http.ts';

/** Field managers that are us (the change itself, or kubectl rollout undo run by our tools). */
const ownManagers = new Set(['skyflo', 'kubectl-rollout']);

export async function nameRevertingController(options: {
  http: KubeHttp;
  object: Record<string, any>;
  kind: string;
  namespace?: string;
  name: string;
  /** which field moved: replicas (an HPA's job), or anything else */
  field: 'replicas' | 'template' | 'other';
  signal: AbortSignal;
}): Promise<string | undefined> {
  const { http, object, kind, namespace, name } = options;
  if (options.field === 'replicas' && namespace) {
    for (const version of ['v2', 'v1']) {
      try {
        const list = await http.json<{ items?: Array<Record<string, any>> }>({ path: `/apis/autoscaling/${version}/namespaces/${namespace}/horizontalpodautoscalers`, signal: options.signal });
        const hpa = (list.items ?? []).find((item) => item.spec?.scaleTargetRef?.kind === kind && item.spec?.scaleTargetRef?.name === name);
        if (hpa) return `HorizontalPodAutoscaler ${namespace}/${hpa.metadata?.name}`;
        break;
      } catch {
        // autoscaling/v2 not served (a very old cluster): try v1
      }
    }
  }
  const manager = lastManagerOf(object, options.field);
  return manager ? `field manager "${manager}"` : undefined;
}

/** The most recent manager (not us) owning the field, or owning anything under spec when we cannot tell. */
export function lastManagerOf(object: Record<string, any>, field: 'replicas' | 'template' | 'other'): string | undefined {
  const entries = ((object.metadata?.managedFields ?? []) as Array<Record<string, any>>)
    .filter((entry) => entry.manager && !ownManagers.has(entry.manager))
    .sort((a, b) => Date.parse(b.time ?? '') - Date.parse(a.time ?? ''));
  const owns = (entry: Record<string, any>) => {
    const spec = entry.fieldsV1?.['f:spec'];
    if (!spec) return false;
    if (field === 'replicas') return 'f:replicas' in spec;
    if (field === 'template') return 'f:template' in spec;
    return true;
  };
  return (entries.find(owns) ?? entries.find((entry) => entry.fieldsV1?.['f:spec']))?.manager;
}

/**
 * The most recent manager (not us) whose managedFields own the field at `segments` (strings are keys, {name} a list
 * item by name), else the most recent one that wrote anything but status.
 */
export function managerOfField(object: Record<string, any>, segments: Array<string | { name: string }>): string | undefined {
  const entries = ((object.metadata?.managedFields ?? []) as Array<Record<string, any>>)
    .filter((entry) => entry.manager && !ownManagers.has(entry.manager) && entry.subresource !== 'status')
    .sort((a, b) => Date.parse(b.time ?? '') - Date.parse(a.time ?? ''));
  const owns = (entry: Record<string, any>) => {
    let fields: any = entry.fieldsV1;
    for (const segment of segments) {
      if (!fields || typeof fields !== 'object') return false;
      fields = typeof segment === 'string' ? fields[`f:${segment}`] : Object.entries(fields).find(([key]) => key.startsWith('k:') && key.includes(`"name":${JSON.stringify(segment.name)}`))?.[1];
    }
    return fields !== undefined;
  };
  return (entries.find(owns) ?? entries[0])?.manager;
}
