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
import type { Role } from '../ports/index.ts';
import { SkyfloError } from '../errors/skyflo-error.ts';

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
export type OidcErrorCode = 'wrong_audience' | 'wrong_issuer' | 'nonce_mismatch' | 'token_expired' | 'provider_error' | 'unmapped_user' | 'invalid_state' | 'no_email' | 'account_disabled' | 'identity_mismatch' | 'email_unverified';

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
}

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

interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
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

  return {
    providerName: settings.providerName,
    stateTtlSeconds: STATE_TTL_SECONDS,

    /** The provider's authorization URL and the sealed state to keep in the browser's cookie until the callback. */
    async start(): Promise<{ url: string; stateToken: string }> {
      const { oidc, config } = await configuration().catch((error: unknown) => {
        throw new OidcSignInError('provider_error', `The identity provider cannot be reached (${(error as Error).message}).`);
      });
      const pending: PendingLogin = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUrl,
        scope: settings.scopes,
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
      });
      const stateToken = await new SignJWT({ ...pending }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(`${STATE_TTL_SECONDS}s`).sign(stateKey);
      return { url: url.href, stateToken };
    },

    /** Completes the code flow; every check (state, PKCE, iss, aud, nonce, exp, signature) is openid-client's. */
    async finish(callbackUrl: URL, stateToken: string | undefined): Promise<OidcIdentity> {
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
        const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
        if (!email) throw new OidcSignInError('no_email', 'The provider did not share your email address (add the "email" scope).');
        const rawGroups = claims[settings.groupsClaim];
        const groups = Array.isArray(rawGroups) ? rawGroups.filter((group): group is string => typeof group === 'string') : [];
        const fullName = typeof claims.name === 'string' ? claims.name : null;
        const emailVerified = typeof claims.email_verified === 'boolean' ? claims.email_verified : undefined;
        return { issuer: claims.iss, subject: claims.sub, email, ...(emailVerified !== undefined ? { emailVerified } : {}), fullName, groups, role: roleFromGroups(groups, settings.roleMapping, settings.requireMappedGroup) };
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
