import type { ServerResponse } from 'node:http';
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
  if (status.code === 500) process.stderr.write(`kube-sim: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  sendJson(response, status.code, status.body);
}

export function successStatus(details: Record<string, unknown>) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
