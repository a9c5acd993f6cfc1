/**
 * The slice of pg's Pool that PostgresSaver uses (query, connect → {query, release}, end), on top of PGlite.
 * PGlite is one connection, so a client's BEGIN … COMMIT is mapped onto `lite.transaction()`: PGlite holds its
 * transaction lock for the whole block, which keeps Drizzle's queries from landing inside a checkpoint write.
 * Writes inside BEGIN … COMMIT whose results nobody can read (INSERT/UPDATE/DELETE without RETURNING: all that
 * PostgresSaver's put/putWrites send) are buffered and run in one `lite.transaction()` at COMMIT. Why: an open
 * transaction holds PGlite's single connection across every await of the caller, so each checkpoint write used to
 * stall the approval and timeline queries behind it for several event-loop turns (P4). A read inside the block
 * opens a real transaction first, so callers that do read mid-transaction still see their own writes. On the PGlite
 * thread the buffered writes travel to it in one message and commit there (PgliteThreadClient.batch).
 */
import { openTransaction, type OpenTransaction } from './pglite-open-transaction.ts';
import { canBatch, type PgliteConnection } from './pglite-thread/pglite-thread-client.ts';

interface QueryResult {
  rows: unknown[];
  rowCount: number;
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

const empty: QueryResult = { rows: [], rowCount: 0 };
const blindWrite = /^\s*(insert|update|delete)\b/i;
const returning = /\breturning\b/i;

interface Statement {
  text: string;
  params?: unknown[];
}

export function createPglitePool(lite: PgliteConnection): PglitePool {
  return {
    query: async (text, params) => toResult(await lite.query(text, params)),
    async connect() {
      // BEGIN seen and nothing sent yet: the statements wait here until COMMIT (or a read) needs them.
      let buffered: Statement[] | undefined;
      let transaction: OpenTransaction | undefined;
      return {
        async query(text, params) {
          const command = text.trim().replace(/;$/, '').toUpperCase();
          if (command === 'BEGIN') {
            buffered = [];
            return empty;
          }
          if (command === 'COMMIT' || command === 'ROLLBACK') {
            const current = transaction;
            const statements = buffered;
            transaction = undefined;
            buffered = undefined;
            if (current) await current.finish(command === 'COMMIT');
            else if (command === 'COMMIT' && statements?.length) {
              // On the PGlite thread the whole transaction is one round trip (a checkpoint is 2 statements: 4 trips before).
              if (canBatch(lite)) await lite.batch(statements.map(({ text, params }) => ({ sql: text, ...(params ? { params } : {}) })));
              else {
                await lite.transaction(async (tx) => {
                  for (const statement of statements) await tx.query(statement.text, statement.params);
                });
              }
            }
            return empty;
          }
          if (buffered && !transaction) {
            if (blindWrite.test(text) && !returning.test(text)) {
              buffered.push({ text, ...(params ? { params } : {}) });
              return empty;
            }
            const statements = buffered;
            buffered = undefined;
            transaction = await openTransaction(lite);
            for (const statement of statements) await transaction.tx.query(statement.text, statement.params);
          }
          return toResult(await (transaction ? transaction.tx : lite).query(text, params));
        },
        release() {
          // A client released mid-transaction would hold PGlite's lock forever; roll it back instead.
          if (transaction) void transaction.finish(false).catch(() => undefined);
          transaction = undefined;
          buffered = undefined;
        },
      };
    },
    // PGlite's lifetime belongs to the storage, not to the checkpointer.
    end: async () => undefined,
  };
}
