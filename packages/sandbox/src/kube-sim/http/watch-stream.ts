import type { KubeObject, StoreChange, WatchEventType } from '../cluster-types.ts';
import { toStatus } from '../errors/api-errors.ts';
import { gone } from '../errors/api-errors.ts';
import { fieldMatcher } from '../selectors/field-selector.ts';
import { labelMatcher } from '../selectors/label-selector.ts';
import { buildTable } from '../tables/build-table.ts';
import { crdVersionFor } from './read-handlers.ts';
import { asRequestedVersion, wantsTable, type ResourceRequest } from './request-context.ts';

/**
 * `?watch=true`: a chunked stream of JSON watch events, one per line.
 * - no resourceVersion or "0": ADDED for every current object, then changes (what informers expect);
 * - a resourceVersion: changes after it, replayed from the store's history (410 Expired if too old);
 * - `sendInitialEvents=true`: initial ADDED events, then a BOOKMARK marking their end.
 * Changes that make an object start or stop matching the selectors arrive as ADDED / DELETED, like the real server.
 */
export function handleWatch(context: ResourceRequest): void {
  const { cluster, url, response, path } = context;
  const params = url.searchParams;
  const labels = labelMatcher(params.get('labelSelector'));
  const fields = fieldMatcher(params.get('fieldSelector'));
  const namespace = path.namespace;
  const singleName = path.name;
  const table = wantsTable(context.request);
  const crdVersion = table ? crdVersionFor(context) : undefined;
  const matches = (object: KubeObject | undefined) =>
    !!object &&
    (!namespace || object.metadata.namespace === namespace) &&
    (!singleName || object.metadata.name === singleName) &&
    labels(object.metadata.labels) &&
    fields(object);

  let firstTable = true;
  const write = (type: WatchEventType | 'ERROR', object: unknown) => {
    let payload = object;
    if (table && type !== 'ERROR' && type !== 'BOOKMARK') {
      payload = buildTable({ resource: path.resource, objects: [object as KubeObject], now: cluster.clock.now(), includeObject: 'Object', crdVersion, omitHeaders: !firstTable });
      firstTable = false;
    }
    response.write(`${JSON.stringify({ type, object: payload })}\n`);
  };

  const sendChange = (change: Pick<StoreChange, 'type' | 'object' | 'previous'>) => {
    const now = matches(change.object);
    const before = change.type === 'MODIFIED' ? matches(change.previous) : change.type === 'DELETED' ? now || matches(change.previous) : false;
    let type: WatchEventType | undefined;
    if (change.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (change.type === 'DELETED') type = before ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    if (type) write(type, asRequestedVersion(change.object, path));
  };

  const sameResource = (change: StoreChange) => change.resource.group === path.group && change.resource.resource === path.resource.resource;

  response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  response.flushHeaders();

  const requestedVersion = params.get('resourceVersion') ?? '';
  const sendInitial = params.get('sendInitialEvents') === 'true' || requestedVersion === '' || requestedVersion === '0';
  if (sendInitial) {
    const objects = singleName
      ? [cluster.store.getShared(path.resource, namespace, singleName)].filter((object): object is KubeObject => !!object)
      : cluster.store.listShared(path.resource, namespace);
    for (const object of objects) if (matches(object)) write('ADDED', asRequestedVersion(object, path));
    if (params.get('sendInitialEvents') === 'true') {
      write('BOOKMARK', {
        kind: path.resource.kind,
        apiVersion: path.group ? `${path.group}/${path.version}` : path.version,
        metadata: { resourceVersion: cluster.store.currentResourceVersion(), annotations: { 'k8s.io/initial-events-end': 'true' } },
      });
    }
  } else {
    const changes = cluster.store.changesSince(Number(requestedVersion));
    if (!changes) {
      write('ERROR', toStatus(gone(`too old resource version: ${requestedVersion} (${cluster.store.currentResourceVersion()})`)).body);
      response.end();
      return;
    }
    for (const change of changes) if (sameResource(change)) sendChange(change);
  }

  const unsubscribe = cluster.store.subscribe((change) => {
    if (sameResource(change)) sendChange(change);
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearTimeout(timer);
    untrack();
    if (!response.writableEnded) response.end();
  };
  const timeoutSeconds = Number(params.get('timeoutSeconds') ?? 0);
  const timer = timeoutSeconds > 0 ? setTimeout(end, timeoutSeconds * 1000) : undefined;
  const untrack = context.trackStream(end);
  context.request.on('close', end);
  response.on('close', end);
}
