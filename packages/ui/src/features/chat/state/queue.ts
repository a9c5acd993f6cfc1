/**
 * Messages typed while a run is going are queued (spec §6) instead of interrupting it. The queue drains one
 * message at a time, first in first out, only when nothing streams and no tool call waits for a decision:
 * sending the next message while an approval is pending would let the model move on without the decision.
 */
export interface QueuedMessage {
  id: string;
  content: string;
  /** queued before a Stop, or restored after a reload: waits for "Send now" instead of sending itself */
  held?: boolean;
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
  // held messages (queued before a Stop, or restored after a reload) wait for "Send now"; the others go in order
  const next = queue.find((item) => !item.held);
  if (!canDrain(gate) || !next) return undefined;
  return { next, rest: queue.filter((item) => item !== next) };
}

/**
 * "Send now" on a queued message: it jumps to the front. It is sent at once only when the gate is open; while a
 * run streams it waits for the run to end (the caller may stop the run first), and while approvals are pending it
 * stays queued (decide them first).
 */
export function promote(queue: QueuedMessage[], id: string): QueuedMessage[] {
  const item = queue.find((entry) => entry.id === id);
  return item ? [{ id: item.id, content: item.content }, ...queue.filter((entry) => entry.id !== id)] : queue;
}

/**
 * Stop means "wait": a message queued before Stop is not sent by the run's end. Each queued message is held until
 * the user picks "Send now" (promote) or discards it.
 */
export function holdAll(queue: QueuedMessage[]): QueuedMessage[] {
  return queue.map((item) => ({ ...item, held: true }));
}

// Kept across reloads in sessionStorage (this tab only, gone when it closes), per conversation. Only the text the
// user typed is stored: no token, no event, nothing the engine sent.
const queueKey = (conversationId: string) => `skyflo.queue.${conversationId}`;

export function persistQueue(conversationId: string | undefined, queue: QueuedMessage[]): void {
  if (!conversationId) return;
  try {
    if (queue.length > 0) sessionStorage.setItem(queueKey(conversationId), JSON.stringify(queue.map(({ id, content, held }) => ({ id, content, ...(held ? { held } : {}) }))));
    else sessionStorage.removeItem(queueKey(conversationId));
  } catch {
    // storage full or disabled: the queue still works for this page's life
  }
}

/** The queue saved for `conversationId`, held: after a reload nothing is sent without the user saying so. */
export function restoreQueue(conversationId: string): QueuedMessage[] {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(queueKey(conversationId)) ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter((item): item is { id: string; content: string } => typeof item?.id === 'string' && typeof item?.content === 'string' && item.content.trim() !== '')
      .map((item) => ({ id: item.id, content: item.content, held: true }));
  } catch {
    return [];
  }
}
