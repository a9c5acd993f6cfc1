/**
 * A statement the database refused, as the ORM hands it up: Drizzle's DrizzleQueryError ("Failed query: …", with
 * `query`, `params` and the driver's error as `cause`). Known by that shape (or its name, from another copy of the
 * library), so no floor above the adapters imports the ORM. Its message carries the statement's parameters (a
 * conversation's text): only `cause` may be repeated to a user.
 */
export type RefusedStatement = Error & { query: string; params: unknown[]; cause?: unknown };

export function isRefusedStatement(error: unknown): error is RefusedStatement {
  if (!(error instanceof Error)) return false;
  if (error.name === 'DrizzleQueryError') return true;
  return error.message.startsWith('Failed query: ') && typeof (error as Partial<RefusedStatement>).query === 'string' && Array.isArray((error as Partial<RefusedStatement>).params);
}
