/**
 * The mutating operations behind k8s_apply, k8s_patch, k8s_scale, k8s_set_image and k8s_delete, each
 * with a `dryRun` switch. The tools call them for real; k8s_diff calls them with dryRun so the API
 * server (admission, defaulting, validation) computes the would-be object — a real server-side
 * dry-run, not a client-side guess.
 */
import { parse, parseAllDocuments } from 'yaml';
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeArgument, assertSafeName } from '../../exec/flag-guard.ts';
import { KubeApiError } from '../../kube/kube-api-error.ts';
import { apiVersionOf, resourcePath, type ResourceInfo } from '../../kube/create-discovery.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { clients, displayName, namespaceOf, resolveResource } from './kubectl-common.ts';
import { accessEntry } from '../approved-access.ts';
import type { ApprovedAccess } from '@skyflo/protocol';

export interface MutationResult {
  /** what kubectl would print, e.g. "deployment.apps/web scaled" */
  summary: string;
  /** live objects before the change (undefined = did not exist) */
  before: Array<{ key: string; object?: Record<string, any> }>;
  /** the objects after the change (undefined = deleted) */
  after: Array<{ key: string; object?: Record<string, any> }>;
  /**
   * Dry runs only (issue 34): the objects the real call writes, its verbs and the dry-run content's hash, for the
   * approval the cluster enforces (tools/approved-access.ts)
   */
  access?: ApprovedAccess[];
}

const dryRunQuery = (dryRun: boolean) => (dryRun ? { dryRun: 'All' } : {});
const suffix = (dryRun: boolean) => (dryRun ? ' (server dry run)' : '');

async function readOrUndefined(deps: ToolDeps, path: string, signal?: AbortSignal): Promise<Record<string, any> | undefined> {
  try {
    return await clients(deps).http.json<Record<string, any>>({ path, signal });
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

async function target(deps: ToolDeps, resourceType: string, name: string, namespace: string | undefined) {
  assertSafeName('name', name);
  const info = await resolveResource(deps, resourceType);
  const resolvedNamespace = info.namespaced ? namespaceOf(deps, namespace) : undefined;
  return { info, namespace: resolvedNamespace, name, path: resourcePath(info, { namespace: resolvedNamespace, name }), key: `${displayName(info, name)}` };
}

// ---------------------------------------------------------------- apply

export interface ApplyArgs {
  content: string;
  namespace?: string;
}

export async function applyManifest(deps: ToolDeps, args: ApplyArgs, options: { dryRun: boolean; signal?: AbortSignal }): Promise<MutationResult> {
  let documents: unknown[];
  try {
    documents = parseAllDocuments(args.content).map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors[0].message);
      return document.toJSON();
    });
  } catch (error) {
    throw new ToolInputError(`content is not valid YAML: ${(error as Error).message.split('\n')[0]}`, { hint: 'pass one or more YAML documents separated by ---' });
  }
  const objects = documents.flatMap((document: any) => (document?.kind === 'List' && Array.isArray(document.items) ? document.items : [document])).filter((document) => document !== null && document !== undefined);
  if (objects.length === 0) throw new ToolInputError('content has no Kubernetes objects.', { hint: 'pass a YAML manifest with apiVersion, kind and metadata.name' });
  const result: MutationResult = { summary: '', before: [], after: [] };
  const lines: string[] = [];
  // Resolve and validate everything first, so a bad third document doesn't leave the first two applied.
  const plans = [];
  for (const [index, object] of objects.entries()) {
    if (typeof object !== 'object' || !object.apiVersion || !object.kind || !object.metadata?.name) {
      throw new ToolInputError(`Document ${index + 1} is not a Kubernetes object (needs apiVersion, kind and metadata.name).`, { hint: 'fix the manifest' });
    }
    assertSafeArgument('apiVersion', String(object.apiVersion));
    assertSafeArgument('kind', String(object.kind));
    assertSafeName('metadata.name', String(object.metadata.name));
    const [group, version] = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/') : ['', String(object.apiVersion)];
    const info: ResourceInfo = await resolveResource(deps, group ? `${object.kind}.${group}` : String(object.kind)).catch(() => {
      throw new ToolInputError(`Document ${index + 1}: the cluster does not serve kind ${object.kind} in ${object.apiVersion}.`, { hint: 'check apiVersion and kind, or install the CRD first', code: 'NOT_FOUND' });
    });
    if (info.group !== group) throw new ToolInputError(`Document ${index + 1}: kind ${object.kind} is not in group "${group}".`, { hint: `use apiVersion ${apiVersionOf(info)}` });
    let namespace: string | undefined;
    if (info.namespaced) {
      if (object.metadata.namespace && args.namespace && object.metadata.namespace !== args.namespace) {
        throw new ToolInputError(`Document ${index + 1} (${object.kind} ${object.metadata.name}) is in namespace "${object.metadata.namespace}" but namespace "${args.namespace}" was requested.`, { hint: 'make them agree or drop one' });
      }
      namespace = namespaceOf(deps, object.metadata.namespace ?? args.namespace);
    }
    const body = { ...object, apiVersion: `${group ? `${group}/` : ''}${version}`, metadata: { ...object.metadata, ...(namespace ? { namespace } : {}) } };
    plans.push({ info, namespace, name: String(object.metadata.name), body, path: resourcePath(info, { namespace, name: object.metadata.name }), key: displayName(info, object.metadata.name) });
  }
  for (const plan of plans) {
    const before = await readOrUndefined(deps, plan.path, options.signal);
    // Server-side apply: the API server merges, validates and tracks field ownership; force takes over
    // fields last set by other managers, as a plain `kubectl apply` would overwrite them.
    const after = await clients(deps).http.json<Record<string, any>>({
      method: 'PATCH',
      path: plan.path,
      query: { fieldManager: 'skyflo', force: true, ...dryRunQuery(options.dryRun) },
      contentType: 'application/apply-patch+yaml',
      body: plan.body,
      signal: options.signal,
    });
    // A dry run persists nothing, so the API server returns the old resourceVersion even when the object
    // would change: only a field comparison can tell "unchanged" from "configured" then.
    const sameVersion = !options.dryRun && before?.metadata?.resourceVersion === after.metadata?.resourceVersion;
    const verb = !before ? 'created' : sameVersion || equalSpecs(before, after) ? 'unchanged' : 'configured';
    lines.push(`${plan.key} ${verb}${suffix(options.dryRun)}`);
    result.before.push({ key: plan.key, object: before });
    result.after.push({ key: plan.key, object: after });
    // server-side apply is a PATCH; of an object that does not exist yet the API server also checks `create`
    if (options.dryRun) (result.access ??= []).push(accessEntry(plan.info, { namespace: plan.namespace, name: plan.name, verbs: before ? ['patch'] : ['create', 'patch'], object: after }));
  }
  result.summary = lines.join('\n');
  return result;
}

function equalSpecs(before: Record<string, any>, after: Record<string, any>): boolean {
  const strip = (object: Record<string, any>) => JSON.stringify({ ...object, metadata: { ...object.metadata, resourceVersion: undefined, managedFields: undefined, generation: undefined }, status: undefined });
  return strip(before) === strip(after);
}

// ---------------------------------------------------------------- patch

export interface PatchArgs {
  name: string;
  resource_type: string;
  patch: string;
  patch_type?: 'strategic' | 'merge' | 'json';
  namespace?: string;
}

const PATCH_CONTENT_TYPES = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
} as const;

export async function patchObject(deps: ToolDeps, args: PatchArgs, options: { dryRun: boolean; signal?: AbortSignal }): Promise<MutationResult> {
  const { info, namespace, path, key } = await target(deps, args.resource_type, args.name, args.namespace);
  let body: unknown;
  try {
    body = parse(args.patch);
  } catch (error) {
    throw new ToolInputError(`patch is not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}`, { hint: 'pass e.g. {"spec":{"replicas":2}}' });
  }
  const patchType = args.patch_type ?? 'strategic';
  if (patchType === 'json' && !Array.isArray(body)) throw new ToolInputError('A json patch must be a list of operations.', { hint: 'e.g. [{"op":"replace","path":"/spec/replicas","value":2}]' });
  if (patchType !== 'json' && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw new ToolInputError(`A ${patchType} patch must be an object.`, { hint: 'e.g. {"metadata":{"labels":{"tier":"web"}}}' });
  }
  if (patchType === 'strategic' && info.group !== '' && !info.group.endsWith('k8s.io') && info.group !== 'apps' && info.group !== 'batch' && info.group !== 'autoscaling' && info.group !== 'policy') {
    // Custom resources have no strategic-merge schema; the API server would answer 415.
    throw new ToolInputError(`Strategic merge patches are not supported for ${info.kind} (a custom resource).`, { hint: 'use patch_type "merge" or "json"' });
  }
  const before = await clients(deps).http.json<Record<string, any>>({ path, signal: options.signal });
  const after = await clients(deps).http.json<Record<string, any>>({
    method: 'PATCH',
    path,
    query: { fieldManager: 'skyflo', ...dryRunQuery(options.dryRun) },
    contentType: PATCH_CONTENT_TYPES[patchType],
    body,
    signal: options.signal,
  });
  // As in apply: a dry run keeps the old resourceVersion, so only the fields say whether it would change.
  const sameVersion = !options.dryRun && before.metadata?.resourceVersion === after.metadata?.resourceVersion;
  const changed = !sameVersion && !equalSpecs(before, after);
  return {
    summary: `${key} ${changed ? 'patched' : 'patched (no change)'}${suffix(options.dryRun)}`,
    before: [{ key, object: before }],
    after: [{ key, object: after }],
    ...(options.dryRun ? { access: [accessEntry(info, { namespace, name: args.name, verbs: ['patch'], object: after })] } : {}),
  };
}

// ---------------------------------------------------------------- scale

export interface ScaleArgs {
  name: string;
  resource_type: string;
  replicas: number;
  namespace?: string;
}

export async function scaleObject(deps: ToolDeps, args: ScaleArgs, options: { dryRun: boolean; signal?: AbortSignal }): Promise<MutationResult> {
  const { info, namespace, path, key } = await target(deps, args.resource_type, args.name, args.namespace);
  if (!info.verbs.includes('patch')) throw new ToolInputError(`${info.resource} cannot be scaled.`, { hint: 'scale a deployment, statefulset or replicaset' });
  const before = await clients(deps).http.json<Record<string, any>>({ path, signal: options.signal });
  if (before.spec?.replicas === undefined && !['deployments', 'statefulsets', 'replicasets', 'replicationcontrollers'].includes(info.resource)) {
    throw new ToolInputError(`${key} has no spec.replicas, so it cannot be scaled.`, { hint: 'scale a deployment, statefulset or replicaset' });
  }
  if (options.dryRun) {
    // A read-only identity (a cluster that enforces approvals, issue 34) may not dry-run a write: RBAC authorizes a
    // dry-run like the write. A scale's result is fully known without the server, so the preview then computes it.
    const forbidden = (error: unknown) => error instanceof KubeApiError && error.status === 403;
    const after = await clients(deps)
      .http.json<Record<string, any>>({
        method: 'PATCH', path, query: { fieldManager: 'skyflo', dryRun: 'All' }, contentType: 'application/merge-patch+json', body: { spec: { replicas: args.replicas } }, signal: options.signal,
      })
      .catch((error: unknown) => (forbidden(error) ? { ...before, spec: { ...before.spec, replicas: args.replicas } } : Promise.reject(error)));
    // The real call writes the scale subresource, so admission sees an autoscaling/v1 Scale: its dry-run is what is
    // bound. Normalised, a Scale is its name, namespace and replicas, which is also what it is without the server.
    const scale = await clients(deps)
      .http.json<Record<string, any>>({
        method: 'PATCH', path: `${path}/scale`, query: { fieldManager: 'skyflo', dryRun: 'All' }, contentType: 'application/merge-patch+json', body: { spec: { replicas: args.replicas } }, signal: options.signal,
      })
      .catch((error: unknown) =>
        forbidden(error) ? { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: args.name, ...(namespace ? { namespace } : {}) }, spec: { replicas: args.replicas } } : Promise.reject(error),
      );
    const access = [accessEntry(info, { namespace, name: args.name, subresource: 'scale', verbs: ['patch'], object: scale })];
    return { summary: `${key} scaled${suffix(true)}`, before: [{ key, object: before }], after: [{ key, object: after }], access };
  }
  // The scale subresource is what `kubectl scale` uses (and what RBAC usually grants for scaling).
  await clients(deps).http.json({
    method: 'PATCH', path: `${path}/scale`, query: { fieldManager: 'skyflo' }, contentType: 'application/merge-patch+json', body: { spec: { replicas: args.replicas } }, signal: options.signal,
  });
  const after = await clients(deps).http.json<Record<string, any>>({ path, signal: options.signal });
  return { summary: `${key} scaled`, before: [{ key, object: before }], after: [{ key, object: after }] };
}

// ---------------------------------------------------------------- set image

export interface SetImageArgs {
  resource_name: string;
  resource_type: string;
  container_images: string;
  namespace?: string;
}

function containerPaths(info: ResourceInfo): string[] {
  if (info.resource === 'pods') return ['/spec/containers', '/spec/initContainers'];
  if (info.resource === 'cronjobs') return ['/spec/jobTemplate/spec/template/spec/containers', '/spec/jobTemplate/spec/template/spec/initContainers'];
  return ['/spec/template/spec/containers', '/spec/template/spec/initContainers'];
}

function pointerGet(object: any, pointer: string): any {
  return pointer.split('/').slice(1).reduce((value, key) => (value === undefined || value === null ? undefined : value[key]), object);
}

export function parseContainerImages(value: string): Array<{ container: string; image: string }> {
  const pairs = value.split(/[,\s]+/).filter(Boolean).map((pair) => {
    const index = pair.indexOf('=');
    if (index <= 0) throw new ToolInputError(`Invalid container_images entry "${pair}".`, { hint: "use 'container=image', e.g. 'web=nginx:1.27,sidecar=envoy:1.30'" });
    return { container: pair.slice(0, index), image: pair.slice(index + 1) };
  });
  if (pairs.length === 0) throw new ToolInputError('container_images is empty.', { hint: "use 'container=image'" });
  for (const pair of pairs) {
    if (pair.container !== '*') assertSafeName('container', pair.container);
    assertSafeArgument('image', pair.image);
  }
  return pairs;
}

export async function setImage(deps: ToolDeps, args: SetImageArgs, options: { dryRun: boolean; signal?: AbortSignal }): Promise<MutationResult> {
  const pairs = parseContainerImages(args.container_images);
  const { info, namespace, path, key } = await target(deps, args.resource_type, args.resource_name, args.namespace);
  const before = await clients(deps).http.json<Record<string, any>>({ path, signal: options.signal });
  const operations: Array<{ op: 'replace'; path: string; value: string }> = [];
  const known: string[] = [];
  for (const pair of pairs) {
    let matched = false;
    for (const listPath of containerPaths(info)) {
      const containers: Array<{ name: string; image?: string }> = pointerGet(before, listPath) ?? [];
      containers.forEach((container, index) => {
        known.push(container.name);
        if (pair.container === '*' || container.name === pair.container) {
          matched = true;
          operations.push({ op: 'replace', path: `${listPath}/${index}/image`, value: pair.image });
        }
      });
    }
    if (!matched) {
      throw new ToolInputError(`${key} has no container named "${pair.container}".`, { hint: `its containers are: ${[...new Set(known)].join(', ') || 'none'}`, code: 'NOT_FOUND' });
    }
  }
  const after = await clients(deps).http.json<Record<string, any>>({
    method: 'PATCH', path, query: { fieldManager: 'skyflo', ...dryRunQuery(options.dryRun) }, contentType: 'application/json-patch+json', body: operations, signal: options.signal,
  });
  return {
    summary: `${key} image updated${suffix(options.dryRun)}`,
    before: [{ key, object: before }],
    after: [{ key, object: after }],
    ...(options.dryRun ? { access: [accessEntry(info, { namespace, name: args.resource_name, verbs: ['patch'], object: after })] } : {}),
  };
}

// ---------------------------------------------------------------- delete

export interface DeleteArgs {
  name: string;
  resource_type: string;
  namespace?: string;
}

export async function deleteObject(deps: ToolDeps, args: DeleteArgs, options: { dryRun: boolean; signal?: AbortSignal }): Promise<MutationResult> {
  const { info, namespace, path, key } = await target(deps, args.resource_type, args.name, args.namespace);
  const before = await clients(deps).http.json<Record<string, any>>({ path, signal: options.signal });
  await clients(deps)
    .http.json({
      method: 'DELETE', path, query: dryRunQuery(options.dryRun), body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }, signal: options.signal,
    })
    // a read-only identity (issue 34) may not dry-run the delete; the object exists, and a delete binds no content
    .catch((error: unknown) => (options.dryRun && error instanceof KubeApiError && error.status === 403 ? undefined : Promise.reject(error)));
  const group = info.group ? `.${info.group}` : '';
  return {
    summary: `${info.singular}${group} "${args.name}" deleted${suffix(options.dryRun)}`,
    before: [{ key, object: before }],
    after: [{ key, object: undefined }],
    ...(options.dryRun ? { access: [accessEntry(info, { namespace, name: args.name, verbs: ['delete'] })] } : {}),
  };
}
