/**
 * A session's protocol version is the one negotiated at initialize; MCP-Protocol-Version on its later requests
 * should repeat it. The SDK's transport decides per request, from that header alone, whether the client can take a
 * priming event (empty SSE data, which clients before 2025-11-25 cannot parse), so a client that negotiated
 * 2025-11-25 but sends an older header (the conformance suite's raw requests send 2025-03-26) would get streams it
 * cannot resume. Requests of a session are therefore handed to the transport as the negotiated version.
 */
import type { IncomingMessage } from 'node:http';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';

/** The version the SDK's server answers an initialize asking for `requested` with. */
export function negotiatedProtocolVersion(requested: unknown): string {
  return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

/**
 * Sets the request's MCP-Protocol-Version to the session's `version` (headers and rawHeaders: the SDK's adapter reads
 * either). A header naming a version nobody supports is left alone, so the SDK answers it with 400 as the spec says.
 */
export function withProtocolVersion(request: IncomingMessage, version: string): void {
  const sent = request.headers['mcp-protocol-version'];
  if (sent !== undefined && !(typeof sent === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(sent))) return;
  request.headers['mcp-protocol-version'] = version;
  const raw = request.rawHeaders;
  const at = raw.findIndex((name, index) => index % 2 === 0 && name.toLowerCase() === 'mcp-protocol-version');
  if (at >= 0) raw[at + 1] = version;
  else raw.push('mcp-protocol-version', version);
}
