/**
 * Argo Rollouts without the kubectl plugin: reads and patches the argoproj.io/v1alpha1 resources the
 * way kubectl-argo-rollouts does, over the shared keep-alive Kubernetes HTTP client.
 */
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { KubeHttp } from '../../kube/create-kube-http.ts';
import { KubeApiError } from '../../kube/kube-api-error.ts';
import { kubeClientsFor } from '../../kube/kube-clients.ts';
import type { ObjectMeta } from '@skyflo/protocol';
import type { ToolDeps } from '../../deps/deps.ts';

export const argoGroupVersion = 'argoproj.io/v1alpha1';

/** An Argo custom resource as read from the API: the protocol's object shape, whose spec and status the tools read freely. */
export type KubeObjectLike = { apiVersion?: string; kind?: string; metadata: ObjectMeta; spec?: any; status?: any };

export type ArgoPlural = 'rollouts' | 'experiments' | 'analysisruns';

function collectionPath(plural: ArgoPlural, namespace?: string): string {
  return namespace ? `/apis/${argoGroupVersion}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `/apis/${argoGroupVersion}/${plural}`;
}

export function rolloutPath(namespace: string, name: string, subresource?: 'status'): string {
  return `${collectionPath('rollouts', namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

export interface RolloutRef {
  name: string;
  namespace: string;
}

export function validateRef(input: { name: string; namespace: string }): RolloutRef {
  assertSafeName('name', input.name);
  assertSafeName('namespace', input.namespace);
  return { name: input.name, namespace: input.namespace };
}

export function kubeHttp(deps: ToolDeps): KubeHttp {
  return kubeClientsFor(deps.kubeConfig).http;
}

/** A 404 means either "no such rollout" or "no such API"; the second needs a different fix, so tell them apart. */
async function explainNotFound(deps: ToolDeps, what: string, signal?: AbortSignal): Promise<ToolInputError> {
  const api = await kubeHttp(deps).request({ path: `/apis/${argoGroupVersion}`, signal });
  if (api.status === 404) return crdsMissing();
  return new ToolInputError(`${what} was not found.`, { hint: 'list rollouts with argo_list_rollouts (check the namespace and spelling)', code: 'NOT_FOUND' });
}

export function crdsMissing(): ToolInputError {
  return new ToolInputError('Argo Rollouts CRDs are not installed in this cluster (the argoproj.io/v1alpha1 API is not served).', {
    hint: 'install Argo Rollouts (kubectl apply -n argo-rollouts -f https://github.com/argoproj/argo-rollouts/releases/latest/download/install.yaml), or use the k8s_* tools for plain Deployments',
    code: 'NOT_FOUND',
  });
}

export async function getRollout(deps: ToolDeps, ref: RolloutRef, signal?: AbortSignal): Promise<KubeObjectLike> {
  try {
    return await kubeHttp(deps).json<KubeObjectLike>({ path: rolloutPath(ref.namespace, ref.name), signal });
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) throw await explainNotFound(deps, `Rollout "${ref.name}" in namespace "${ref.namespace}"`, signal);
    throw error;
  }
}

export async function listArgo(deps: ToolDeps, plural: ArgoPlural, namespace: string | undefined, signal?: AbortSignal): Promise<KubeObjectLike[]> {
  try {
    const list = await kubeHttp(deps).json<{ items?: KubeObjectLike[] }>({ path: collectionPath(plural, namespace), signal });
    return list.items ?? [];
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) throw crdsMissing();
    throw error;
  }
}

export async function mergePatchRollout(deps: ToolDeps, ref: RolloutRef, patch: unknown, signal?: AbortSignal): Promise<KubeObjectLike> {
  return kubeHttp(deps).json<KubeObjectLike>({
    method: 'PATCH',
    path: rolloutPath(ref.namespace, ref.name),
    body: patch,
    contentType: 'application/merge-patch+json',
    signal,
  });
}

/**
 * Patches status through the status subresource, as the plugin does since Rollouts v0.10 (the controller
 * ignores status written through the main resource there). Like the plugin, falls back to one patch of
 * the main resource when the subresource is missing (a v0.9-style CRD).
 */
export async function patchRolloutStatus(
  deps: ToolDeps,
  ref: RolloutRef,
  statusPatch: Record<string, unknown>,
  unifiedPatch: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<{ usedUnified: boolean; rollout: KubeObjectLike }> {
  try {
    const rollout = await kubeHttp(deps).json<KubeObjectLike>({
      method: 'PATCH',
      path: rolloutPath(ref.namespace, ref.name, 'status'),
      body: statusPatch,
      contentType: 'application/merge-patch+json',
      signal,
    });
    return { usedUnified: false, rollout };
  } catch (error) {
    if (!(error instanceof KubeApiError && error.status === 404)) throw error;
    return { usedUnified: true, rollout: await mergePatchRollout(deps, ref, unifiedPatch, signal) };
  }
}

/** Replaces the whole object (resourceVersion makes it fail on a concurrent change instead of overwriting it). */
export async function replaceRollout(deps: ToolDeps, rollout: KubeObjectLike, signal?: AbortSignal): Promise<KubeObjectLike> {
  return kubeHttp(deps).json<KubeObjectLike>({
    method: 'PUT',
    path: rolloutPath(rollout.metadata.namespace ?? 'default', rollout.metadata.name),
    body: rollout,
    signal,
  });
}

/** The rollout named by the input and the ReplicaSets it owns (newest first): what status, describe, history and undo read. */
export async function loadRollout(deps: ToolDeps, input: { name: string; namespace: string }, signal?: AbortSignal): Promise<{ ref: RolloutRef; rollout: KubeObjectLike; replicaSets: KubeObjectLike[] }> {
  const ref = validateRef(input);
  const rollout = await getRollout(deps, ref, signal);
  return { ref, rollout, replicaSets: await ownedReplicaSets(deps, rollout, signal) };
}

/** ReplicaSets the rollout owns, newest revision first. */
export async function ownedReplicaSets(deps: ToolDeps, rollout: KubeObjectLike, signal?: AbortSignal): Promise<KubeObjectLike[]> {
  const namespace = rollout.metadata.namespace ?? 'default';
  const list = await kubeHttp(deps).json<{ items?: KubeObjectLike[] }>({ path: `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/replicasets`, signal });
  return (list.items ?? [])
    .filter((replicaSet) =>
      (replicaSet.metadata.ownerReferences ?? []).some(
        (owner) => owner.kind === 'Rollout' && (owner.uid === rollout.metadata.uid || (!owner.uid && owner.name === rollout.metadata.name)),
      ),
    )
    .sort((a, b) => revisionOf(b) - revisionOf(a));
}

export function revisionOf(object: KubeObjectLike): number {
  return Number(object.metadata.annotations?.['rollout.argoproj.io/revision'] ?? 0) || 0;
}

/** The label Argo Rollouts adds to pod templates of its ReplicaSets. */
export const podTemplateHashLabel = 'rollouts-pod-template-hash';
