import type { z } from 'zod';
import { HttpError } from './http-error.ts';

/**
 * Validates a body/query/params object with a zod schema, or throws a 400 that names each bad field,
 * e.g. `email: email must be a valid address; password: password must be at least 8 characters`.
 */
export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown, where = 'body'): z.output<Schema> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : where;
    return `${field}: ${issue.message}`;
  });
  throw new HttpError(400, problems.join('; '), 'INVALID_INPUT');
}
