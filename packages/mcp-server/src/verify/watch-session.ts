/**
 * Several watches kept as live caches (one per key: the workload, its ReplicaSets, its pods, events…) and a way to
 * wait until a check over those caches reaches a verdict, a deadline passes, or the call is cancelled. Every change
 * re-runs the check once (batched per tick); nothing runs while nothing changes.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeClientsFor } from '../kube/kube-clients.ts';
import { openWatch, type KubeWatch, type WatchEvent } from './kube-watch.ts';

export interface WatchSession {
  /** Lists, then watches, the objects kept under `key`; resolves once the list is in the cache and the watch is open. */
  watch(key: string, path: string, query?: Record<string, string | undefined>): Promise<void>;
  /** the live objects under `key` */
  items(key: string): Record<string, any>[];
  /** objects under `key` that were deleted while watched (name → last state) */
  deleted(key: string): Map<string, Record<string, any>>;
  /**
   * Runs `check` now and after every change until it returns something, `deadline` (ms since epoch) passes, or the
   * signal aborts. Undefined means the deadline (or a cancel) came first.
   */
  until<T>(check: () => T | undefined, deadline: number): Promise<T | undefined>;
  /** a watch that failed for good (the verdict says so instead of hanging until the deadline) */
  failure(): Error | undefined;
  close(): void;
}

const keyOf = (object: Record<string, any>) => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

export function createWatchSession(options: { kubeConfig: KubeConfig; signal: AbortSignal; onChange?: (event: WatchEvent & { key: string }) => void }): WatchSession {
  const caches = new Map<string, Map<string, Record<string, any>>>();
  const gone = new Map<string, Map<string, Record<string, any>>>();
  const watches: KubeWatch[] = [];
  const listeners = new Set<() => void>();
  let failed: Error | undefined;
  let scheduled = false;
  const inner = new AbortController();
  const stop = () => inner.abort();
  options.signal.addEventListener('abort', stop, { once: true });

  const notify = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      for (const listener of [...listeners]) listener();
    });
  };

  return {
    async watch(key, path, query) {
      const cache = new Map<string, Record<string, any>>();
      const deleted = new Map<string, Record<string, any>>();
      caches.set(key, cache);
      gone.set(key, deleted);
      // List first, then watch from the list's resourceVersion (as informers do): the cache holds the current state
      // before the first check runs, so "no such object" really means gone, not "initial events still on their way".
      const list = await kubeClientsFor(options.kubeConfig).http.json<{ metadata?: { resourceVersion?: string }; items?: Record<string, any>[] }>({ path, query, signal: inner.signal });
      for (const item of list.items ?? []) cache.set(keyOf(item), item);
      const watch = openWatch({
        kubeConfig: options.kubeConfig,
        path,
        query,
        resourceVersion: list.metadata?.resourceVersion,
        signal: inner.signal,
        onEvent: (event) => {
          const id = keyOf(event.object);
          if (event.type === 'DELETED') {
            cache.delete(id);
            deleted.set(event.object.metadata?.name ?? id, event.object);
          } else cache.set(id, event.object);
          options.onChange?.({ ...event, key });
          notify();
        },
        onError: (error) => {
          failed ??= error;
          notify();
        },
      });
      watches.push(watch);
      await watch.ready;
    },
    items: (key) => [...(caches.get(key)?.values() ?? [])],
    deleted: (key) => gone.get(key) ?? new Map(),
    failure: () => failed,
    until(check, deadline) {
      return new Promise((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const finish = (value: any) => {
          clearTimeout(timer);
          listeners.delete(run);
          options.signal.removeEventListener('abort', onAbort);
          resolve(value);
        };
        const run = () => {
          const verdict = check();
          if (verdict !== undefined) finish(verdict);
        };
        const onAbort = () => finish(undefined);
        if (options.signal.aborted) return finish(undefined);
        options.signal.addEventListener('abort', onAbort, { once: true });
        listeners.add(run);
        timer = setTimeout(() => finish(undefined), Math.max(0, deadline - Date.now()));
        run();
      });
    },
    close() {
      options.signal.removeEventListener('abort', stop);
      stop();
      for (const watch of watches) watch.close();
      listeners.clear();
    },
  };
}
