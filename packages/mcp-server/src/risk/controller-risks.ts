/**
 * MANAGED_BY_CONTROLLER: whether something else owns what a call changes and will put it back — an autoscaler
 * (HPA) that owns a workload's replicas, a GitOps tool (Argo CD, Flux) that syncs the object from Git, or an owning
 * controller (a Deployment owns its ReplicaSets). An approver who does not know this approves a change that is
 * reverted a minute later while the chat still says it was done.
 *
 * Unlike the pure rules in assess-tool-call-risks.ts this reads the cluster (the target object and the HPAs of its
 * namespace), so it runs in preview_tool_call. It never fails a preview: a read that fails adds no flag.
 */
import type { RiskFlag } from '@skyflo/protocol';
import { resourcePath, type Discovery } from '../kube/create-discovery.ts';
import type { KubeHttp } from '../kube/create-kube-http.ts';
import { ownsReplicas } from '../kube/replica-owner.ts';

export interface ClusterReader {
  http: Pick<KubeHttp, 'json'>;
  discovery: Pick<Discovery, 'resolve'>;
  defaultNamespace: string;
}

type Arguments = Record<string, unknown>;
type KubeObject = { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: Array<{ kind?: string; name?: string; controller?: boolean }> }; spec?: Record<string, any> };

/** The object a tool's call changes, and whether the change touches replica counts (what an HPA owns). */
interface Target {
  resourceType: string;
  name: string;
  namespace: string | undefined;
  touchesReplicas: boolean;
  /** "undo this" for a change, "recreate it" for a delete */
  undo: string;
  /** the replica count the call sets, when it says (a scale) */
  replicas?: number;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

const targets: Record<string, (args: Arguments) => Target | undefined> = {
  k8s_scale: (args) => {
    const found = target(args['resource_type'], args['name'], args['namespace'], true, 'will undo this');
    const replicas = Number(args['replicas']);
    return found && Number.isInteger(replicas) ? { ...found, replicas } : found;
  },
  k8s_patch: (args) => target(args['resource_type'], args['name'], args['namespace'], /replicas/.test(text(args['patch']) ?? ''), 'will undo this'),
  k8s_set_image: (args) => target(args['resource_type'], args['resource_name'], args['namespace'], false, 'will undo this'),
  k8s_delete: (args) => target(args['resource_type'], args['name'], args['namespace'], false, 'will recreate it'),
  argo_set_image: (args) => target('rollouts.argoproj.io', args['name'], args['namespace'], false, 'will undo this'),
};

function target(resourceType: unknown, name: unknown, namespace: unknown, touchesReplicas: boolean, undo: string): Target | undefined {
  const type = text(resourceType);
  const objectName = text(name);
  return type && objectName ? { resourceType: type, name: objectName, namespace: text(namespace), touchesReplicas, undo } : undefined;
}

/** Whether preview_tool_call should look for controllers of this tool's target. */
export function hasControllerCheck(tool: string): boolean {
  return tool in targets;
}

async function readOrUndefined<T>(reader: ClusterReader, path: string, signal?: AbortSignal): Promise<T | undefined> {
  try {
    return await reader.http.json<T>({ path, signal });
  } catch {
    return undefined; // missing, forbidden, or an API the cluster does not serve: nothing to say
  }
}

interface Hpa {
  metadata?: { name?: string };
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; minReplicas?: number; maxReplicas?: number };
}

async function hpaFlags(reader: ClusterReader, kind: string, name: string, namespace: string, replicas: number | undefined, signal?: AbortSignal): Promise<RiskFlag[]> {
  const list =
    (await readOrUndefined<{ items?: Hpa[] }>(reader, `/apis/autoscaling/v2/namespaces/${encodeURIComponent(namespace)}/horizontalpodautoscalers`, signal)) ??
    (await readOrUndefined<{ items?: Hpa[] }>(reader, `/apis/autoscaling/v1/namespaces/${encodeURIComponent(namespace)}/horizontalpodautoscalers`, signal));
  return (list?.items ?? [])
    .filter((hpa) => hpa.spec?.scaleTargetRef?.kind === kind && hpa.spec.scaleTargetRef.name === name)
    .map((hpa) => {
      const range = `min ${hpa.spec?.minReplicas ?? 1}, max ${hpa.spec?.maxReplicas ?? '?'}`;
      // Scaled to 0 (minReplicas not 0), the HPA turns itself off rather than scaling back up, as the verification
      // predicts too (kube/replica-owner.ts): the count holds, and autoscaling stays off until someone scales it up.
      const turnedOff = replicas !== undefined && !ownsReplicas({ minReplicas: Number(hpa.spec?.minReplicas ?? 1) }, replicas);
      return {
        code: 'MANAGED_BY_CONTROLLER',
        severity: 'medium' as const,
        message: turnedOff
          ? `HPA ${hpa.metadata?.name ?? '?'} (${range}) stops autoscaling ${kind} ${namespace}/${name} while it has 0 replicas: it stays at 0, and the HPA is off until it is scaled up again.`
          : `HPA ${hpa.metadata?.name ?? '?'} owns replicas (${range}) and will undo this.`,
      };
    });
}

/** Argo CD and Flux mark what they sync with labels or annotations; either will put the Git version back. */
function gitOpsFlags(object: KubeObject, label: string, undo: string): RiskFlag[] {
  const labels = object.metadata?.labels ?? {};
  const annotations = object.metadata?.annotations ?? {};
  const flags: RiskFlag[] = [];
  const argoApp = labels['argocd.argoproj.io/instance'] ?? annotations['argocd.argoproj.io/tracking-id']?.split(':')[0];
  if (argoApp) {
    flags.push({ code: 'MANAGED_BY_CONTROLLER', severity: 'medium', message: `Argo CD application ${argoApp} manages ${label} and, with self-heal on, ${undo} on its next sync; change it in Git instead.` });
  }
  const fluxKustomization = labels['kustomize.toolkit.fluxcd.io/name'];
  if (fluxKustomization) {
    const namespace = labels['kustomize.toolkit.fluxcd.io/namespace'];
    flags.push({ code: 'MANAGED_BY_CONTROLLER', severity: 'medium', message: `Flux Kustomization ${namespace ? `${namespace}/` : ''}${fluxKustomization} manages ${label} and ${undo} on its next reconcile; change it in Git instead.` });
  }
  const fluxRelease = labels['helm.toolkit.fluxcd.io/name'];
  if (fluxRelease) {
    const namespace = labels['helm.toolkit.fluxcd.io/namespace'];
    flags.push({ code: 'MANAGED_BY_CONTROLLER', severity: 'medium', message: `Flux HelmRelease ${namespace ? `${namespace}/` : ''}${fluxRelease} manages ${label} and ${undo} on its next reconcile; change it in Git instead.` });
  }
  return flags;
}

function ownerFlags(object: KubeObject, label: string, undo: string): RiskFlag[] {
  return (object.metadata?.ownerReferences ?? [])
    .filter((owner) => owner.controller === true && owner.kind && owner.name)
    .map((owner) => ({ code: 'MANAGED_BY_CONTROLLER', severity: 'medium' as const, message: `${owner.kind} ${owner.name} controls ${label} and ${undo}.` }));
}

/** The MANAGED_BY_CONTROLLER flags of a call ([] for tools without a target, or when nothing manages it). */
export async function assessControllerRisks(reader: ClusterReader, tool: string, args: Arguments, signal?: AbortSignal): Promise<RiskFlag[]> {
  const found = targets[tool]?.(args ?? {});
  if (!found) return [];
  let info;
  try {
    info = await reader.discovery.resolve(found.resourceType);
  } catch {
    return [];
  }
  const namespace = info.namespaced ? (found.namespace ?? reader.defaultNamespace) : undefined;
  const object = await readOrUndefined<KubeObject>(reader, resourcePath(info, { namespace, name: found.name }), signal);
  if (!object) return [];
  const label = `${info.kind} ${namespace ? `${namespace}/` : ''}${found.name}`;
  return [
    ...(found.touchesReplicas && namespace ? await hpaFlags(reader, info.kind, found.name, namespace, found.replicas, signal) : []),
    ...gitOpsFlags(object, label, found.undo),
    ...ownerFlags(object, label, found.undo),
  ];
}
