/**
 * What the engine's logs may contain. Why: user text reaches the database as query parameters, and a failed query's
 * error (DrizzleQueryError) carries the SQL and every parameter in its message and fields; request URLs carry
 * search text and sometimes tokens in their query strings. Logs keep the path, the SQL shape and the cause, never
 * the values.
 */
import { stdSerializers } from 'pino';

type LoggedError = { [key: string]: unknown; type: string; message: string; stack: string };

// "Failed query: <sql>\nparams: <values>" — in the message, and in the stack up to its first frame or cause.
const queryParameters = /(Failed query: [\s\S]*?\nparams: )[\s\S]*?(?=\n\s+at |\ncaused by: |$)/g;

function withoutParameters(text: string): string {
  return text.replace(queryParameters, '$1[not logged]');
}

/** pino's error serializer, minus query parameters (also in causes, which pino serialises too). */
export function serializeError(error: Error): LoggedError {
  const serialized = stdSerializers.err(error) as unknown as LoggedError;
  return scrub(serialized);
}

function scrub(value: LoggedError): LoggedError {
  const copy: LoggedError = { ...value };
  delete copy['params'];
  delete copy['parameters'];
  if (typeof copy.message === 'string') copy.message = withoutParameters(copy.message);
  if (typeof copy.stack === 'string') copy.stack = withoutParameters(copy.stack);
  if (copy['cause'] && typeof copy['cause'] === 'object') copy['cause'] = scrub(copy['cause'] as LoggedError);
  return copy;
}

/** The request as logged: method and path, never the query string. */
export function serializeRequest(request: { method: string; url: string; id?: unknown; ip?: string }): { method: string; url: string; [key: string]: unknown } {
  return { method: request.method, url: (request.url ?? '').split('?')[0] ?? '', id: request.id, remoteAddress: request.ip };
}

export const logSerializers = { err: serializeError, error: serializeError, req: serializeRequest };
