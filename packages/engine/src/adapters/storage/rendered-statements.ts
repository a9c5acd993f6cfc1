/**
 * Statements whose SQL text is rendered once (issue 38). Drizzle renders a statement's text from its chunks on every
 * call (`sqlToQuery`: each chunk tested against each kind with `is()`, the pieces merged): 0.3–1.7 ms of main-thread
 * CPU per statement (an approval's insert 1.7, its read with the conversation 1.1, the decision with its run claim and
 * audit record 0.9; ~5.5 ms per approval cycle), partly on the approval's way to `tool.executing`, for texts that never
 * change: more than PGlite's thread then takes to run most of them. So such a statement is built with a placeholder
 * (`sql.placeholder`, `slot`) for every value, rendered the first time it is run (per shape: the few variants its
 * optional parts make), and run as Drizzle runs its own `.prepare()`d queries: the session's prepared query, its
 * placeholders filled with this call's values (`fillPlaceholders`, which applies a column's encoder to a value a query
 * builder bound to that column). Errors are Drizzle's own (DrizzleQueryError with the database's error as its cause),
 * as with `db.execute`.
 */
import { sql, type Placeholder, type Query, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { SkyfloDatabase } from './database.ts';

// The engine's databases are made with Drizzle's defaults (drizzle(client, { schema }), no casing option), so this
// dialect renders the text their own would (every store statement rendered here runs on each driver in test/storage).
const dialect = new PgDialect();

/**
 * A placeholder where a query builder takes a column's value (`.set({ decidedAt: slot('decided_at') })`): Drizzle
 * binds it to the column, so the value filled in later goes through the column's encoder (a Date, a JSON object) as
 * a value given directly would — except null, which fillPlaceholders hands to the encoder too: give a date or JSON
 * column's slot a value, and make its absence a shape of its own. Typed as the value it stands for, as the builder's
 * types ask.
 */
export const slot = <T>(name: string): T => sql.placeholder(name) as unknown as T;

/**
 * A nullable JSON column's placeholder, filled with `jsonText(value)`: SQL NULL for no value. (Through `slot` the
 * column's encoder would turn null into the JSON value `null`.)
 */
export const jsonSlot = (name: string): SQL => sql`${sql.placeholder(name)}::jsonb`;
export const jsonText = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

/** A placeholder inside an `sql` template: the value filled in is sent as it is (cast it in the text as needed). */
export const param = (name: string): Placeholder => sql.placeholder(name);

/** The rows of a raw statement (node-postgres and PGlite both answer `{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows?: T[] }).rows ?? (result as T[]);
}

export interface RenderedStatement<Shape> {
  /** the driver's rows (snake_case columns, driver values) of the statement of `shape` run on `db` with `values` */
  rows<Row>(db: SkyfloDatabase, values: Record<string, unknown>, shape: Shape): Promise<Row[]>;
}

/**
 * A statement built by `build` with placeholders only (no value of any one call), rendered at the first use of each
 * shape (`keyOf` names a shape; a shape is a few flags, so there are few). `db` may be a transaction: the text is the
 * same, the session is the caller's.
 */
export function renderedOnce<Shape>(build: (shape: Shape) => SQL | { getSQL(): SQL }, keyOf: (shape: Shape) => string = String): RenderedStatement<Shape> {
  const texts = new Map<string, Query>();
  const text = (shape: Shape): Query => {
    const key = keyOf(shape);
    let query = texts.get(key);
    if (!query) {
      query = dialect.sqlToQuery(build(shape).getSQL());
      texts.set(key, query);
    }
    return query;
  };
  return {
    async rows<Row>(db: SkyfloDatabase, values: Record<string, unknown>, shape: Shape): Promise<Row[]> {
      return rowsOf<Row>(await db._.session.prepareQuery(text(shape), undefined, undefined, false).execute(values));
    },
  };
}

/**
 * A query builder's statement prepared at its first use (`() => db.select()…where(eq(col, slot('id')))`): Drizzle
 * renders it then, and each call only fills its placeholders. Not at the store's creation: start-up renders nothing
 * it does not run. Unnamed: given a name, node-postgres would prepare it on the server under that name on each
 * connection, which a pooler in transaction mode (PgBouncer before 1.21) loses between transactions; without one it
 * is sent as Drizzle's unprepared queries are. Rendering is what is saved (PGlite's thread prepares by text itself).
 */
export function preparedOnce<T>(builder: () => { prepare(name: string): T }): () => T {
  let prepared: T | undefined;
  return () => (prepared ??= builder().prepare(undefined as unknown as string));
}
