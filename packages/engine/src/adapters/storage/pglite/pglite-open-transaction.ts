/**
 * A PGlite transaction held open across calls: PGlite only offers `transaction(callback)`, whose block ends when the
 * callback returns. Used by the checkpointer's pool (BEGIN … COMMIT from node-postgres callers) and by the PGlite
 * thread (transactions begun and ended by messages from the engine's thread).
 */
import type { Transaction } from '@electric-sql/pglite';
import type { PgliteConnection } from './pglite-thread/pglite-thread-client.ts';

export interface OpenTransaction {
  tx: Transaction;
  /** commits, or rolls back (unless tx.rollback() already did); resolves once COMMIT or ROLLBACK ran */
  finish(commit: boolean): Promise<void>;
}

export function openTransaction(lite: PgliteConnection): Promise<OpenTransaction> {
  return new Promise((resolveOpen, rejectOpen) => {
    let opened = false;
    const done = lite.transaction(async (tx: Transaction) => {
      let settle!: (commit: boolean) => void;
      const outcome = new Promise<boolean>((resolve) => (settle = resolve));
      opened = true;
      resolveOpen({
        tx,
        finish: async (commit) => {
          settle(commit);
          await done;
        },
      });
      if (!(await outcome) && !tx.closed) await tx.rollback();
    });
    done.catch((error: unknown) => {
      if (!opened) rejectOpen(error);
    });
  });
}
