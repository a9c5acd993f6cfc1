/**
 * /auth/oidc/…: company sign-in (issue 35). The browser is sent to the provider and back; the session it ends with
 * is the same HttpOnly cookie pair a password login gives. Failures land on the UI's login page with a code it
 * explains (`/login?oidc_error=wrong_audience`), never on a JSON error a person cannot read.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AccountError } from '../../../accounts/account-error.ts';
import type { AccountService } from '../../../accounts/account-service.ts';
import { OidcSignInError, type OidcErrorCode, type OidcSignIn } from '../../../accounts/oidc-sign-in.ts';
import type { PasswordHasher } from '../../../accounts/password-hasher.ts';
import { clearSessionCookies, REFRESH_TOKEN_COOKIE, setSessionCookies } from '../../plugins/session-cookies.ts';

export interface OidcRouteDeps {
  accounts: AccountService;
  /** undefined: no provider configured; the routes still answer /auth/oidc/info so the UI knows */
  signIn?: OidcSignIn | undefined;
  hasher: PasswordHasher;
  accessTokenTtlSeconds: number;
  localLogin: boolean;
  breakGlass: boolean;
  /** where the UI lives (PUBLIC_URL), for the provider's post-logout redirect; default: the request's origin */
  publicUrl?: string | undefined;
}

const STATE_COOKIE = 'oidc_login';
const STATE_COOKIE_PATH = '/api/v1/auth/oidc';

export const oidcRoutes: FastifyPluginAsync<OidcRouteDeps> = async (app, deps) => {
  const open = { config: { public: true } };
  const origin = (request: FastifyRequest) => deps.publicUrl?.replace(/\/$/, '') ?? `${request.protocol}://${request.host}`;

  app.get('/auth/oidc/info', open, async () => ({
    enabled: Boolean(deps.signIn),
    provider_name: deps.signIn?.providerName ?? null,
    local_login: deps.localLogin,
    break_glass: deps.breakGlass,
  }));

  if (!deps.signIn) return;
  /** the account refusals a person can act on, as the login page explains them */
  const accountErrorCodes: Record<string, OidcErrorCode | undefined> = { INACTIVE_USER: 'account_disabled', OIDC_IDENTITY_MISMATCH: 'identity_mismatch', OIDC_EMAIL_UNVERIFIED: 'email_unverified' };
  const signIn = deps.signIn;

  app.get('/auth/oidc/login', open, async (request, reply) => {
    try {
      const { url, stateToken } = await signIn.start();
      // SameSite=Lax: the provider's redirect back is a top-level GET, which Lax cookies ride along with.
      reply.setCookie(STATE_COOKIE, stateToken, { httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', path: STATE_COOKIE_PATH, maxAge: signIn.stateTtlSeconds });
      return reply.redirect(url);
    } catch (error) {
      const code = error instanceof OidcSignInError ? error.code : 'provider_error';
      request.log.warn({ err: error }, 'oidc sign-in could not start');
      return reply.redirect(`/login?oidc_error=${code}`);
    }
  });

  app.get('/auth/oidc/callback', open, async (request, reply) => {
    const stateToken = request.cookies[STATE_COOKIE];
    reply.clearCookie(STATE_COOKIE, { path: STATE_COOKIE_PATH });
    try {
      const callbackUrl = new URL(request.url, origin(request));
      const identity = await signIn.finish(callbackUrl, stateToken);
      // A provider account has no usable password: a random one nobody knows, hashed like any other.
      const unusablePassword = await deps.hasher.hash(randomBytes(32).toString('base64url'));
      const session = await deps.accounts.signInWithProvider({ ...identity, ip: request.ip, unusablePassword });
      setSessionCookies(request, reply, { accessToken: session.accessToken, accessTtlSeconds: deps.accessTokenTtlSeconds, refreshToken: session.refresh.token, refreshTtlSeconds: session.refresh.expiresInSeconds });
      return reply.redirect('/');
    } catch (error) {
      const code = error instanceof OidcSignInError ? error.code : error instanceof AccountError ? accountErrorCodes[error.code] : undefined;
      if (!code) throw error;
      request.log.warn({ oidc_error: code, reason: (error as Error).message }, 'oidc sign-in refused');
      return reply.redirect(`/login?oidc_error=${code}`);
    }
  });

  /** Ends the Skyflo session and says where to end the provider's (its end_session_endpoint), when it has one. */
  app.post('/auth/oidc/logout', open, async (request, reply) => {
    const token = request.cookies[REFRESH_TOKEN_COOKIE];
    await deps.accounts.logout({ ip: request.ip, ...(token ? { token } : {}) });
    clearSessionCookies(reply);
    const endSessionUrl = await signIn.endSessionUrl(`${origin(request)}/login`);
    return { success: true, ...(endSessionUrl ? { end_session_url: endSessionUrl } : {}) };
  });
};
