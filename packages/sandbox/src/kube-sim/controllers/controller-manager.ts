import type { ObjectStore, StoreChange } from '../cluster-types.ts';
import type { Timers } from '../workloads/timers.ts';

/**
 * A level-triggered controller: store changes map to keys (usually `namespace/name`), and `reconcile`
 * brings one key's world in line with its spec by reading and writing the store.
 */
export interface Controller {
  name: string;
  keysFor(change: StoreChange): string[];
  reconcile(key: string): void;
}

export interface ControllerManager {
  add(controller: Controller): void;
  enqueue(controller: Controller, key: string): void;
  enqueueAfter(controller: Controller, key: string, delayMs: number): void;
  /** Processes queued work synchronously until nothing is left (scenario loading, tests). */
  drain(): void;
  stop(): void;
}

// Why a cap: two controllers that keep rewriting each other's objects would otherwise spin forever.
const maxRoundsPerDrain = 200;
/**
 * Why slices: background reconciles run in short bursts between I/O, so 10,000 pods arriving at once
 * delay an API request by one slice, not by the whole backlog.
 */
const defaultSliceMs = 10;

export function createControllerManager(deps: { store: ObjectStore; timers: Timers; onError: (error: unknown, controller: string) => void; sliceMs?: number }): ControllerManager {
  const controllers: Controller[] = [];
  const queues = new Map<Controller, Set<string>>();
  const sliceMs = deps.sliceMs ?? defaultSliceMs;
  let scheduled = false;
  let draining = false;
  let stopped = false;

  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      work(performance.now() + sliceMs);
    });
  };

  const unsubscribe = deps.store.subscribe((change) => {
    for (const controller of controllers) {
      let keys: string[];
      try {
        keys = controller.keysFor(change);
      } catch (error) {
        deps.onError(error, controller.name);
        continue;
      }
      for (const key of keys) manager.enqueue(controller, key);
    }
  });

  /** One pass over every controller's queue as it was at the start of the pass. */
  function round(deadline: number): 'idle' | 'worked' | 'out-of-time' {
    let worked = false;
    for (const controller of controllers) {
      const queue = queues.get(controller)!;
      if (queue.size === 0) continue;
      worked = true;
      // A snapshot: keys queued while this pass runs wait for the next pass, as before.
      for (const key of [...queue]) {
        if (!queue.delete(key)) continue;
        try {
          controller.reconcile(key);
        } catch (error) {
          deps.onError(error, controller.name);
        }
        if (performance.now() > deadline) return 'out-of-time';
      }
    }
    return worked ? 'worked' : 'idle';
  }

  /** Reconciles until the queues are empty, the round cap is hit, or the deadline passes. */
  function work(deadline: number): void {
    if (draining || stopped) return;
    draining = true;
    try {
      for (let rounds = 0; rounds < maxRoundsPerDrain; rounds++) {
        const result = round(deadline);
        if (result === 'idle') return;
        if (result === 'out-of-time') break;
      }
      // Work left: continue on the next tick rather than starving the event loop.
      schedule();
    } finally {
      draining = false;
    }
  }

  const manager: ControllerManager = {
    add(controller) {
      controllers.push(controller);
      queues.set(controller, new Set());
    },
    enqueue(controller, key) {
      if (stopped) return;
      queues.get(controller)?.add(key);
      if (!draining) schedule();
    },
    enqueueAfter(controller, key, delayMs) {
      deps.timers.after(delayMs, () => manager.enqueue(controller, key));
    },
    drain() {
      work(Number.POSITIVE_INFINITY);
    },
    stop() {
      stopped = true;
      unsubscribe();
    },
  };
  return manager;
}

/** `namespace/name` key of an object. */
export function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const index = key.indexOf('/');
  const namespace = key.slice(0, index);
  return { namespace: namespace || undefined, name: key.slice(index + 1) };
}
