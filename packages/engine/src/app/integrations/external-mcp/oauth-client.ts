/**
 * Skyflo as the OAuth client of an external MCP server (issue 77 item 3, MCP authorization spec 2026-07-28): the
 * client ID metadata document (CIMD) the engine serves at its public address, and the MCP SDK's OAuthClientProvider
 * over the engine's database. The SDK does the protocol (RFC 9728 discovery, CIMD or dynamic registration, PKCE, the
 * RFC 9207 `iss` check, refresh); this module keeps what it hands over: client information and tokens sealed per
 * (server, authorization server issuer), so a client id or a refresh token one issuer gave is never offered to another.
 *
 * Only types come from the SDK here: the engine loads the SDK client on first use (deferred-connection.ts).
 */
import type { OAuthClientInformationContext, OAuthClientMetadata, OAuthClientProvider, OAuthDiscoveryState, StoredOAuthClientInformation, StoredOAuthTokens } from '@modelcontextprotocol/client';
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import { SkyfloError, type ErrorCategory } from '../../../platform/errors/skyflo-error.ts';
import type { ExternalMcpOauthStore } from '../../../platform/ports/index.ts';

/** Where the engine serves its client metadata document; its URL is the client_id an authorization server sees. */
export const clientMetadataPath = '/api/v1/integrations/mcp-servers/oauth/client-metadata.json';
/** Where the authorization server sends the admin's browser back. */
export const oauthCallbackPath = '/api/v1/integrations/mcp-servers/oauth/callback';

/** The CIMD URL for a public address, or undefined when the address cannot carry one (authorization servers fetch it over https only). */
export function clientMetadataUrl(base: string): string | undefined {
  return base.startsWith('https://') ? `${base}${clientMetadataPath}` : undefined;
}

/**
 * The client metadata document (draft-ietf-oauth-client-id-metadata-document): a public client (no secret; PKCE)
 * using the authorization code and refresh token grants, redirected back to the engine's callback.
 */
export function clientMetadataDocument(base: string): OAuthClientMetadata & { client_id: string } {
  return {
    client_id: `${base}${clientMetadataPath}`,
    client_name: 'Skyflo',
    redirect_uris: [`${base}${oauthCallbackPath}`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    // a web application (the engine's server receives the code), also behind a loopback address in development
    application_type: 'web',
  };
}

/** An OAuth server that cannot be used until an admin signs in (again): the reason, in an admin's words. */
export class ExternalMcpSignInNeededError extends SkyfloError {
  readonly code = 'EXTERNAL_MCP_SIGN_IN_NEEDED';

  /** an admin's action is needed, retrying alone does not help */
  override get category(): ErrorCategory {
    return 'operational';
  }
}

const sealContext = (serverId: string, issuer: string, what: 'client' | 'tokens') => `external-mcp:${serverId}:oauth:${issuer}:${what}`;

/** What one sign-in (start → callback) keeps between its two legs. */
export interface SignInLeg {
  state?: string;
  codeVerifier?: string;
  discovery?: OAuthDiscoveryState;
  authorizationUrl?: URL;
}

export interface SealedOauthProviderOptions {
  store: ExternalMcpOauthStore;
  secretBox: SecretBox;
  serverId: string;
  serverName: string;
  /** the engine's public address (no trailing slash), as public-url-service.ts answers it */
  publicUrl: () => string;
  /**
   * 'sign-in': an admin's start or callback (the SDK may register the client and gives the authorization URL);
   * 'connection': the server's live connection, which may refresh but never starts a sign-in or registers a client:
   * it says an admin must sign in instead.
   */
  mode: 'sign-in' | 'connection';
  /** the sign-in's state between start and callback (mode 'sign-in') */
  leg?: SignInLeg;
}

/** The SDK's OAuthClientProvider over the sealed rows of one server. */
export class SealedOauthProvider implements OAuthClientProvider {
  /** the issuer of the tokens sent to the resource server (the SDK's per-request read carries no issuer) */
  private current?: { issuer: string; tokens: StoredOAuthTokens };
  /** the issuer the SDK last named (discovery of this connection or sign-in) */
  private lastIssuer?: string;
  readonly leg: SignInLeg;

  constructor(private readonly options: SealedOauthProviderOptions) {
    this.leg = options.leg ?? {};
  }

  get redirectUrl(): string {
    return `${this.options.publicUrl()}${oauthCallbackPath}`;
  }

  get clientMetadataUrl(): string | undefined {
    return clientMetadataUrl(this.options.publicUrl());
  }

  get clientMetadata(): OAuthClientMetadata {
    const { client_id: _id, ...metadata } = clientMetadataDocument(this.options.publicUrl());
    return metadata;
  }

  async state(): Promise<string> {
    // asked for just before the authorization page: a live connection has none to offer, an admin must sign in
    if (this.options.mode === 'connection' || !this.leg.state) return this.signInNeeded(this.lastIssuer);
    return this.leg.state;
  }

  private open<T>(sealed: string | undefined, issuer: string, what: 'client' | 'tokens'): T | undefined {
    if (!sealed) return undefined;
    try {
      return JSON.parse(this.options.secretBox.open(sealed, sealContext(this.options.serverId, issuer, what))) as T;
    } catch {
      throw new ExternalMcpSignInNeededError(`the OAuth credentials of MCP server "${this.options.serverName}" cannot be opened (SKYFLO_ENCRYPTION_KEY changed?); an admin must sign in again`);
    }
  }

  private seal(value: unknown, issuer: string, what: 'client' | 'tokens'): string {
    return this.options.secretBox.seal(JSON.stringify(value), sealContext(this.options.serverId, issuer, what));
  }

  /** Why a connection cannot go on without an admin: never signed in, or the server now names another issuer. */
  private async signInNeeded(issuer: string | undefined): Promise<never> {
    const held = (await this.options.store.list(this.options.serverId)).filter((row) => row.tokensSealed && row.issuer !== issuer);
    const how = 'an admin must sign in (Settings → Integrations → MCP servers → Sign in)';
    if (held.length > 0 && issuer) {
      throw new ExternalMcpSignInNeededError(`MCP server "${this.options.serverName}" now names the authorization server ${issuer}; Skyflo holds tokens from ${held.map((row) => row.issuer).join(', ')} only and does not send them to another issuer: ${how} again.`);
    }
    throw new ExternalMcpSignInNeededError(`MCP server "${this.options.serverName}" needs OAuth authorization: ${how}.`);
  }

  async clientInformation(ctx?: OAuthClientInformationContext): Promise<StoredOAuthClientInformation | undefined> {
    const issuer = ctx?.issuer ?? this.current?.issuer;
    if (!issuer) return undefined;
    this.lastIssuer = issuer;
    const row = await this.options.store.get(this.options.serverId, issuer);
    const information = this.open<StoredOAuthClientInformation>(row?.clientSealed, issuer, 'client');
    // Without a client at this issuer the SDK would register one (dynamic registration) before anything else: a live
    // connection stops here instead, and an admin signs in.
    if (!information && this.options.mode === 'connection' && ctx) return this.signInNeeded(issuer);
    return information;
  }

  async saveClientInformation(information: StoredOAuthClientInformation, ctx?: OAuthClientInformationContext): Promise<void> {
    const issuer = ctx?.issuer ?? information.issuer;
    // A live connection neither registers a client nor adopts a new issuer: that is an admin's sign-in.
    if (this.options.mode === 'connection' || !issuer) return this.signInNeeded(issuer);
    await this.options.store.put(this.options.serverId, issuer, { clientSealed: this.seal({ ...information, issuer }, issuer, 'client') });
  }

  async tokens(ctx?: OAuthClientInformationContext): Promise<StoredOAuthTokens | undefined> {
    if (ctx) {
      this.lastIssuer = ctx.issuer;
      const row = await this.options.store.get(this.options.serverId, ctx.issuer);
      return this.open<StoredOAuthTokens>(row?.tokensSealed, ctx.issuer, 'tokens');
    }
    // The per-request read for the resource server itself: the tokens last saved (the SDK keeps refresh tokens and
    // client ids to their own issuer; the access token goes only to the server it was minted for).
    if (!this.current) {
      const [row] = (await this.options.store.list(this.options.serverId)).filter((candidate) => candidate.tokensSealed);
      const tokens = row ? this.open<StoredOAuthTokens>(row.tokensSealed, row.issuer, 'tokens') : undefined;
      if (row && tokens) this.current = { issuer: row.issuer, tokens };
    }
    return this.current?.tokens;
  }

  async saveTokens(tokens: StoredOAuthTokens, ctx?: OAuthClientInformationContext): Promise<void> {
    const issuer = ctx?.issuer ?? tokens.issuer;
    if (!issuer) throw new Error('tokens without an issuer are not kept');
    const stamped = { ...tokens, issuer };
    await this.options.store.put(this.options.serverId, issuer, { tokensSealed: this.seal(stamped, issuer, 'tokens') });
    this.current = { issuer, tokens: stamped };
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    if (this.options.mode === 'connection') return this.signInNeeded(this.lastIssuer);
    this.leg.authorizationUrl = authorizationUrl;
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.leg.codeVerifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.leg.codeVerifier) throw new ExternalMcpSignInNeededError('no sign-in is in progress for this server; start it again');
    return this.leg.codeVerifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    // A live connection discovers again at every 401: a server that now names another authorization server is
    // noticed at once (and its tokens kept from it), instead of refreshing at the issuer it named before.
    if (this.options.mode === 'sign-in') this.leg.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.leg.discovery;
  }

  /** The SDK drops what the authorization server refused (invalid_grant, invalid_client): only that issuer's. */
  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'verifier') this.leg.codeVerifier = undefined;
    if (scope === 'discovery') this.leg.discovery = undefined;
    const issuer = this.lastIssuer ?? this.current?.issuer;
    if (!issuer) return;
    if (scope === 'all' || scope === 'tokens') {
      await this.options.store.put(this.options.serverId, issuer, { tokensSealed: null });
      this.current = undefined;
    }
    if (scope === 'all' || scope === 'client') await this.options.store.put(this.options.serverId, issuer, { clientSealed: null });
  }
}
