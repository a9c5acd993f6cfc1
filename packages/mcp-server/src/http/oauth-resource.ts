/**
 * The MCP server as an OAuth 2.1 protected resource (MCP authorization spec; RFC 9728, RFC 9068, RFC 6750): remote
 * MCP clients (Claude Desktop, an IDE, the Inspector) sign in at an external authorization server (the company's
 * OpenID provider) and present its access token. This module publishes the protected-resource metadata that tells a
 * client where to sign in, validates access tokens as JWTs from that issuer, and writes the WWW-Authenticate
 * challenges. A token's holder is an untrusted client (src/start-mcp-http-server.ts): its changes go through --confirm,
 * and it may never impersonate or hand over credentials, whatever the token says.
 *
 * The MCP SDK's own pieces are used where they fit a plain node:http server: its OAuth error classes, the AuthInfo the
 * transport passes on to handlers, and its RFC 8414 / OIDC discovery. Its Express middleware is not (no Express here).
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { discoverAuthorizationServerMetadata } from '@modelcontextprotocol/client';
import { OAuthError, OAuthErrorCode, type AuthInfo, type OAuthProtectedResourceMetadata } from '@modelcontextprotocol/server';

// The SDK v2 has one OAuth error class, told apart by its code (RFC 6750 §3.1).
const invalidToken = (message: string) => new OAuthError(OAuthErrorCode.InvalidToken, message);
const insufficientScope = (message: string) => new OAuthError(OAuthErrorCode.InsufficientScope, message);
const serverError = (message: string) => new OAuthError(OAuthErrorCode.ServerError, message);
const isServerError = (error: unknown): error is OAuthError => error instanceof OAuthError && error.code === OAuthErrorCode.ServerError;

export interface OAuthSettings {
  /** the authorization server's issuer identifier (MCP_OAUTH_ISSUER) */
  issuer: string;
  /** this server's resource identifier, the `aud` tokens must carry (MCP_OAUTH_AUDIENCE); default: the server's own /mcp URL */
  audience?: string;
  /** scopes every token must hold (MCP_OAUTH_REQUIRED_SCOPES, space- or comma-separated) */
  requiredScopes?: string[];
}

/** OAuth from the environment, or undefined when MCP_OAUTH_ISSUER is not set. */
export function oauthSettingsFromEnv(env: NodeJS.ProcessEnv): OAuthSettings | undefined {
  const issuer = env.MCP_OAUTH_ISSUER?.trim();
  if (!issuer) return undefined;
  const scopes = (env.MCP_OAUTH_REQUIRED_SCOPES ?? '').split(/[\s,]+/).filter(Boolean);
  return { issuer, ...(env.MCP_OAUTH_AUDIENCE?.trim() ? { audience: env.MCP_OAUTH_AUDIENCE.trim() } : {}), requiredScopes: scopes };
}

export interface OAuthResourceServer {
  /** the resource identifier (token audience) */
  resource: string;
  /** where the metadata is published (RFC 9728 §3.1: the well-known prefix inserted before the resource's path) */
  metadataUrl: string;
  /** the request paths that answer with the metadata */
  metadataPaths: string[];
  metadata: OAuthProtectedResourceMetadata;
  /** the token's AuthInfo, or throws an OAuthError: invalid_token (401), insufficient_scope (403) or server_error (503) */
  verify(token: string): Promise<AuthInfo>;
  /** the WWW-Authenticate value for a refusal (no error: the request carried no token) */
  challenge(error?: OAuthError): string;
}

function checkedUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what} must be an absolute URL, got ${JSON.stringify(value)}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${what} must be an http(s) URL, got ${JSON.stringify(value)}.`);
  if (url.hash) throw new Error(`${what} must not have a fragment (RFC 8707), got ${JSON.stringify(value)}.`);
  return url;
}

/** RFC 6750 quoted-string: the description is ours, but never let a quote or a line break end the header early. */
const quoted = (value: string) => `"${value.replace(/[\\"]/g, '').replace(/[\r\n]+/g, ' ')}"`;

function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope ?? payload.scp;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scope)) return scope.filter((entry): entry is string => typeof entry === 'string');
  return [];
}

/** jose's verdicts in words a client's user can act on; the token itself is never echoed. */
function refusalOf(error: unknown): OAuthError {
  if (error instanceof joseErrors.JWTExpired) return invalidToken('The access token has expired.');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return invalidToken('The access token was not issued for this server (audience).');
    if (error.claim === 'iss') return invalidToken('The access token was not issued by the configured authorization server.');
    return invalidToken(`The access token's "${error.claim}" claim is not acceptable.`);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return invalidToken('The access token is not signed by the configured authorization server.');
  }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return serverError('The authorization server\'s keys could not be read.');
  if (error instanceof joseErrors.JOSEError) return invalidToken('The access token is not a valid signed JWT.');
  return serverError('The authorization server\'s keys could not be read.');
}

/** @param serverUrl the server's own /mcp URL: the resource identifier when MCP_OAUTH_AUDIENCE is not set */
export function createOAuthResourceServer(settings: OAuthSettings, serverUrl: string): OAuthResourceServer {
  // compared verbatim with `iss` (RFC 9068 §4): no normalisation that could make two issuers equal
  const issuer = settings.issuer;
  checkedUrl(issuer, 'MCP_OAUTH_ISSUER');
  const resourceUrl = checkedUrl(settings.audience ?? serverUrl, 'MCP_OAUTH_AUDIENCE');
  const resource = settings.audience ?? serverUrl;
  const requiredScopes = settings.requiredScopes ?? [];
  const resourcePath = resourceUrl.pathname === '/' ? '' : resourceUrl.pathname.replace(/\/$/, '');
  const metadataUrl = new URL(`/.well-known/oauth-protected-resource${resourcePath}`, resourceUrl).href;
  // Clients try the path-inserted URL first and the root one after (MCP spec); behind a proxy the public path may
  // differ from ours, so both the resource's path and our own /mcp answer.
  const metadataPaths = [...new Set([`/.well-known/oauth-protected-resource${resourcePath}`, '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'])];
  const metadata: OAuthProtectedResourceMetadata = {
    resource,
    authorization_servers: [issuer],
    ...(requiredScopes.length ? { scopes_supported: requiredScopes } : {}),
    bearer_methods_supported: ['header'],
    resource_name: 'Skyflo MCP server',
  };

  // Discovery once, retried after a failure (the provider may start after us); the JWKS is cached and refreshed by jose.
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  function keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    keys ??= (async () => {
      const discovered = await discoverAuthorizationServerMetadata(issuer);
      if (!discovered?.jwks_uri) throw serverError(`The authorization server ${issuer} publishes no jwks_uri in its metadata.`);
      // RFC 8414 §3.3: metadata that names another issuer is not this issuer's (a mix-up or a hostile proxy)
      if (discovered.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, '')) throw serverError(`The metadata at ${issuer} names another issuer (${discovered.issuer}).`);
      return createRemoteJWKSet(new URL(String(discovered.jwks_uri)));
    })().catch((error: unknown) => {
      keys = undefined;
      throw isServerError(error) ? error : serverError(`The authorization server ${issuer} could not be reached: ${(error as Error).message}`);
    });
    return keys;
  }

  return {
    resource,
    metadataUrl,
    metadataPaths,
    metadata,
    async verify(token) {
      const jwks = await keySet();
      let payload: JWTPayload;
      try {
        // aud must be this resource (RFC 8707/9068): a token the same provider issued for another service is refused
        ({ payload } = await jwtVerify(token, jwks, { issuer, audience: resource, requiredClaims: ['exp', 'sub'] }));
      } catch (error) {
        throw refusalOf(error);
      }
      const scopes = scopesOf(payload);
      const missing = requiredScopes.filter((scope) => !scopes.includes(scope));
      if (missing.length) throw insufficientScope(`The access token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}.`);
      const clientId = [payload.client_id, payload.azp, payload.sub].find((value): value is string => typeof value === 'string') ?? 'unknown';
      return { token, clientId, scopes, expiresAt: payload.exp, resource: resourceUrl, extra: { issuer, subject: payload.sub } };
    },
    challenge(error) {
      const parts = [];
      if (error) parts.push(`error=${quoted(error.code)}`, `error_description=${quoted(error.message)}`);
      if (requiredScopes.length) parts.push(`scope=${quoted(requiredScopes.join(' '))}`);
      parts.push(`resource_metadata=${quoted(metadataUrl)}`);
      return `Bearer ${parts.join(', ')}`;
    },
  };
}
