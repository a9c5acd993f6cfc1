/**
 * The PGlite thread's statements, each parsed and planned once (issue 38 goal 5). PGlite's `query` sends a statement
 * in six calls into PostgreSQL (Parse, Describe statement, Bind, Describe portal, Execute, Sync) and PostgreSQL parses,
 * analyses and plans its text every time. The engine sends the same few dozen texts over and over (Drizzle and the
 * stores build them from fixed shapes), and on PostgreSQL's WebAssembly that preparation was most of a statement: the
 * approval's decision-and-claim statement took 3.3 ms, 1.7 ms prepared; the approval-and-conversation read 1.1 →
 * 0.4 ms (replayed from a recorded approval bench, in process). So each text becomes a named prepared statement the
 * first time it is sent (Parse + Describe, one call: its parameter types, which PGlite's serializers need), and every
 * later call is one message: Bind, Describe portal, Execute, Sync. PostgreSQL keeps the plan (a custom plan for the
 * first five runs, then the generic one when it is no dearer) and re-plans by itself when a table it uses changes.
 *
 * The results, parameter serialisation and errors are PGlite's own (`parse`, `serializers`, DatabaseError with the
 * query attached), and the locks are PGlite's: a statement outside a transaction waits for the transaction lock,
 * as `query` does, so it never lands inside a transaction held open by another caller (`_runExclusiveTransaction`,
 * `_runExclusiveQuery` and `_checkReady` are the methods PGlite's own `query` and `transaction` use; the version is
 * pinned, and test/storage/pglite-prepared-statements.test.ts holds them to that).
 * At most `maxStatements` are kept, least recently used first out (closed with the next message sent), so texts
 * that vary (a list of n ids) cannot grow PostgreSQL's memory without bound.
 */
import { randomBytes } from 'node:crypto';
import { messages, parse, protocol, type ParserOptions, type PGlite, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';

const { DatabaseError } = messages;
const { serialize } = protocol;

/** A statement's prepared name and the parameter types PostgreSQL inferred for it. */
interface PreparedStatement {
  name: string;
  types: number[];
}

export interface PreparedStatements {
  /** `sql` with `params`, on `transaction` when given (its holder has PGlite's transaction lock), else on its own. */
  query<T>(sql: string, params: unknown[] | undefined, options?: QueryOptions, transaction?: Transaction): Promise<Results<T>>;
}

/**
 * PostgreSQL's errors for a prepared statement that cannot run as prepared, raised at Bind before anything ran: the
 * statement is gone (26000), or a table it reads changed its columns under it (0A000, "cached plan must not change
 * result type").
 */
const isStale = (error: unknown) =>
  error instanceof DatabaseError && (error.code === '26000' || (error.code === '0A000' && error.message.includes('cached plan must not change result type')));

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const message = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  return message;
}

/** PGlite's error for a failed statement: PostgreSQL's error with the query, as `query` throws it. */
function withQuery(error: unknown, sql: string, params: unknown[], options: QueryOptions | undefined): unknown {
  return error instanceof DatabaseError ? Object.assign(error, { query: sql, params, queryOptions: options }) : error;
}

export function createPreparedStatements(lite: PGlite, { maxStatements = 200 } = {}): PreparedStatements {
  /** by text; a Map keeps insertion order, so re-inserting on use makes its first entry the least recently used */
  const statements = new Map<string, PreparedStatement>();
  /** names evicted and not yet closed: the next message closes them first */
  let closing: string[] = [];
  let sequence = 0;
  // Names are per connection in PostgreSQL: a prefix of its own keeps two of these on one PGlite (tests) apart.
  const prefix = `skyflo_${randomBytes(3).toString('hex')}_`;

  /**
   * PGlite's parsers with a caller's own over them (the raw-text parsers the engine asks for dates), one per set of
   * own parsers. Handed own parsers, PGlite's `parseResults` copies all ~300 of its own into a new object for every
   * statement: 0.2–0.5 ms on this thread each time, nearly half of a one-row statement's time here (the approval
   * bench). An object whose prototype is PGlite's map reads the same without a copy, and still sees a parser PGlite
   * adds later (`refreshArrayTypes` adds to its map in place); kept per own-parsers object, which the PGlite thread
   * keeps one of per list of types.
   */
  const parsersOver = new WeakMap<ParserOptions, PGlite['parsers']>();
  function parsersFor(own: ParserOptions | undefined): PGlite['parsers'] {
    if (!own) return lite.parsers;
    let parsers = parsersOver.get(own);
    if (!parsers) parsersOver.set(own, (parsers = Object.assign(Object.create(lite.parsers) as PGlite['parsers'], own)));
    return parsers;
  }

  const send = (parts: Uint8Array[]) => lite.execProtocolStream(concat(parts), { syncToFs: false });

  /** Close messages for the evicted statements, taken: sent ahead of the next statement's own messages. */
  function takeClosing(): Uint8Array[] {
    const parts = closing.map((name) => serialize.close({ type: 'S', name }));
    closing = [];
    return parts;
  }

  async function prepare(sql: string): Promise<PreparedStatement> {
    const name = `${prefix}${(sequence++).toString(36)}`;
    const replies = await send([...takeClosing(), serialize.parse({ name, text: sql, types: [] }), serialize.describe({ type: 'S', name }), serialize.sync()]);
    const statement = { name, types: parse.parseDescribeStatementResults(replies) };
    statements.set(sql, statement);
    if (statements.size > maxStatements) {
      const [oldestText, oldest] = statements.entries().next().value as [string, PreparedStatement];
      statements.delete(oldestText);
      closing.push(oldest.name);
    }
    return statement;
  }

  function statementFor(sql: string): PreparedStatement | undefined {
    const statement = statements.get(sql);
    if (statement) {
      statements.delete(sql);
      statements.set(sql, statement);
    }
    return statement;
  }

  async function execute<T>(sql: string, params: unknown[], options: QueryOptions | undefined): Promise<Results<T>> {
    const statement = statementFor(sql) ?? (await prepare(sql));
    // As PGlite's query: the serializer for the type PostgreSQL expects, else the value's own text.
    const values = params.map((param, index) => {
      if (param === null || param === undefined) return null;
      const type = statement.types[index]!;
      const serializer = options?.serializers?.[type] ?? lite.serializers[type];
      return serializer ? serializer(param) : String(param);
    });
    try {
      const replies = await send([...takeClosing(), serialize.bind({ statement: statement.name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]);
      const { parsers, ...shape } = options ?? {};
      return parse.parseResults(replies, parsersFor(parsers), shape)[0] as Results<T>;
    } catch (error) {
      if (isStale(error) && statements.get(sql) === statement) {
        statements.delete(sql);
        closing.push(statement.name);
      }
      throw error;
    }
  }

  /** One statement under the query lock; a stale prepared statement outside a transaction is prepared again once. */
  async function run<T>(sql: string, params: unknown[], options: QueryOptions | undefined, inTransaction: boolean): Promise<Results<T>> {
    return lite._runExclusiveQuery(async () => {
      try {
        try {
          return await execute<T>(sql, params, options);
        } catch (error) {
          // Bind failed before anything ran (the statement was dropped, or a table it reads changed its columns):
          // prepared again from its text, as PGlite's query would have parsed it. In a transaction the error has
          // already aborted it, so it is the caller's.
          if (inTransaction || statements.has(sql) || !isStale(error)) throw error;
          return await execute<T>(sql, params, options);
        }
      } catch (error) {
        throw withQuery(error, sql, params, options);
      } finally {
        if (!inTransaction) await lite.syncToFs();
      }
    });
  }

  return {
    async query<T>(sql: string, params: unknown[] | undefined, options?: QueryOptions, transaction?: Transaction): Promise<Results<T>> {
      await lite._checkReady();
      if (transaction) {
        if (transaction.closed) throw new Error('Transaction is closed');
        return run<T>(sql, params ?? [], options, true);
      }
      return lite._runExclusiveTransaction(() => run<T>(sql, params ?? [], options, false));
    },
  };
}
