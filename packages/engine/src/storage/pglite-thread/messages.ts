/**
 * What the engine's thread and the PGlite thread say to each other (structured clone over a MessagePort).
 * Queries name the transaction they belong to, so the one PGlite connection keeps its transaction semantics.
 */

export interface PgliteThreadOptions {
  /** `<dataDir>/pglite`: seeded from the template when empty, then opened */
  databaseDir: string;
  templateDir?: string;
}

export type PgliteRequest =
  | { id: number; op: 'query'; sql: string; params?: unknown[]; rowMode?: 'array' | 'object'; rawTextTypes?: number[]; tx?: number }
  | { id: number; op: 'exec'; sql: string; tx?: number }
  | { id: number; op: 'begin' }
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
