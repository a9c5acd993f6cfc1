/**
 * An admin's OAuth sign-in for an external MCP server (issue 77 item 3): start → the authorization server's page →
 * callback. The MCP SDK's `auth()` runs both legs (RFC 9728 discovery, CIMD client id, PKCE, the token exchange); this
 * module binds them: the `state` is random, single use (burnt by the first callback that names it, whoever sends it),
 * short-lived and bound to the admin who started and to the server; and the callback's `iss` must be the issuer the
 * sign-in started with (RFC 9207; a response without `iss` is refused when the authorization server advertises
 * `authorization_response_iss_parameter_supported`), checked before the code is sent anywhere (mix-up attack).
 *
 * A sign-in in progress is kept in the database (the state's SHA-256 → server, admin, sealed PKCE verifier and
 * discovery), so the authorization server's redirect may reach any replica; taking it deletes it, so it is used once
 * whichever replica is asked first.
 */
import { createHash, randomBytes } from 'node:crypto';
import { redactText } from '@skyflo/safety';
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import type { ExternalMcpOauthStore } from '../../../platform/ports/index.ts';
import { SkyfloError } from '../../../platform/errors/skyflo-error.ts';
import { SealedOauthProvider, clientMetadataUrl, type SignInLeg } from './oauth-client.ts';

/** 4xx even when the authorization server failed: like a server that cannot be reached, the admin reads why (a 5xx answer hides it). */
export class ExternalMcpOauthError extends SkyfloError {
  constructor(
    readonly code: 'OAUTH_NEEDS_HTTPS' | 'OAUTH_STATE_INVALID' | 'OAUTH_STATE_FOREIGN' | 'OAUTH_ISSUER_MISMATCH' | 'OAUTH_DENIED' | 'OAUTH_FAILED',
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** What of a started sign-in its finish needs: the state, the PKCE verifier and the SDK's discovery. */
type StoredLeg = Pick<SignInLeg, 'state' | 'codeVerifier' | 'discovery'>;

const stateHashOf = (state: string) => createHash('sha256').update(state).digest('hex');
/** the sealed leg opens only for the row it was written for: another server's or admin's row cannot borrow it */
const legContext = (stateHash: string, serverId: string, adminId: string) => `external-mcp-oauth-sign-in:${stateHash}:${serverId}:${adminId}`;

export interface OauthServerRef {
  id: string;
  name: string;
  url: string;
}

export interface OauthSignInsOptions {
  store: ExternalMcpOauthStore;
  secretBox: SecretBox;
  publicUrl: () => string;
  /** the pinned egress fetch (discovery, token endpoint) */
  fetch?: typeof fetch;
  /** how long a started sign-in may be finished; default 10 minutes */
  ttlMs?: number;
  now?: () => number;
}

export type OauthSignIns = ReturnType<typeof createOauthSignIns>;

const message = (error: unknown) => redactText(error instanceof Error ? error.message : String(error));

export function createOauthSignIns(options: OauthSignInsOptions) {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const provider = (server: OauthServerRef, leg: SignInLeg, mode: 'sign-in' | 'connection') =>
    new SealedOauthProvider({ store: options.store, secretBox: options.secretBox, serverId: server.id, serverName: server.name, publicUrl: options.publicUrl, mode, leg });

  return {
    /** The provider a live connection authorizes its requests with (refreshes, never signs in). */
    connectionProvider: (server: OauthServerRef) => provider(server, {}, 'connection'),

    /** Where the admin signs in; throws when the engine has no https public address to be a CIMD client at. */
    async start(adminId: string, server: OauthServerRef): Promise<{ authorizationUrl: string; expiresAt: Date }> {
      const base = options.publicUrl();
      if (!clientMetadataUrl(base)) {
        throw new ExternalMcpOauthError('OAUTH_NEEDS_HTTPS', `OAuth sign-in needs Skyflo's public address over https (set PUBLIC_URL=https://…): the authorization server fetches Skyflo's client metadata document from it and sends the browser back to it; it is ${base ? `now ${base}` : 'unknown'}.`, 409);
      }
      const leg: SignInLeg = { state: randomBytes(32).toString('base64url') };
      const { auth } = await import('@modelcontextprotocol/client');
      try {
        // forceReauthorization: the admin asked to sign in, so held tokens are not merely refreshed
        const result = await auth(provider(server, leg, 'sign-in'), { serverUrl: server.url, forceReauthorization: true, ...(options.fetch ? { fetchFn: options.fetch } : {}) });
        if (result !== 'REDIRECT' || !leg.authorizationUrl) throw new Error('the authorization server gave no authorization page');
      } catch (error) {
        if (error instanceof SkyfloError) throw error;
        throw new ExternalMcpOauthError('OAUTH_FAILED', `OAuth sign-in for MCP server "${server.name}" could not start: ${message(error)}`, 400);
      }
      const expiresAt = new Date(now() + ttlMs);
      const stateHash = stateHashOf(leg.state!);
      const stored: StoredLeg = { state: leg.state, codeVerifier: leg.codeVerifier, discovery: leg.discovery };
      await options.store.putSignIn({ stateHash, serverId: server.id, adminId, expiresAt, legSealed: options.secretBox.seal(JSON.stringify(stored), legContext(stateHash, server.id, adminId)) });
      return { authorizationUrl: leg.authorizationUrl.href, expiresAt };
    },

    /**
     * The callback: checks the state (this admin's, unexpired, unused) and the issuer, then exchanges the code and
     * stores the tokens under that issuer. Answers the server's id; stores nothing when any check fails.
     */
    async finish(adminId: string, input: { state: string; code?: string; iss?: string; error?: string; errorDescription?: string }, serverOf: (id: string) => Promise<OauthServerRef>): Promise<{ serverId: string; issuer: string }> {
      const stateHash = stateHashOf(input.state);
      // single use: whoever names it first ends it (a stolen state cannot be tried twice, nor the admin's reused)
      const row = await options.store.takeSignIn(stateHash);
      if (!row || row.expiresAt.getTime() <= now()) throw new ExternalMcpOauthError('OAUTH_STATE_INVALID', 'this sign-in is unknown, used already or expired; start it again from Settings → Integrations → MCP servers', 400);
      if (row.adminId !== adminId) throw new ExternalMcpOauthError('OAUTH_STATE_FOREIGN', 'this sign-in was started by another admin; it is cancelled, start your own', 403);
      const leg = JSON.parse(options.secretBox.open(row.legSealed, legContext(stateHash, row.serverId, row.adminId))) as StoredLeg;
      const metadata = leg.discovery?.authorizationServerMetadata;
      const issuer = metadata?.issuer ?? leg.discovery?.authorizationServerUrl;
      const { auth, validateAuthorizationResponseIssuer } = await import('@modelcontextprotocol/client');
      try {
        // RFC 9207 before anything else, the error answer included: a response from another authorization server is not believed
        validateAuthorizationResponseIssuer({ iss: input.iss, expectedIssuer: metadata?.issuer, issParameterSupported: metadata?.authorization_response_iss_parameter_supported === true });
      } catch {
        throw new ExternalMcpOauthError('OAUTH_ISSUER_MISMATCH', `the authorization response names the issuer ${input.iss ?? '(none)'} but this sign-in started with ${issuer}; refused (possible mix-up attack), nothing was stored`, 400);
      }
      if (input.error || !input.code) throw new ExternalMcpOauthError('OAUTH_DENIED', `the authorization server refused the sign-in: ${input.error ?? 'no code'}${input.errorDescription ? ` (${input.errorDescription})` : ''}`, 400);
      const server = await serverOf(row.serverId);
      try {
        await auth(provider(server, leg, 'sign-in'), { serverUrl: server.url, authorizationCode: input.code, ...(input.iss ? { iss: input.iss } : {}), ...(options.fetch ? { fetchFn: options.fetch } : {}) });
      } catch (error) {
        throw new ExternalMcpOauthError('OAUTH_FAILED', `OAuth sign-in for MCP server "${server.name}" failed: ${message(error)}`, 400);
      }
      return { serverId: server.id, issuer: issuer ?? '' };
    },
  };
}
