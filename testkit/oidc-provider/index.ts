/**
 * A real OpenID Provider on loopback for sign-in tests: the `oidc-provider` package (certified OP), with test users
 * whose groups a test can change between sign-ins, and its development login form (any password) for browsers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { listenOnLoopback } from '../shared/listen-on-loopback.ts';

export interface TestOidcUser {
  email: string;
  name: string;
  groups: string[];
  /** the email_verified claim (default true) */
  emailVerified?: boolean;
}

export interface TestOidcClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** issue 39: a machine client (e.g. an MCP client) gets `['client_credentials']` and the scopes it may ask for */
  grantTypes?: string[];
  scope?: string;
}

/**
 * issue 39: the provider as an OAuth authorization server for resource servers (the MCP server): a token asked for with
 * `resource=<url>` (RFC 8707) is a JWT access token (RFC 9068) for that audience, carrying the granted scopes.
 */
export interface TestResourceServers {
  /** the scopes any resource accepts (a client still gets only those in its own `scope`) */
  scopes: string[];
  /** lifetime of those access tokens (default 300 s) */
  ttlSeconds?: number;
}

export interface TestOidcProvider {
  issuer: string;
  /** the users by login name (what the login form's "login" field takes); change `groups` between sign-ins */
  users: Map<string, TestOidcUser>;
  close(): Promise<void>;
}

export { startTamperingOidcProvider, type Tampering, type TamperingOidcProvider } from './tampering-provider.ts';

export async function startOidcProvider(options: {
  clients: TestOidcClient[];
  users: Record<string, TestOidcUser>;
  resourceServers?: TestResourceServers;
  /**
   * issue 74: the provider gives relying parties refresh tokens (as most do for offline_access, without a consent
   * prompt each time): a refresh answers a new ID token with the person's claims as they are then (groups changed,
   * or `invalid_grant` once the user is deleted from `users`)
   */
  refreshTokens?: boolean;
  /** the signing keys (private JWKs), so a test can sign a token the provider's JWKS vouches for; default: generated */
  jwks?: { keys: Record<string, unknown>[] };
  /**
   * issue 77: accept OAuth Client ID Metadata Documents (an https client_id URL the provider fetches), advertised as
   * `client_id_metadata_document_supported`. `fetch` is how the provider fetches them (a test serving its document
   * over loopback TLS passes a fetch that trusts its CA; oidc-provider's own refuses loopback addresses).
   */
  clientIdMetadataDocument?: { fetch: (url: string, init: RequestInit) => Promise<Response> };
  /** issue 77: open dynamic client registration (RFC 7591), for clients of an authorization server without CIMD */
  registration?: boolean;
}): Promise<TestOidcProvider> {
  const users = new Map(Object.entries(options.users));
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => handler?.(req, res));
  const listener = await listenOnLoopback(server, {});
  const configuration: Configuration = {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
      grant_types: client.grantTypes ?? (options.refreshTokens ? ['authorization_code', 'refresh_token'] : ['authorization_code']),
      response_types: client.grantTypes && !client.grantTypes.includes('authorization_code') ? [] : ['code'],
      ...(client.scope ? { scope: client.scope } : {}),
    })),
    ...(options.jwks ? { jwks: options.jwks as Configuration['jwks'] } : {}),
    ...(options.refreshTokens ? { issueRefreshToken: async (_ctx: KoaContextWithOIDC, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token') } : {}),
    ...(options.resourceServers ? { scopes: ['openid', 'offline_access', ...options.resourceServers.scopes] } : {}),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    // claims in the ID token itself (the engine reads groups from it), not only from userinfo
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ...(options.clientIdMetadataDocument ? { fetch: options.clientIdMetadataDocument.fetch as Configuration['fetch'] } : {}),
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      ...(options.resourceServers ? resourceServerFeatures(options.resourceServers) : {}),
      ...(options.clientIdMetadataDocument ? { clientIdMetadataDocument: { enabled: true, ack: 'draft-02' } } : {}),
      ...(options.registration ? { registration: { enabled: true } } : {}),
    },
    async findAccount(_ctx, id) {
      const user = users.get(id);
      if (!user) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: user.email, email_verified: user.emailVerified ?? true, name: user.name, groups: [...user.groups] }) };
    },
    // Consent is the provider's business, not the engine's: grant the requested scopes without a second page.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(oidc.client!.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId! });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(listener.origin, configuration);
  handler = provider.callback();
  return { issuer: listener.origin, users, close: () => listener.close() };
}

function resourceServerFeatures(resourceServers: TestResourceServers): NonNullable<Configuration['features']> {
  return {
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // no `resource` asked for: no resource server (an opaque token, as before)
      defaultResource: () => undefined as unknown as string,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resourceIndicator) => ({
        scope: resourceServers.scopes.join(' '),
        audience: resourceIndicator,
        accessTokenFormat: 'jwt',
        accessTokenTTL: resourceServers.ttlSeconds ?? 300,
      }),
    },
  };
}
