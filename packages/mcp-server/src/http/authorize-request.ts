/**
 * Who is calling /mcp: the static tokens first (bearer-auth.ts: the engine, or a client holding the client token),
 * then, when OAuth is configured, an access token from the authorization server (oauth-resource.ts). An OAuth caller
 * is a client like the client-token one: untrusted (its changes go through --confirm, it can never impersonate or
 * send credentials), whatever scopes its token holds. `principal` tells apart callers of the same kind, so one OAuth
 * user's session cannot be used with another user's token.
 */
import type { IncomingMessage } from 'node:http';
import { OAuthError, OAuthErrorCode, type AuthInfo } from '@modelcontextprotocol/server';
import { authenticate, type HttpCaller, type HttpTokens } from './bearer-auth.ts';
import type { OAuthResourceServer } from './oauth-resource.ts';

export type Authorization =
  | { ok: true; caller: HttpCaller; principal: string; authInfo?: AuthInfo }
  | { ok: false; status: number; headers: Record<string, string>; body: Record<string, unknown> };

function bearerOf(request: IncomingMessage): string {
  const header = request.headers.authorization ?? '';
  return /^Bearer /i.test(header) ? header.slice('Bearer '.length).trim() : '';
}

export async function authorizeRequest(request: IncomingMessage, tokens: HttpTokens, oauth: OAuthResourceServer | undefined): Promise<Authorization> {
  const caller = authenticate(request, tokens);
  if (caller) return { ok: true, caller, principal: caller };
  const presented = bearerOf(request);
  if (!oauth) {
    return {
      ok: false,
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="skyflo-mcp"' },
      body: {
        error: 'unauthorized',
        message: request.headers.authorization ? 'The bearer token is not valid for this server.' : 'This server requires a bearer token, on loopback too.',
        hint: 'send Authorization: Bearer <token>: the client token (the file skyflo mcp printed at start, or MCP_CLIENT_TOKEN), or the engine token (MCP_AUTH_TOKEN)',
      },
    };
  }
  // RFC 6750 §3.1: a request without credentials gets the challenge alone, without an error code.
  if (!presented) {
    return {
      ok: false,
      status: 401,
      headers: { 'WWW-Authenticate': oauth.challenge() },
      body: { error: 'unauthorized', message: 'This server requires an access token.', hint: `sign in at the authorization server named in ${oauth.metadataUrl}` },
    };
  }
  try {
    const authInfo = await oauth.verify(presented);
    const subject = String(authInfo.extra?.['subject'] ?? authInfo.clientId);
    return { ok: true, caller: 'client', principal: `oauth:${subject}`, authInfo };
  } catch (error) {
    if (error instanceof OAuthError && error.code === OAuthErrorCode.InvalidToken) {
      return { ok: false, status: 401, headers: { 'WWW-Authenticate': oauth.challenge(error) }, body: error.toResponseObject() };
    }
    if (error instanceof OAuthError && error.code === OAuthErrorCode.InsufficientScope) {
      return { ok: false, status: 403, headers: { 'WWW-Authenticate': oauth.challenge(error) }, body: error.toResponseObject() };
    }
    // the authorization server or its keys could not be read: our side's failure, not the token's
    const message = error instanceof OAuthError ? error.message : 'The access token could not be checked.';
    return { ok: false, status: 503, headers: {}, body: { error: 'temporarily_unavailable', error_description: message } };
  }
}
