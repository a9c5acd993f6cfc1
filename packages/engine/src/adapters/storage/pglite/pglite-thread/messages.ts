/**
 * What the engine's thread and the PGlite thread say to each other (structured clone over a MessagePort).
 * Queries name the transaction they belong to, so the one PGlite connection keeps its transaction semantics.
 * Each port message is an ARRAY: every request (and every reply) that was ready in the same tick travels in one
 * message. Why: with hundreds of runs each waiting on the database, a message per statement cost more in postMessage
 * and the worker's event dispatch than the statements themselves did (P2 profile).
 */

export interface PgliteThreadOptions {
  /** `<dataDir>/pglite`: seeded from the template when empty, then opened */
  databaseDir: string;
  templateDir?: string;
}

export interface BatchStatement {
  sql: string;
  params?: unknown[];
}

/**
 * A statement inside a transaction names it by `tx`; the transaction's first statement also says `begin`, so opening
 * it costs no round trip of its own (a transaction that never sends a statement is never opened).
 */
export type PgliteRequest =
  | { id: number; op: 'query'; sql: string; params?: unknown[]; rowMode?: 'array' | 'object'; rawTextTypes?: number[]; tx?: number; begin?: true }
  | { id: number; op: 'exec'; sql: string; tx?: number; begin?: true }
  /** statements whose results nobody reads before the commit, run in one transaction: one round trip */
  | { id: number; op: 'batch'; statements: BatchStatement[] }
  /** rollback inside the transaction; `end` still follows */
  | { id: number; op: 'rollback'; tx: number }
  /** commit (or, with commit false, roll back) and leave the transaction */
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

export type PgliteReply =
  | { type: 'ready' }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError };

/** An error's message and its primitive fields (PostgreSQL's code, detail, constraint…), which callers read. */
export type SerializedError = Record<string, string | number | boolean | undefined> & { message: string; name: string };

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields: SerializedError = { name: error.name, message: error.message };
  for (const [key, value] of Object.entries(error)) {
    if (['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value as string | number | boolean;
  }
  return fields;
}

export function deserializeError(fields: SerializedError): Error {
  const error = new Error(fields.message);
  Object.assign(error, fields);
  return error;
}
