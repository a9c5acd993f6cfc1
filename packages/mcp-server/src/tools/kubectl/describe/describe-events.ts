/**
 * Events the way kubectl's describe finds and prints them (searchEvents + DescribeEvents): a field-selector
 * query on the involved object, sorted oldest first by their last occurrence, with "(xN over AGE)" for
 * repeats. The Events table is flushed separately, so it aligns on its own columns.
 */
import { listAll, type DescribeContext, type EventPrefetch } from './describe-context.ts';
import { since, type KubeObject } from './describe-format.ts';
import { LEVEL_0, LEVEL_1, type DescribeWriter } from './describe-writer.ts';

export interface InvolvedObjectReference {
  name: string;
  /** '' for cluster-scoped objects (the search then runs across all namespaces, as kubectl's does) */
  namespace: string;
  /** omitted for pods, whose events kubectl matches by name and uid only */
  kind?: string;
  uid?: string;
}

export function referenceTo(object: KubeObject, kind: string | undefined = object.kind): InvolvedObjectReference {
  return { name: object.metadata?.name ?? '', namespace: object.metadata?.namespace ?? '', kind, uid: object.metadata?.uid };
}

/**
 * searchEvents: GET events?fieldSelector=involvedObject.name=…,namespace=…,kind=…,uid=… (pages of 500). When the
 * same name/namespace/kind was prefetched, the uid is matched here instead: the same events, in the same order.
 */
export async function searchEvents(context: DescribeContext, reference: InvolvedObjectReference): Promise<KubeObject[]> {
  const prefetched = context.prefetchedEvents;
  if (prefetched && prefetched.name === reference.name && prefetched.namespace === reference.namespace && (prefetched.kind ?? '') === (reference.kind ?? '')) {
    const events = await prefetched.events;
    return reference.uid ? events.filter((event) => event.involvedObject?.uid === reference.uid) : events;
  }
  return queryEvents(context, reference);
}

/** Starts the events query for an object not read yet (its uid unknown): see DescribeContext.prefetchedEvents. */
export function prefetchEvents(context: DescribeContext, reference: Omit<InvolvedObjectReference, 'uid'>): EventPrefetch {
  const events = queryEvents(context, reference);
  // Nobody may await it (the object turns out missing): keep that from being an unhandled rejection.
  events.catch(() => undefined);
  return { ...reference, events };
}

function queryEvents(context: DescribeContext, reference: InvolvedObjectReference): Promise<KubeObject[]> {
  const terms = [`involvedObject.name=${escapeField(reference.name)}`, `involvedObject.namespace=${escapeField(reference.namespace)}`];
  if (reference.kind) terms.push(`involvedObject.kind=${escapeField(reference.kind)}`);
  if (reference.uid) terms.push(`involvedObject.uid=${escapeField(reference.uid)}`);
  const path = reference.namespace ? `/api/v1/namespaces/${encodeURIComponent(reference.namespace)}/events` : '/api/v1/events';
  return listAll(context, path, { fieldSelector: terms.join(',') });
}

function escapeField(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

/** The time kubectl sorts events by (event.SortableEvents). */
function eventTime(event: KubeObject): number {
  const time = event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime;
  const parsed = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  return Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed;
}

/** DescribeEvents. `events` undefined means the search failed or was not made (nothing is printed). */
export function writeEvents(writer: DescribeWriter, events: KubeObject[] | undefined, now: number): void {
  if (!events) return;
  if (events.length === 0) {
    writer.write(LEVEL_0, 'Events:\t<none>\n');
    return;
  }
  writer.flush();
  // Array.prototype.sort is stable, like the insertion sort Go's sort.Sort uses for short lists.
  const sorted = [...events].sort((a, b) => eventTime(a) - eventTime(b));
  writer.write(LEVEL_0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  writer.write(LEVEL_1, '----\t------\t----\t----\t-------\n');
  for (const event of sorted) {
    const first = event.eventTime ? since(event.eventTime, now) : since(event.firstTimestamp, now);
    let interval = first;
    if (event.series) interval = `${since(event.series.lastObservedTime, now)} (x${event.series.count ?? 0} over ${first})`;
    else if ((event.count ?? 0) > 1) interval = `${since(event.lastTimestamp, now)} (x${event.count} over ${first})`;
    const source = event.source?.component || event.reportingComponent || '';
    writer.write(LEVEL_1, `${event.type ?? ''}\t${event.reason ?? ''}\t${interval}\t${source}\t${String(event.message ?? '').trim()}\n`);
  }
}

/**
 * Events for a describer that tolerates a failed search: kubectl ignores the error and prints the (empty)
 * list it had, so a caller without permission to list events sees "Events: <none>".
 */
export async function eventsOrNone(context: DescribeContext, reference: InvolvedObjectReference): Promise<KubeObject[]> {
  try {
    return await searchEvents(context, reference);
  } catch (error) {
    if (context.signal?.aborted) throw error;
    return [];
  }
}
