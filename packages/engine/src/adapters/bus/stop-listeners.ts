/**
 * The per-run stop callbacks both bus adapters keep: each fires at most once, removes itself when it fires,
 * and a throwing callback is logged rather than breaking the others.
 */
import type { BusLogger } from './bus-types.ts';

export interface StopListeners {
  /** Registers a callback; returns its listener (to fire it at once) and a remover. */
  add(runId: string, callback: () => void): { fire: () => void; remove: () => void };
  notify(runId: string): void;
  runIds(): string[];
  clear(): void;
}

export function createStopListeners(logger: BusLogger | undefined): StopListeners {
  const listeners = new Map<string, Set<() => void>>();
  return {
    add(runId, callback) {
      let fired = false;
      const remove = () => {
        const set = listeners.get(runId);
        set?.delete(fire);
        if (set?.size === 0) listeners.delete(runId);
      };
      const fire = () => {
        if (fired) return;
        fired = true;
        remove();
        try {
          callback();
        } catch (error) {
          logger?.warn({ err: error }, 'stop callback threw');
        }
      };
      let set = listeners.get(runId);
      if (!set) {
        set = new Set();
        listeners.set(runId, set);
      }
      set.add(fire);
      return { fire, remove };
    },
    notify(runId) {
      const set = listeners.get(runId);
      if (set) for (const listener of [...set]) listener();
    },
    runIds: () => [...listeners.keys()],
    clear: () => listeners.clear(),
  };
}
