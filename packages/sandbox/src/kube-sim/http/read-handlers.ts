import type { KubeObject } from '../cluster-types.ts';
import { crdVersion } from '../crds/crd-resources.ts';
import { badRequest, notFound } from '../errors/api-errors.ts';
import { fieldMatcher } from '../selectors/field-selector.ts';
import { labelMatcher } from '../selectors/label-selector.ts';
import { buildTable, type IncludeObject } from '../tables/build-table.ts';
import { sendJson } from './respond.ts';
import { asRequestedVersion, groupVersion, wantsTable, type ResourceRequest } from './request-context.ts';

const tableContentType = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** The CRD version behind a custom resource, for its printer columns (undefined for built-ins). */
export function crdVersionFor(context: ResourceRequest): any {
  const { resource } = context.path;
  const crds = context.cluster.registry.byResource('apiextensions.k8s.io', 'customresourcedefinitions')!;
  const crd = context.cluster.store.getShared(crds, undefined, `${resource.resource}.${resource.group}`);
  return crd ? crdVersion(crd, context.path.version) : undefined;
}

function includeObject(context: ResourceRequest): IncludeObject {
  const value = context.url.searchParams.get('includeObject');
  return value === 'Object' || value === 'None' ? value : 'Metadata';
}

export function sendObject(context: ResourceRequest, object: KubeObject, code = 200): void {
  const shown = asRequestedVersion(object, context.path);
  if (wantsTable(context.request)) {
    const table = buildTable({
      resource: context.path.resource,
      objects: [shown],
      now: context.cluster.clock.now(),
      includeObject: includeObject(context),
      crdVersion: crdVersionFor(context),
      listMetadata: { resourceVersion: object.metadata.resourceVersion },
    });
    sendJson(context.response, code, table, tableContentType);
    return;
  }
  sendJson(context.response, code, shown);
}

export function handleGet(context: ResourceRequest): void {
  const { resource, namespace, name } = context.path;
  const object = context.cluster.store.getShared(resource, namespace, name!);
  if (!object) throw notFound(resource, name!);
  sendObject(context, object);
}

interface ContinueToken {
  resourceVersion: string;
  start: string;
}

function decodeContinue(token: string): ContinueToken {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (typeof decoded.start !== 'string') throw new Error('bad token');
    return decoded;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function objectKey(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** Objects matching the request's namespace, labelSelector and fieldSelector, in key order. */
export function selectObjects(context: ResourceRequest): readonly KubeObject[] {
  const { resource, namespace } = context.path;
  const labels = labelMatcher(context.url.searchParams.get('labelSelector'));
  const fields = fieldMatcher(context.url.searchParams.get('fieldSelector'));
  const hasSelector = context.url.searchParams.has('labelSelector') || context.url.searchParams.has('fieldSelector');
  const all = context.cluster.store.listShared(resource, namespace);
  return hasSelector ? all.filter((object) => labels(object.metadata.labels) && fields(object)) : all;
}

/** GET on a collection: label/field selectors, limit/continue paging and Table output. */
export function handleList(context: ResourceRequest): void {
  const { resource } = context.path;
  const params = context.url.searchParams;
  let objects = selectObjects(context);
  const resourceVersion = context.cluster.store.currentResourceVersion();
  const continueParam = params.get('continue');
  let listResourceVersion = resourceVersion;
  if (continueParam) {
    const token = decodeContinue(continueParam);
    listResourceVersion = token.resourceVersion;
    let low = 0;
    let high = objects.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (objectKey(objects[middle]) <= token.start) low = middle + 1;
      else high = middle;
    }
    objects = objects.slice(low);
  }
  const limit = Number(params.get('limit') ?? 0);
  const metadata: Record<string, unknown> = { resourceVersion: listResourceVersion };
  if (limit > 0 && objects.length > limit) {
    const page = objects.slice(0, limit);
    metadata.continue = Buffer.from(JSON.stringify({ resourceVersion: listResourceVersion, start: objectKey(page[page.length - 1]) })).toString('base64url');
    metadata.remainingItemCount = objects.length - limit;
    objects = page;
  }
  const apiVersion = groupVersion(context.path);
  const items = objects.map((object) => (object.apiVersion === apiVersion ? object : asRequestedVersion(object, context.path)));
  if (wantsTable(context.request)) {
    const table = buildTable({ resource, objects: items, now: context.cluster.clock.now(), includeObject: includeObject(context), crdVersion: crdVersionFor(context), listMetadata: metadata });
    sendJson(context.response, 200, table, tableContentType);
    return;
  }
  sendJson(context.response, 200, { kind: resource.listKind, apiVersion, metadata, items });
}

