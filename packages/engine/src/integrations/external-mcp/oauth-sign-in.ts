/**
 * An admin's OAuth sign-in for an external MCP server (issue 77 item 3): start → the authorization server's page →
 * callback. The MCP SDK's `auth()` runs both legs (RFC 9728 discovery, CIMD client id, PKCE, the token exchange); this
 * module binds them: the `state` is random, single use (burnt by the first callback that names it, whoever sends it),
 * short-lived and bound to the admin who started and to the server; and the callback's `iss` must be the issuer the
 * sign-in started with (RFC 9207; a response without `iss` is refused when the authorization server advertises
 * `authorization_response_iss_parameter_supported`), checked before the code is sent anywhere (mix-up attack).
 *
 * Pending sign-ins are kept in this engine's memory: the callback must reach the engine that started it (a few
 * minutes; with several replicas, sticky sessions or start again).
 */
import { randomBytes } from 'node:crypto';
import { redactText } from '@skyflo/safety';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { ExternalMcpOauthStore } from '../../ports/index.ts';
import { SkyfloError } from '../../errors/skyflo-error.ts';
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

interface Pending {
  serverId: string;
  adminId: string;
  expiresAt: number;
  leg: SignInLeg;
}

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

const maxPending = 100;
const message = (error: unknown) => redactText(error instanceof Error ? error.message : String(error));

export function createOauthSignIns(options: OauthSignInsOptions) {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const pending = new Map<string, Pending>();
  const sweep = () => {
    for (const [state, entry] of pending) if (entry.expiresAt <= now()) pending.delete(state);
  };
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
      sweep();
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
      const expiresAt = now() + ttlMs;
      // bounded: sign-ins started and never finished (a closed tab) go first
      if (pending.size >= maxPending) pending.delete(pending.keys().next().value!);
      pending.set(leg.state!, { serverId: server.id, adminId, expiresAt, leg });
      return { authorizationUrl: leg.authorizationUrl.href, expiresAt: new Date(expiresAt) };
    },

    /**
     * The callback: checks the state (this admin's, unexpired, unused) and the issuer, then exchanges the code and
     * stores the tokens under that issuer. Answers the server's id; stores nothing when any check fails.
     */
    async finish(adminId: string, input: { state: string; code?: string; iss?: string; error?: string; errorDescription?: string }, serverOf: (id: string) => Promise<OauthServerRef>): Promise<{ serverId: string; issuer: string }> {
      const entry = pending.get(input.state);
      // single use: whoever names it first ends it (a stolen state cannot be tried twice, nor the admin's reused)
      pending.delete(input.state);
      if (!entry || entry.expiresAt <= now()) throw new ExternalMcpOauthError('OAUTH_STATE_INVALID', 'this sign-in is unknown, used already or expired; start it again from Settings → Integrations → MCP servers', 400);
      if (entry.adminId !== adminId) throw new ExternalMcpOauthError('OAUTH_STATE_FOREIGN', 'this sign-in was started by another admin; it is cancelled, start your own', 403);
      const metadata = entry.leg.discovery?.authorizationServerMetadata;
      const issuer = metadata?.issuer ?? entry.leg.discovery?.authorizationServerUrl;
      const { auth, validateAuthorizationResponseIssuer } = await import('@modelcontextprotocol/client');
      try {
        // RFC 9207 before anything else, the error answer included: a response from another authorization server is not believed
        validateAuthorizationResponseIssuer({ iss: input.iss, expectedIssuer: metadata?.issuer, issParameterSupported: metadata?.authorization_response_iss_parameter_supported === true });
      } catch {
        throw new ExternalMcpOauthError('OAUTH_ISSUER_MISMATCH', `the authorization response names the issuer ${input.iss ?? '(none)'} but this sign-in started with ${issuer}; refused (possible mix-up attack), nothing was stored`, 400);
      }
      if (input.error || !input.code) throw new ExternalMcpOauthError('OAUTH_DENIED', `the authorization server refused the sign-in: ${input.error ?? 'no code'}${input.errorDescription ? ` (${input.errorDescription})` : ''}`, 400);
      const server = await serverOf(entry.serverId);
      try {
        await auth(provider(server, entry.leg, 'sign-in'), { serverUrl: server.url, authorizationCode: input.code, ...(input.iss ? { iss: input.iss } : {}), ...(options.fetch ? { fetchFn: options.fetch } : {}) });
      } catch (error) {
        throw new ExternalMcpOauthError('OAUTH_FAILED', `OAuth sign-in for MCP server "${server.name}" failed: ${message(error)}`, 400);
      }
      return { serverId: server.id, issuer: issuer ?? '' };
    },
  };
}
