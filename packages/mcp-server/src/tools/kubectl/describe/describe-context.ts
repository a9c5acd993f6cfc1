/**
 * What a native describer needs: the cluster (through the package's kube HTTP client, one keep-alive
 * connection), the caller's abort signal and the clock used for ages. Describers fetch the extra objects
 * kubectl fetches (events, pods, ReplicaSets…) with the same queries kubectl sends.
 */
import type { KubeHttp } from '../../../kube/create-kube-http.ts';
import type { KubeObject } from './describe-format.ts';

export interface DescribeContext {
  http: KubeHttp;
  signal?: AbortSignal;
  /** epoch milliseconds used for every age in one describe */
  now: number;
  /**
   * Events of the object's name (and kind), requested while the object itself was being read, so describing
   * one object costs one round of requests less. searchEvents narrows them to the object's uid.
   */
  prefetchedEvents?: EventPrefetch;
}

export interface EventPrefetch {
  name: string;
  namespace: string;
  kind?: string;
  events: Promise<KubeObject[]>;
}

/**
 * Thrown by a describer that meets something it cannot print exactly as kubectl would (a volume type or a
 * metric source it does not know); the tool then runs `kubectl describe` instead of printing a guess.
 */
export class NativeDescribeUnsupported extends Error {
  constructor(what: string) {
    super(`native describe does not render ${what}`);
    this.name = 'NativeDescribeUnsupported';
  }
}

/** A native describer: renders one object it was given (already fetched) the way `kubectl describe` does. */
export interface NativeDescriber {
  group: string;
  kind: string;
  /** the API version kubectl's typed client reads this kind with */
  version: string;
  /** true for kinds whose describe shows no events (Secret, Namespace): nothing to prefetch */
  withoutEvents?: boolean;
  /**
   * Reads that need only the object's name and namespace, started while the object itself is read; what it
   * returns is handed to describe. Errors are the describer's to handle (it should then read as usual).
   */
  prefetch?(context: DescribeContext, target: { name: string; namespace: string }): Promise<unknown>;
  describe(object: KubeObject, context: DescribeContext, prefetched?: Promise<unknown>): Promise<string>;
}

/** Lists every item of a collection, following `continue` tokens in pages of 500 as kubectl does. */
export async function listAll(context: DescribeContext, path: string, query: Record<string, string | undefined> = {}): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  let token: string | undefined;
  do {
    const page = await context.http.json<KubeObject>({ path, query: { ...query, limit: '500', continue: token }, signal: context.signal });
    items.push(...(page.items ?? []));
    token = page.metadata?.continue || undefined;
  } while (token);
  return items;
}
