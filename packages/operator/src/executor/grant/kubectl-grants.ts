/**
 * What the kubectl tools write (issue 73), derived by the executor from the approved arguments alone, with its own
 * identity: the objects, the verbs and — from its own server-side dry-run of the very request the tool sends — the
 * content the webhook holds the write to. Deliberately independent of the MCP server's code: a changed or taken-over
 * MCP server cannot change what is granted, only fail against it. The requests mirror packages/mcp-server's
 * tools/kubectl/mutations.ts and rollouts.ts; the sandbox and executor suites run both against each other.
 */
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { apiVersionOf, type ApprovedAccess, type KubeObject } from '@skyflo/protocol';
import { ExecutorError } from '../executor-options.ts';
import { accessEntry, argumentsOf, asExecutor, pointerSegment, type ComputedGrant, type GrantContext } from './grant-entry.ts';

const name = z.string().min(1).max(253);
const namespace = z.string().min(1).max(63).optional();
const defaultNamespace = 'default';
const merge = 'application/merge-patch+json';
const patchContentTypes = { strategic: 'application/strategic-merge-patch+json', merge, json: 'application/json-patch+json' } as const;
const rolloutKinds = { deployment: 'deployments', daemonset: 'daemonsets', statefulset: 'statefulsets' } as const;

/** The object a call names, resolved the way the MCP server resolves it (@skyflo/protocol findResource). */
async function target(context: GrantContext, resourceType: string, objectName: string, objectNamespace: string | undefined) {
  const info = await context.kube.resolve(resourceType);
  const resolvedNamespace = info.namespaced ? (objectNamespace ?? defaultNamespace) : undefined;
  return { info, namespace: resolvedNamespace, path: context.kube.path(info, { namespace: resolvedNamespace, name: objectName }) };
}

async function scale(args: Record<string, unknown>, context: GrantContext): Promise<ApprovedAccess[]> {
  const call = argumentsOf(z.object({ name, resource_type: z.string().min(1), replicas: z.number().int().min(0), namespace, dry_run: z.boolean().optional() }), args, context.tool);
  const { info, namespace: ns, path } = await target(context, call.resource_type, call.name, call.namespace);
  if (!info.verbs.includes('patch')) throw new ExecutorError('UNSUPPORTED', `${info.resource} cannot be scaled`);
  // the tool writes the scale subresource: admission sees an autoscaling/v1 Scale, whose dry-run is what is bound
  const scaled = await asExecutor(`dry-run the scale of ${call.name}`, () => context.kube.dryRun('PATCH', `${path}/scale`, { spec: { replicas: call.replicas } }, { contentType: merge, query: { fieldManager: 'skyflo' } }));
  return [accessEntry(info, { namespace: ns, name: call.name, subresource: 'scale', verbs: ['patch'], object: scaled as Record<string, unknown> })];
}

async function patch(args: Record<string, unknown>, context: GrantContext): Promise<ApprovedAccess[]> {
  const call = argumentsOf(
    z.object({ name, resource_type: z.string().min(1), patch: z.string().min(1), patch_type: z.enum(['strategic', 'merge', 'json']).optional(), namespace, dry_run: z.boolean().optional() }),
    args,
    context.tool,
  );
  const { info, namespace: ns, path } = await target(context, call.resource_type, call.name, call.namespace);
  let body: unknown;
  try {
    body = parseYaml(call.patch);
  } catch (error) {
    throw new ExecutorError('INVALID', `the approved patch is not valid JSON or YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const patchType = call.patch_type ?? 'strategic';
  const patched = await asExecutor(`dry-run the patch of ${call.name}`, () => context.kube.dryRun('PATCH', path, body, { contentType: patchContentTypes[patchType], query: { fieldManager: 'skyflo' } }));
  return [accessEntry(info, { namespace: ns, name: call.name, verbs: ['patch'], object: patched as Record<string, unknown> })];
}

function containerLists(resource: string): string[] {
  if (resource === 'pods') return ['/spec/containers', '/spec/initContainers'];
  if (resource === 'cronjobs') return ['/spec/jobTemplate/spec/template/spec/containers', '/spec/jobTemplate/spec/template/spec/initContainers'];
  return ['/spec/template/spec/containers', '/spec/template/spec/initContainers'];
}

const at = (object: unknown, pointer: string): unknown => pointer.split('/').slice(1).reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), object);

async function setImage(args: Record<string, unknown>, context: GrantContext): Promise<ApprovedAccess[]> {
  const call = argumentsOf(z.object({ resource_name: name, resource_type: z.string().min(1), container_images: z.string().min(1), namespace, dry_run: z.boolean().optional() }), args, context.tool);
  const pairs = call.container_images
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((pair) => ({ container: pair.slice(0, pair.indexOf('=')), image: pair.slice(pair.indexOf('=') + 1) }));
  if (pairs.length === 0 || pairs.some((pair) => !pair.container)) throw new ExecutorError('INVALID', `the approved container_images "${call.container_images}" is not container=image[,container=image]`);
  const { info, namespace: ns, path } = await target(context, call.resource_type, call.resource_name, call.namespace);
  const live = await asExecutor(`read ${call.resource_name}`, () => context.kube.get(path));
  if (!live) throw new ExecutorError('INVALID', `${info.resource} ${ns ? `${ns}/` : ''}${call.resource_name} does not exist`);
  const operations: Array<{ op: 'replace'; path: string; value: string }> = [];
  for (const pair of pairs) {
    for (const list of containerLists(info.resource)) {
      ((at(live, list) ?? []) as Array<{ name?: string }>).forEach((container, index) => {
        if (pair.container === '*' || container.name === pair.container) operations.push({ op: 'replace', path: `${list}/${index}/image`, value: pair.image });
      });
    }
  }
  if (operations.length === 0) throw new ExecutorError('INVALID', `${call.resource_name} has no container the approved container_images names`);
  const updated = await asExecutor(`dry-run the image change of ${call.resource_name}`, () => context.kube.dryRun('PATCH', path, operations, { contentType: patchContentTypes.json, query: { fieldManager: 'skyflo' } }));
  return [accessEntry(info, { namespace: ns, name: call.resource_name, verbs: ['patch'], object: updated as Record<string, unknown> })];
}

async function remove(args: Record<string, unknown>, context: GrantContext): Promise<ApprovedAccess[]> {
  const call = argumentsOf(z.object({ name, resource_type: z.string().min(1), namespace, dry_run: z.boolean().optional() }), args, context.tool);
  const { info, namespace: ns } = await target(context, call.resource_type, call.name, call.namespace);
  return [accessEntry(info, { namespace: ns, name: call.name, verbs: ['delete'] })];
}

type ManifestObject = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } & Record<string, unknown> } & Record<string, unknown>;

async function apply(args: Record<string, unknown>, context: GrantContext): Promise<ApprovedAccess[]> {
  const call = argumentsOf(z.object({ content: z.string().min(1), namespace, dry_run: z.boolean().optional() }), args, context.tool);
  const documents = parseAllDocuments(call.content);
  if (documents.some((document) => document.errors.length > 0)) throw new ExecutorError('INVALID', 'the approved manifest is not valid YAML');
  const objects = documents
    .map((document) => document.toJSON() as ManifestObject | null)
    .flatMap((document) => (document?.kind === 'List' && Array.isArray(document['items']) ? (document['items'] as ManifestObject[]) : [document]))
    .filter((document): document is ManifestObject => document !== null && document !== undefined);
  if (objects.length === 0) throw new ExecutorError('INVALID', 'the approved manifest has no Kubernetes objects');
  const access: ApprovedAccess[] = [];
  for (const [index, object] of objects.entries()) {
    const objectName = object.metadata?.name;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || typeof objectName !== 'string') {
      throw new ExecutorError('INVALID', `document ${index + 1} of the approved manifest is not a Kubernetes object (apiVersion, kind, metadata.name)`);
    }
    const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
    const info = await context.kube.resolve(group ? `${object.kind}.${group}` : object.kind);
    if (info.group !== group) throw new ExecutorError('INVALID', `document ${index + 1}: kind ${object.kind} is not in group "${group}" (it is ${apiVersionOf(info)})`);
    const declared = typeof object.metadata?.namespace === 'string' ? object.metadata.namespace : undefined;
    if (info.namespaced && declared && call.namespace && declared !== call.namespace) {
      throw new ExecutorError('INVALID', `document ${index + 1} (${object.kind} ${objectName}) is in namespace "${declared}" but the call names namespace "${call.namespace}"`);
    }
    const ns = info.namespaced ? (declared ?? call.namespace ?? defaultNamespace) : undefined;
    const body = { ...object, apiVersion: `${group ? `${group}/` : ''}${version}`, metadata: { ...object.metadata, ...(ns ? { namespace: ns } : {}) } };
    const path = context.kube.path(info, { namespace: ns, name: objectName });
    const exists = (await asExecutor(`read ${object.kind} ${objectName}`, () => context.kube.get(path))) !== undefined;
    // server-side apply, as the tool sends it: the API server merges, defaults and validates; this is what is stored
    const applied = await asExecutor(`dry-run the apply of ${object.kind} ${objectName}`, () =>
      context.kube.dryRun('PATCH', path, body, { contentType: 'application/apply-patch+yaml', query: { fieldManager: 'skyflo', force: true } }),
    );
    // of an object that does not exist yet the API server also authorizes `create`
    access.push(accessEntry(info, { namespace: ns, name: objectName, verbs: exists ? ['patch'] : ['create', 'patch'], object: applied as Record<string, unknown> }));
  }
  return access;
}

const rolloutKind = z.enum(['deployment', 'daemonset', 'statefulset']);

function workload(context: GrantContext, kind: keyof typeof rolloutKinds, ns: string, objectName: string) {
  const info = { group: 'apps', version: 'v1', resource: rolloutKinds[kind], namespaced: true };
  return { info, path: context.kube.path(info, { namespace: ns, name: objectName }) };
}

async function rolloutUndo(args: Record<string, unknown>, context: GrantContext): Promise<ComputedGrant> {
  const call = argumentsOf(z.object({ name, resource_type: rolloutKind, namespace, to_revision: z.number().int().min(1).optional() }), args, context.tool);
  if (call.to_revision === undefined) throw new ExecutorError('INVALID', 'the approved k8s_rollout_undo names no to_revision (the preview resolves "the previous revision" to a number before approval)');
  const ns = call.namespace ?? defaultNamespace;
  const { info, path } = workload(context, call.resource_type, ns, call.name);
  const live = await asExecutor(`read ${call.resource_type} ${call.name}`, () => context.kube.get(path));
  if (!live) throw new ExecutorError('INVALID', `${call.resource_type} ${ns}/${call.name} does not exist`);
  const selector = Object.entries((live.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`).join(',');
  const owned = (item: KubeObject) => (item.metadata.ownerReferences ?? []).some((owner) => owner.uid === live.metadata.uid);
  const deployment = call.resource_type === 'deployment';
  const listPath = `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/${deployment ? 'replicasets' : 'controllerrevisions'}`;
  const revisions = (await asExecutor(`list the revisions of ${call.name}`, () => context.kube.list(listPath, selector ? { labelSelector: selector } : {})))
    .filter(owned)
    .map((item) => ({
      revision: Number(deployment ? (item.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0) : ((item as { revision?: number }).revision ?? 0)),
      item: item as KubeObject & { spec?: { template?: Record<string, any> }; data?: Record<string, any> },
    }))
    .sort((a, b) => a.revision - b.revision);
  const wanted = revisions.find((entry) => entry.revision === call.to_revision);
  if (!wanted) throw new ExecutorError('INVALID', `${call.resource_type} ${ns}/${call.name} has no revision ${call.to_revision}`);
  if (revisions.at(-1)?.revision === wanted.revision) throw new ExecutorError('UNSUPPORTED', `${call.resource_type} ${ns}/${call.name} is already at revision ${wanted.revision}: the undo writes nothing`);
  let rolledBack: KubeObject;
  if (deployment) {
    const template = structuredClone(wanted.item.spec?.template ?? {});
    // the hash label belongs to the ReplicaSet, not the Deployment's template (as kubectl and the tool drop it)
    if (template['metadata']?.['labels']) delete template['metadata']['labels']['pod-template-hash'];
    rolledBack = await asExecutor(`dry-run the rollback of ${call.name}`, () => context.kube.dryRun('PATCH', path, [{ op: 'replace', path: '/spec/template', value: template }], { contentType: patchContentTypes.json, query: { fieldManager: 'kubectl-rollout' } }));
  } else {
    const body = wanted.item.data ?? { spec: { template: wanted.item.spec?.template } };
    rolledBack = await asExecutor(`dry-run the rollback of ${call.name}`, () => context.kube.dryRun('PATCH', path, body, { contentType: patchContentTypes.strategic, query: { fieldManager: 'kubectl-rollout' } }));
  }
  // the tool lists the revisions it restores from, as kubectl does
  return { access: [accessEntry(info, { namespace: ns, name: call.name, verbs: ['patch'], object: rolledBack as Record<string, unknown> })], reads: [{ apiGroup: 'apps', resources: [deployment ? 'replicasets' : 'controllerrevisions'], namespace: ns, verbs: ['list'] }] };
}

/** kubectl's restart annotation: its value is the time of execution, which no dry-run can know; nothing else may change. */
export const restartedAtPointer = `/spec/template/metadata/annotations/${pointerSegment('kubectl.kubernetes.io/restartedAt')}`;

async function rolloutRestart(args: Record<string, unknown>, context: GrantContext): Promise<ApprovedAccess[]> {
  const call = argumentsOf(z.object({ name, resource_type: rolloutKind.optional(), namespace }), args, context.tool);
  const kind = call.resource_type ?? 'deployment';
  const ns = call.namespace ?? defaultNamespace;
  const { info } = workload(context, kind, ns, call.name);
  return [accessEntry(info, { namespace: ns, name: call.name, verbs: ['patch'], change: { within: [restartedAtPointer] } })];
}

export const kubectlGrants = {
  k8s_scale: scale,
  k8s_patch: patch,
  k8s_set_image: setImage,
  k8s_delete: remove,
  k8s_apply: apply,
  k8s_rollout_undo: rolloutUndo,
  k8s_rollout_restart: rolloutRestart,
};
