/**
 * Company sign-in: OpenID Connect Authorization Code with PKCE through `openid-client` (discovery, token exchange
 * and every ID-token check are the library's). What stays here: the short-lived login state, which failure the
 * person is told about, and how groups become a role.
 * openid-client (with oauth4webapi and jose's JWE code) is imported at the first discovery, not with this module: it
 * was ~40 ms of every engine start, a sign-in configured or not, that /health and password logins never need.
 */
import type * as Oidc from 'openid-client';
import { jwtVerify, SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import type { Role } from '../../platform/ports/index.ts';
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';

export interface OidcSettings {
  issuerUrl: string;
  clientId: string;
  clientSecret?: string | undefined;
  scopes: string;
  providerName: string;
  redirectUrl: string;
  roleMapping: Record<string, Role>;
  groupsClaim: string;
  requireMappedGroup: boolean;
}

/** The reasons a sign-in fails, as the login page explains them (`/login?oidc_error=<code>`). */
export type OidcErrorCode =
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'nonce_mismatch'
  | 'token_expired'
  | 'provider_error'
  | 'unmapped_user'
  | 'invalid_state'
  | 'no_email'
  | 'account_disabled'
  | 'identity_mismatch'
  | 'email_unverified'
  /** issue 74 item 7: a Skyflo account has this e-mail but is not linked to the person; its owner links it (or nobody) */
  | 'link_required'
  /** issue 74 item 7: the provider no longer renews the person's session (removed, disabled, signed out there) */
  | 'session_ended';

export class OidcSignInError extends SkyfloError {
  constructor(
    readonly code: OidcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OidcSignInError';
  }
}

export interface OidcIdentity {
  /** the ID token's iss: with `subject`, who this person is at the provider (emails change; these do not) */
  issuer: string;
  subject: string;
  /** the email_verified claim (undefined when the provider does not send it) */
  emailVerified?: boolean;
  email: string;
  fullName: string | null;
  role: Role;
  groups: string[];
  /** the provider's refresh token, when it issued one: each Skyflo refresh asks the provider again with it */
  providerRefreshToken?: string;
}

/** A completed code flow: the person, and the Skyflo account that started it to link them (issue 74 item 7). */
export type OidcSignInResult = OidcIdentity & { linkUserId?: string };

const roleRank: Record<Role, number> = { member: 0, approver: 1, admin: 2 };

/** The highest role any of the groups grants; none mapped → member, or refused when the policy says so. */
export function roleFromGroups(groups: string[], mapping: Record<string, Role>, requireMapped: boolean): Role {
  const granted = groups.map((group) => mapping[group]).filter((role): role is Role => role !== undefined);
  if (granted.length === 0) {
    if (requireMapped) throw new OidcSignInError('unmapped_user', 'None of your groups is allowed to use Skyflo (OIDC_ROLE_MAPPING).');
    return 'member';
  }
  return granted.reduce((best, role) => (roleRank[role] > roleRank[best] ? role : best));
}

/** Maps what openid-client (oauth4webapi) throws to what the person is told; anything unknown is the provider's fault. */
export function classifyOidcError(error: unknown): OidcSignInError {
  if (error instanceof OidcSignInError) return error;
  const seen = new Set<unknown>();
  for (let current: unknown = error; current && typeof current === 'object' && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    const { code, cause } = current as { code?: string; cause?: { claim?: string } };
    const claim = cause && typeof cause === 'object' ? cause.claim : undefined;
    if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') {
      if (claim === 'aud' || claim === 'azp') return new OidcSignInError('wrong_audience', 'The ID token was issued for another application (audience mismatch).');
      if (claim === 'iss') return new OidcSignInError('wrong_issuer', 'The ID token came from another issuer than the configured provider.');
      if (claim === 'nonce') return new OidcSignInError('nonce_mismatch', 'The ID token does not belong to this sign-in (nonce mismatch); start again.');
      if (claim === 'exp' || code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') return new OidcSignInError('token_expired', 'The ID token has expired; start again (check the clocks of the provider and the engine).');
    }
    if (code === 'OAUTH_INVALID_RESPONSE' && /\bstate\b/i.test(String((current as Error).message))) return new OidcSignInError('invalid_state', 'This sign-in link is stale or was not started here; start again.');
  }
  return new OidcSignInError('provider_error', 'The identity provider refused or failed the sign-in.');
}

/**
 * Why a refresh grant failed: the provider refused the token (an OAuth error answer: the person was removed, disabled
 * or signed out there) or could not be asked (network, server error).
 */
function refreshError(error: unknown): OidcSignInError {
  const seen = new Set<unknown>();
  for (let current: unknown = error; current && typeof current === 'object' && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    const { code, error: oauthError } = current as { code?: string; error?: unknown };
    if (code === 'OAUTH_RESPONSE_BODY_ERROR' || typeof oauthError === 'string') {
      return new OidcSignInError('session_ended', `The identity provider no longer renews this session (${typeof oauthError === 'string' ? oauthError : 'refused'}); sign in again.`);
    }
  }
  return new OidcSignInError('provider_error', `The identity provider could not be asked to renew the session (${error instanceof Error ? error.message : String(error)}); sign in again.`);
}

interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  /** issue 74 item 7: the signed-in account that asked to be linked to whoever signs in at the provider */
  link?: string;
}

/** Login state lives in a signed, 10-minute, HttpOnly cookie: nothing to store server-side, nothing a browser can forge. */
const STATE_TTL_SECONDS = 600;

export type OidcSignIn = ReturnType<typeof createOidcSignIn>;

export function createOidcSignIn(deps: { settings: OidcSettings; stateSecret: string; allowInsecureRequests?: boolean }) {
  const { settings } = deps;
  const stateKey = createHash('sha256').update(`skyflo-oidc-state:${deps.stateSecret}`).digest();
  let discovered: Promise<{ oidc: typeof Oidc; config: Oidc.Configuration }> | undefined;

  // Discovery once, retried after a failure: a provider down at engine start must not need a restart. The library is
  // imported with it (Node keeps the module once loaded; a failed import is tried again with the discovery).
  const configuration = () => {
    discovered ??= import('openid-client')
      .then(async (oidc) => ({
        oidc,
        config: await oidc.discovery(new URL(settings.issuerUrl), settings.clientId, settings.clientSecret, settings.clientSecret ? undefined : oidc.None(), {
          ...(deps.allowInsecureRequests ? { execute: [oidc.allowInsecureRequests] } : {}),
        }),
      }))
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
    return discovered;
  };

  /** The person as the provider's claims say (ID token or userinfo). */
  function identityOf(claims: Record<string, unknown> & { sub: string; iss?: string }): OidcIdentity {
    const email = typeof claims['email'] === 'string' ? claims['email'].trim().toLowerCase() : '';
    if (!email) throw new OidcSignInError('no_email', 'The provider did not share your email address (add the "email" scope).');
    const rawGroups = claims[settings.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups.filter((group): group is string => typeof group === 'string') : [];
    const fullName = typeof claims['name'] === 'string' ? claims['name'] : null;
    const emailVerified = typeof claims['email_verified'] === 'boolean' ? claims['email_verified'] : undefined;
    return { issuer: claims.iss ?? '', subject: claims.sub, email, ...(emailVerified !== undefined ? { emailVerified } : {}), fullName, groups, role: roleFromGroups(groups, settings.roleMapping, settings.requireMappedGroup) };
  }

  return {
    providerName: settings.providerName,
    stateTtlSeconds: STATE_TTL_SECONDS,

    /**
     * The provider's authorization URL and the sealed state to keep in the browser's cookie until the callback.
     * `linkUserId`: a signed-in account links itself to the person who signs in now (issue 74 item 7); the provider is
     * asked to authenticate them afresh (prompt=login), not to reuse whatever session the browser has there.
     */
    async start(options: { linkUserId?: string } = {}): Promise<{ url: string; stateToken: string }> {
      const { oidc, config } = await configuration().catch((error: unknown) => {
        throw new OidcSignInError('provider_error', `The identity provider cannot be reached (${(error as Error).message}).`);
      });
      const pending: PendingLogin = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), ...(options.linkUserId ? { link: options.linkUserId } : {}) };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUrl,
        scope: settings.scopes,
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        ...(options.linkUserId ? { prompt: 'login' } : {}),
      });
      const stateToken = await new SignJWT({ ...pending }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(`${STATE_TTL_SECONDS}s`).sign(stateKey);
      return { url: url.href, stateToken };
    },

    /** Completes the code flow; every check (state, PKCE, iss, aud, nonce, exp, signature) is openid-client's. */
    async finish(callbackUrl: URL, stateToken: string | undefined): Promise<OidcSignInResult> {
      if (!stateToken) throw new OidcSignInError('invalid_state', 'This sign-in was not started in this browser (or took over 10 minutes); start again.');
      const pending = await jwtVerify<PendingLogin>(stateToken, stateKey).then(
        (verified) => verified.payload,
        () => {
          throw new OidcSignInError('invalid_state', 'This sign-in link is stale or was not started here; start again.');
        },
      );
      try {
        const { oidc, config } = await configuration();
        const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (!claims) throw new OidcSignInError('provider_error', 'The provider returned no ID token.');
        return {
          ...identityOf(claims),
          ...(typeof tokens.refresh_token === 'string' && tokens.refresh_token ? { providerRefreshToken: tokens.refresh_token } : {}),
          ...(pending.link ? { linkUserId: pending.link } : {}),
        };
      } catch (error) {
        throw classifyOidcError(error);
      }
    },

    /**
     * Issue 74 item 7: asks the provider again about a signed-in person, with the refresh token it gave (at every
     * Skyflo refresh): their groups now (a group removed there takes effect here), or why the provider will not say —
     * it refused the token (`session_ended`: the person was removed, disabled or signed out there) or could not be
     * reached (`provider_error`). The person must be the same (iss, sub).
     */
    async refresh(input: { refreshToken: string; issuer: string; subject: string }): Promise<OidcIdentity> {
      let tokens: Awaited<ReturnType<typeof Oidc.refreshTokenGrant>>;
      let oidc: typeof Oidc;
      let config: Oidc.Configuration;
      try {
        ({ oidc, config } = await configuration());
        tokens = await oidc.refreshTokenGrant(config, input.refreshToken);
      } catch (error) {
        throw refreshError(error);
      }
      try {
        // a provider that sends no new ID token on refresh is asked its userinfo endpoint for the same claims
        const claims = tokens.claims() ?? { ...(await oidc.fetchUserInfo(config, tokens.access_token, input.subject)), iss: input.issuer };
        const identity = identityOf(claims);
        if (identity.subject !== input.subject || (claims.iss !== undefined && claims.iss !== input.issuer)) throw new OidcSignInError('identity_mismatch', 'The provider answered the refresh about another person.');
        return { ...identity, issuer: input.issuer, providerRefreshToken: typeof tokens.refresh_token === 'string' && tokens.refresh_token ? tokens.refresh_token : input.refreshToken };
      } catch (error) {
        throw classifyOidcError(error);
      }
    },

    /** RP-initiated logout at the provider, when it advertises an end_session_endpoint. */
    async endSessionUrl(postLogoutRedirect: string): Promise<string | undefined> {
      const discovery = await configuration().catch(() => undefined);
      if (!discovery?.config.serverMetadata().end_session_endpoint) return undefined;
      return discovery.oidc.buildEndSessionUrl(discovery.config, { client_id: settings.clientId, post_logout_redirect_uri: postLogoutRedirect }).href;
    },
  };
}

/** Plain HTTP to the provider only on loopback (a provider in the same pod or a test); anywhere else TLS is required. */
export function isLoopbackHttp(issuerUrl: string): boolean {
  const url = new URL(issuerUrl);
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** The engine's settings from the parsed configuration; the callback defaults to PUBLIC_URL's. */
export function oidcSettings(config: Omit<OidcSettings, 'redirectUrl'> & { redirectUrl?: string | undefined }, publicUrl: string | undefined): OidcSettings {
  const redirectUrl = config.redirectUrl ?? `${(publicUrl ?? 'http://localhost:8080').replace(/\/$/, '')}/api/v1/auth/oidc/callback`;
  return { ...config, redirectUrl };
}
