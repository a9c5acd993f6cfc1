/**
 * The slice of pg's Pool that PostgresSaver uses (query, connect → {query, release}, end), on top of PGlite.
 * PGlite is one connection, so a client's BEGIN … COMMIT is mapped onto `lite.transaction()`: PGlite holds its
 * transaction lock for the whole block, which keeps Drizzle's queries from landing inside a checkpoint write.
 */
import type { PGlite, Transaction } from '@electric-sql/pglite';

interface QueryResult {
  rows: unknown[];
  rowCount: number;
}

interface OpenTransaction {
  query(text: string, params?: unknown[]): Promise<QueryResult>;
  finish(commit: boolean): Promise<void>;
}

export interface PglitePool {
  query(text: string, params?: unknown[]): Promise<QueryResult>;
  connect(): Promise<{ query(text: string, params?: unknown[]): Promise<QueryResult>; release(): void }>;
  end(): Promise<void>;
}

const toResult = (result: { rows: unknown[]; affectedRows?: number }): QueryResult => ({
  rows: result.rows,
  rowCount: result.affectedRows ?? result.rows.length,
});

function openTransaction(lite: PGlite): Promise<OpenTransaction> {
  return new Promise((resolveOpen, rejectOpen) => {
    let opened = false;
    const done = lite.transaction(async (tx: Transaction) => {
      let settle!: (commit: boolean) => void;
      const outcome = new Promise<boolean>((resolve) => (settle = resolve));
      opened = true;
      resolveOpen({
        query: async (text, params) => toResult(await tx.query(text, params)),
        finish: async (commit) => {
          settle(commit);
          await done;
        },
      });
      if (!(await outcome)) await tx.rollback();
    });
    done.catch((error: unknown) => {
      if (!opened) rejectOpen(error);
    });
  });
}

export function createPglitePool(lite: PGlite): PglitePool {
  return {
    query: async (text, params) => toResult(await lite.query(text, params)),
    async connect() {
      let transaction: OpenTransaction | undefined;
      return {
        async query(text, params) {
          const command = text.trim().replace(/;$/, '').toUpperCase();
          if (command === 'BEGIN') {
            transaction = await openTransaction(lite);
            return { rows: [], rowCount: 0 };
          }
          if ((command === 'COMMIT' || command === 'ROLLBACK') && transaction) {
            const current = transaction;
            transaction = undefined;
            await current.finish(command === 'COMMIT');
            return { rows: [], rowCount: 0 };
          }
          return transaction ? transaction.query(text, params) : toResult(await lite.query(text, params));
        },
        release() {
          // A client released mid-transaction would hold PGlite's lock forever; roll it back instead.
          if (transaction) void transaction.finish(false).catch(() => undefined);
          transaction = undefined;
        },
      };
    },
    // PGlite's lifetime belongs to the storage, not to the checkpointer.
    end: async () => undefined,
  };
}
