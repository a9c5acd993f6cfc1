/**
 * The POST body of /mcp as JSON-RPC 2.0 sees it: text that is not JSON gets a Parse error (-32700), JSON that is not
 * a JSON-RPC message (or a batch of them) gets an Invalid Request (-32600), the id included when the request has a
 * usable one (JSON-RPC 2.0 §5). The SDK's transport answers both with -32700, and answers an empty batch with
 * nothing at all; checked here, before the transport, every malformed body gets the answer the spec names.
 * Validity itself is the SDK's JSONRPCMessageSchema.
 */
import { JSONRPCMessageSchema, RequestIdSchema } from '@modelcontextprotocol/core';

export type JsonRpcBody =
  | { ok: true; body: unknown }
  | { ok: false; error: { jsonrpc: '2.0'; error: { code: number; message: string }; id: string | number | null } };

const failure = (code: number, message: string, id: string | number | null = null): JsonRpcBody => ({ ok: false, error: { jsonrpc: '2.0', error: { code, message }, id } });

export function parseJsonRpcBody(text: string): JsonRpcBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return failure(-32700, `Parse error: ${(error as Error).message}`);
  }
  if (Array.isArray(body)) {
    if (body.length === 0) return failure(-32600, 'Invalid Request: an empty batch');
    const invalid = body.findIndex((message) => !JSONRPCMessageSchema.safeParse(message).success);
    if (invalid >= 0) return failure(-32600, `Invalid Request: batch element ${invalid} is not a JSON-RPC 2.0 message`);
    return { ok: true, body };
  }
  if (JSONRPCMessageSchema.safeParse(body).success) return { ok: true, body };
  const id = RequestIdSchema.safeParse((body as { id?: unknown } | null)?.id);
  return failure(-32600, 'Invalid Request: not a JSON-RPC 2.0 request, notification or response', id.success ? id.data : null);
}
