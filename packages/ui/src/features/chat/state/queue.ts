/**
 * Messages typed while a run is going are queued (spec §6) instead of interrupting it. The queue drains one
 * message at a time, first in first out, only when nothing streams and no tool call waits for a decision:
 * sending the next message while an approval is pending would let the model move on without the decision.
 */
export interface QueuedMessage {
  id: string;
  content: string;
}

export interface QueueGate {
  streaming: boolean;
  pendingApprovals: number;
}

export function enqueue(queue: QueuedMessage[], content: string, id: string): QueuedMessage[] {
  const text = content.trim();
  return text ? [...queue, { id, content: text }] : queue;
}

export function removeQueued(queue: QueuedMessage[], id: string): QueuedMessage[] {
  return queue.filter((item) => item.id !== id);
}

export function canDrain(gate: QueueGate): boolean {
  return !gate.streaming && gate.pendingApprovals === 0;
}

/** The message to send now and the rest, or undefined when the gate is closed or the queue empty. */
export function takeNext(queue: QueuedMessage[], gate: QueueGate): { next: QueuedMessage; rest: QueuedMessage[] } | undefined {
  if (!canDrain(gate) || queue.length === 0) return undefined;
  return { next: queue[0], rest: queue.slice(1) };
}

/**
 * "Send now" on a queued message: it jumps to the front. It is sent at once only when the gate is open; while a
 * run streams it waits for the run to end (the caller may stop the run first), and while approvals are pending it
 * stays queued (decide them first).
 */
export function promote(queue: QueuedMessage[], id: string): QueuedMessage[] {
  const item = queue.find((entry) => entry.id === id);
  return item ? [item, ...queue.filter((entry) => entry.id !== id)] : queue;
}
