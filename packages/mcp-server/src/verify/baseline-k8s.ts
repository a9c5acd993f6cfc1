/**
 * Before-states and inverses of the kubectl tools: read what the call will change (live manifests, replicas, images,
 * the rollout revision) and propose the one call that puts it back. Inverse summaries name objects and counts only —
 * never values, which may be secret.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { KubeApiError } from '../kube/kube-api-error.ts';
import { resourcePath, type ResourceInfo } from '../kube/create-discovery.ts';
import { assertSafeName } from '../exec/flag-guard.ts';
import { parseContainerImages } from '../tools/kubectl/mutations.ts';
import { listRevisions, workloadPath, type RolloutKind } from '../tools/kubectl/rollouts.ts';
import type { ContextDeps } from './cluster-context.ts';

export interface Baseline {
  undoable: boolean;
  reason?: string;
  before?: Record<string, unknown>;
  inverse?: { tool: string; args: Record<string, unknown>; summary: string };
}

type Args = Record<string, any>;

export const notUndoable = (reason: string, before?: Record<string, unknown>): Baseline => ({ undoable: false, reason, ...(before ? { before } : {}) });

async function readLive(context: ContextDeps, path: string, signal: AbortSignal): Promise<Record<string, any> | undefined> {
  try {
    return await context.clients.http.json<Record<string, any>>({ path, signal });
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** A live object as a manifest to apply: without status and the fields the server owns. */
export function cleanManifest(object: Record<string, any>, options: { forCreate?: boolean } = {}): Record<string, any> {
  const copy = structuredClone(object);
  delete copy.status;
  const metadata = copy.metadata ?? {};
  for (const field of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']) delete metadata[field];
  if (metadata.annotations) {
    delete metadata.annotations['deployment.kubernetes.io/revision'];
    delete metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
    if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
  }
  // A re-created Service gets a new cluster IP (the old one may be taken by now).
  if (options.forCreate && copy.kind === 'Service' && copy.spec) {
    delete copy.spec.clusterIP;
    delete copy.spec.clusterIPs;
  }
  return copy;
}

const withContext = (args: Args, inverse: Args): Args => (typeof args.context === 'string' && args.context ? { ...inverse, context: args.context } : inverse);

interface Target {
  info: ResourceInfo;
  namespace?: string;
  name: string;
  path: string;
  /** "deployment shop/web" */
  label: string;
}

async function target(context: ContextDeps, resourceType: string, name: string, namespace: unknown): Promise<Target> {
  assertSafeName('name', name);
  const info = await context.clients.discovery.resolve(resourceType);
  const resolvedNamespace = info.namespaced ? (typeof namespace === 'string' && namespace ? namespace : context.clients.defaultNamespace) : undefined;
  if (resolvedNamespace) assertSafeName('namespace', resolvedNamespace);
  return { info, namespace: resolvedNamespace, name, path: resourcePath(info, { namespace: resolvedNamespace, name }), label: `${info.singular} ${resolvedNamespace ? `${resolvedNamespace}/` : ''}${name}` };
}

export async function baselineK8s(tool: string, args: Args, context: ContextDeps, signal: AbortSignal): Promise<Baseline | undefined> {
  switch (tool) {
    case 'k8s_scale': {
      const at = await target(context, args.resource_type, args.name, args.namespace);
      const live = await readLive(context, at.path, signal);
      if (!live) return notUndoable(`${at.label} does not exist`);
      const replicas = live.spec?.replicas ?? 1;
      return {
        undoable: true,
        before: { kind: live.kind, namespace: at.namespace, name: at.name, replicas, resourceVersion: live.metadata?.resourceVersion },
        inverse: { tool: 'k8s_scale', args: withContext(args, { name: at.name, resource_type: args.resource_type, replicas, ...(at.namespace ? { namespace: at.namespace } : {}) }), summary: `scale ${at.label} back to ${replicas} replicas` },
      };
    }
    case 'k8s_set_image': {
      const at = await target(context, args.resource_type, args.resource_name, args.namespace);
      const live = await readLive(context, at.path, signal);
      if (!live) return notUndoable(`${at.label} does not exist`);
      const spec = at.info.resource === 'pods' ? live.spec : at.info.resource === 'cronjobs' ? live.spec?.jobTemplate?.spec?.template?.spec : live.spec?.template?.spec;
      const containers: Array<{ name: string; image: string }> = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
      const wanted = parseContainerImages(args.container_images).map((pair) => pair.container);
      const restored = containers.filter((container) => wanted.includes('*') || wanted.includes(container.name));
      if (restored.length === 0) return notUndoable(`${at.label} has none of the containers the call names`);
      const pairs = restored.map((container) => `${container.name}=${container.image}`).join(',');
      return {
        undoable: true,
        before: { kind: live.kind, namespace: at.namespace, name: at.name, images: Object.fromEntries(restored.map((container) => [container.name, container.image])), revision: live.metadata?.annotations?.['deployment.kubernetes.io/revision'] },
        inverse: { tool: 'k8s_set_image', args: withContext(args, { resource_name: at.name, resource_type: args.resource_type, container_images: pairs, ...(at.namespace ? { namespace: at.namespace } : {}) }), summary: `set the image${restored.length > 1 ? 's' : ''} of ${at.label} back to ${pairs}` },
      };
    }
    case 'k8s_patch': {
      const at = await target(context, args.resource_type, args.name, args.namespace);
      const live = await readLive(context, at.path, signal);
      if (!live) return notUndoable(`${at.label} does not exist`);
      return applyBack(args, [{ label: at.label, namespace: at.namespace, live }]);
    }
    case 'k8s_apply':
      return baselineApply(args, context, signal);
    case 'k8s_delete': {
      const at = await target(context, args.resource_type, args.name, args.namespace);
      const live = await readLive(context, at.path, signal);
      if (!live) return notUndoable(`${at.label} does not exist`);
      const before = { objects: [{ label: at.label, manifest: live }] };
      const owner = (live.metadata?.ownerReferences ?? []).find((reference: any) => reference.controller);
      if (owner) return notUndoable(`${at.label} belongs to ${owner.kind} ${owner.name}, which replaces it`, before);
      if (at.info.resource === 'namespaces') return notUndoable('deleting a namespace deletes everything in it; re-creating the namespace would not bring that back', before);
      if (['persistentvolumeclaims', 'persistentvolumes'].includes(at.info.resource)) return notUndoable(`deleting ${at.label} can release its volume and data; re-creating the object would not bring the data back`, before);
      return {
        undoable: true,
        before,
        inverse: { tool: 'k8s_apply', args: withContext(args, { content: stringify(cleanManifest(live, { forCreate: true }), { lineWidth: 0 }), ...(at.namespace ? { namespace: at.namespace } : {}) }), summary: `re-create ${at.label} from its recorded manifest` },
      };
    }
    case 'k8s_cordon':
    case 'k8s_uncordon':
    case 'k8s_drain': {
      assertSafeName('node_name', args.node_name);
      const node = await readLive(context, `/api/v1/nodes/${args.node_name}`, signal);
      if (!node) return notUndoable(`node ${args.node_name} does not exist`);
      const unschedulable = Boolean(node.spec?.unschedulable);
      const before = { node: args.node_name, unschedulable };
      const wantsCordoned = tool !== 'k8s_uncordon';
      if (unschedulable === wantsCordoned && tool !== 'k8s_drain') return notUndoable(`node ${args.node_name} is already ${unschedulable ? 'cordoned' : 'schedulable'}; the call changes nothing`, before);
      if (unschedulable && tool === 'k8s_drain') return notUndoable(`node ${args.node_name} was already cordoned; evicted pods are re-created elsewhere by their controllers and cannot be put back`, before);
      const inverseTool = wantsCordoned ? 'k8s_uncordon' : 'k8s_cordon';
      const note = tool === 'k8s_drain' ? ' (evicted pods are not moved back; their controllers re-created them elsewhere)' : '';
      return { undoable: true, before, inverse: { tool: inverseTool, args: withContext(args, { node_name: args.node_name }), summary: `${wantsCordoned ? 'uncordon' : 'cordon'} node ${args.node_name}${note}` } };
    }
    case 'k8s_rollout_restart':
    case 'k8s_rollout_undo': {
      const kind = (args.resource_type ?? 'deployment') as RolloutKind;
      assertSafeName('name', args.name);
      const namespace = typeof args.namespace === 'string' && args.namespace ? args.namespace : context.clients.defaultNamespace;
      assertSafeName('namespace', namespace);
      const live = await readLive(context, workloadPath(kind, namespace, args.name), signal);
      if (!live) return notUndoable(`${kind} ${namespace}/${args.name} does not exist`);
      const revisions = await listRevisions(context.deps, kind, namespace, live, signal);
      const current = revisions.at(-1)?.revision;
      if (!current) return notUndoable(`${kind} ${namespace}/${args.name} has no recorded revision yet`);
      return {
        undoable: true,
        before: { kind: live.kind, namespace, name: args.name, revision: current },
        inverse: { tool: 'k8s_rollout_undo', args: withContext(args, { name: args.name, resource_type: kind, namespace, to_revision: current }), summary: `roll ${kind} ${namespace}/${args.name} back to revision ${current}` },
      };
    }
    default:
      return undefined;
  }
}

type Recorded = { label: string; namespace?: string; live?: Record<string, any> };

/** One server-side apply of every recorded manifest (all of them existed before). */
function applyBack(args: Args, objects: Recorded[]): Baseline {
  const manifests = objects.map((object) => cleanManifest(object.live!));
  const before = { objects: objects.map((object) => ({ label: object.label, manifest: object.live })) };
  const content = manifests.map((manifest) => stringify(manifest, { lineWidth: 0 })).join('---\n');
  const labels = objects.map((object) => object.label);
  return {
    undoable: true,
    before,
    inverse: { tool: 'k8s_apply', args: withContext(args, { content }), summary: `server-side apply the recorded manifest${labels.length > 1 ? 's' : ''} of ${labels.join(', ')}` },
  };
}

async function baselineApply(args: Args, context: ContextDeps, signal: AbortSignal): Promise<Baseline> {
  const recorded: Recorded[] = [];
  const missing: Target[] = [];
  for (const document of parseAllDocuments(String(args.content)).map((entry) => entry.toJSON() as Record<string, any> | null)) {
    for (const object of document?.kind === 'List' ? (document.items ?? []) : [document]) {
      if (!object?.kind || !object?.metadata?.name || !object.apiVersion) continue;
      const group = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/')[0] : '';
      const at = await target(context, group ? `${object.kind}.${group}` : object.kind, object.metadata.name, object.metadata.namespace ?? args.namespace);
      const live = await readLive(context, at.path, signal);
      if (live) recorded.push({ label: at.label, namespace: at.namespace, live });
      else missing.push(at);
    }
  }
  if (missing.length === 0 && recorded.length > 0) return applyBack(args, recorded);
  if (missing.length === 1 && recorded.length === 0) {
    const [at] = missing;
    return {
      undoable: true,
      before: { objects: [{ label: at.label, manifest: null }] },
      inverse: { tool: 'k8s_delete', args: withContext(args, { name: at.name, resource_type: at.info.group ? `${at.info.resource}.${at.info.group}` : at.info.resource, ...(at.namespace ? { namespace: at.namespace } : {}) }), summary: `delete ${at.label}, which the apply creates` },
    };
  }
  if (missing.length + recorded.length === 0) return notUndoable('the manifest has no objects');
  return notUndoable(
    `undoing this apply takes several calls: ${missing.length ? `delete ${missing.map((at) => at.label).join(', ')} (created by it)` : ''}${missing.length && recorded.length ? ' and ' : ''}${recorded.length ? `apply the recorded manifests of ${recorded.map((object) => object.label).join(', ')}` : ''}`,
    { objects: [...recorded.map((object) => ({ label: object.label, manifest: object.live })), ...missing.map((at) => ({ label: at.label, manifest: null }))] },
  );
}
