import type { ServerResponse } from 'node:http';
import { ApiError } from '../cluster-types.ts';
import { toStatus } from '../errors/api-errors.ts';

export function sendJson(response: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  response.end(text);
}

export function sendError(response: ServerResponse, error: unknown): void {
  const status = toStatus(error);
  // A deliberate 500 (an ApiError, e.g. server-side apply's typed-patch failure) is an answer, not a crash.
  if (status.code === 500 && !(error instanceof ApiError)) process.stderr.write(`kube-sim: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  sendJson(response, status.code, status.body);
}

export function successStatus(details: Record<string, unknown>) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** Adds one `Warning: 299 - "text"` header (the form kube-apiserver sends and kubectl prints as "Warning: text"). */
export function addWarning(response: ServerResponse, text: string): void {
  if (response.headersSent) return;
  // a header carries Latin-1 only: other characters are replaced rather than failing the answer
  const value = `299 - ${JSON.stringify(text).replace(/[^\x20-\x7e]/g, "?")}`;
  const existing = response.getHeader('Warning');
  response.setHeader('Warning', existing === undefined ? [value] : [...(Array.isArray(existing) ? existing : [String(existing)]), value]);
}
