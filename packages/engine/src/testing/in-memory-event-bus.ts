/**
 * A minimal in-process EventBus for the agent's tests (the production adapters, memory and Redis, are in bus/).
 * Keeps every run's messages for replay, so a late subscriber still sees them in order.
 */
import type { BusMessage, EventBus } from '../ports/index.ts';

export function createInMemoryEventBus(): EventBus {
  const runs = new Map<string, { messages: BusMessage[]; subscribers: Set<(message: BusMessage) => void> }>();
  const stops = new Set<string>();
  const stopListeners = new Map<string, Set<() => void>>();
  const channel = (runId: string) => {
    let run = runs.get(runId);
    if (!run) runs.set(runId, (run = { messages: [], subscribers: new Set() }));
    return run;
  };
  return {
    async publish(runId, event, data) {
      const run = channel(runId);
      const message: BusMessage = { index: run.messages.length + 1, event, data };
      run.messages.push(message);
      for (const subscriber of [...run.subscribers]) subscriber(message);
      return message;
    },
    async subscribe(runId, onMessage, options) {
      const run = channel(runId);
      for (const message of run.messages) if (message.index > (options?.afterIndex ?? 0)) onMessage(message);
      run.subscribers.add(onMessage);
      return async () => {
        run.subscribers.delete(onMessage);
      };
    },
    async requestStop(runId) {
      stops.add(runId);
      for (const listener of [...(stopListeners.get(runId) ?? [])]) listener();
    },
    async isStopRequested(runId) {
      return stops.has(runId);
    },
    async onStop(runId, callback) {
      if (stops.has(runId)) {
        callback();
        return async () => {};
      }
      let fired = false;
      const once = () => {
        if (fired) return;
        fired = true;
        callback();
      };
      const listeners = stopListeners.get(runId) ?? new Set();
      listeners.add(once);
      stopListeners.set(runId, listeners);
      return async () => {
        listeners.delete(once);
      };
    },
    async close() {
      runs.clear();
    },
  };
}
