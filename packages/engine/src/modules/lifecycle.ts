/**
 * The engine's start and close for the composition root (create-engine.ts): the resources it opened itself (database,
 * bus, tool gateways, Redis), closed last and in reverse, and the steps the root lists for listen and close.
 */

/** One step of a start or a close: a step that returns a promise is awaited before the next begins. */
export type LifecycleStep = () => unknown;

/**
 * Runs the steps in the order given. A synchronous step is not awaited, so a run of them (clearing timers, stopping
 * queues) happens in one tick with nothing in between, as the close always did; a step that throws stops the walk.
 */
export async function runInOrder(steps: readonly LifecycleStep[]): Promise<void> {
  for (const step of steps) {
    const result = step();
    if (isThenable(result)) await result;
  }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';

/** What the engine opened itself (a test's storage, bus or tools are the test's to close). */
export interface OwnedResources {
  /** closed in reverse of the order added */
  add(...closers: Array<() => Promise<void>>): void;
  /** added as soon as it opens: a failure elsewhere in start-up does not leak it (an open database keeps its lock) */
  adopt<T>(opening: Promise<T>, close: (opened: T) => Promise<void>): void;
  /** closes everything added, newest first; one that fails does not keep the others open */
  close(): Promise<void>;
  /** start-up failed: lets what is still opening finish, so it is closed (and its lock released) rather than leaked */
  abandon(): Promise<void>;
}

export function ownedResources(): OwnedResources {
  const closers: Array<() => Promise<void>> = [];
  const opening: Promise<unknown>[] = [];
  const close = async () => {
    for (const closer of [...closers].reverse()) await closer().catch(() => undefined);
  };
  return {
    add: (...added) => void closers.push(...added),
    adopt(pending, closeOpened) {
      opening.push(pending.then((opened) => closers.push(() => closeOpened(opened)), () => undefined));
    },
    close,
    async abandon() {
      await Promise.all(opening);
      await close();
    },
  };
}
