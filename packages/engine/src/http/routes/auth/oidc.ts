/**
 * /auth/oidc/…: company sign-in (issue 35). The browser is sent to the provider and back; the session it ends with
 * is the same HttpOnly cookie pair a password login gives. Failures land on the UI's login page with a code it
 * explains (`/login?oidc_error=wrong_audience`), never on a JSON error a person cannot read.
 *
 * Issue 74 item 7: an account is linked to a provider person only by its owner, signed in to it: POST
 * /auth/oidc/link answers the provider's URL (a POST, so another site cannot start it), the provider authenticates
 * the person afresh, and the callback links them (the provider must vouch for the same, verified e-mail), landing on
 * `/settings?oidc_link=linked` or `/settings?oidc_link_error=<code>`.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AccountError } from '../../../app/accounts/account-error.ts';
import type { AccountService } from '../../../app/accounts/account-service.ts';
import { OidcSignInError, type OidcErrorCode, type OidcSignIn } from '../../../app/accounts/oidc-sign-in.ts';
import type { PasswordHasher } from '../../../app/accounts/password-hasher.ts';
import { clearSessionCookies, REFRESH_TOKEN_COOKIE, setSessionCookies } from '../../plugins/session-cookies.ts';
import { HttpError } from '../../plugins/http-error.ts';

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
  const accountErrorCodes: Record<string, OidcErrorCode | undefined> = {
    INACTIVE_USER: 'account_disabled',
    OIDC_IDENTITY_MISMATCH: 'identity_mismatch',
    OIDC_EMAIL_UNVERIFIED: 'email_unverified',
    OIDC_LINK_REQUIRED: 'link_required',
    OIDC_LINK_REFUSED: 'identity_mismatch',
  };
  const stateCookie = (request: FastifyRequest) => ({ httpOnly: true, sameSite: 'lax' as const, secure: request.protocol === 'https', path: STATE_COOKIE_PATH, maxAge: signIn.stateTtlSeconds });
  const signIn = deps.signIn;

  app.get('/auth/oidc/login', open, async (request, reply) => {
    try {
      const { url, stateToken } = await signIn.start();
      // SameSite=Lax: the provider's redirect back is a top-level GET, which Lax cookies ride along with.
      reply.setCookie(STATE_COOKIE, stateToken, stateCookie(request));
      return reply.redirect(url);
    } catch (error) {
      const code = error instanceof OidcSignInError ? error.code : 'provider_error';
      request.log.warn({ err: error }, 'oidc sign-in could not start');
      return reply.redirect(`/login?oidc_error=${code}`);
    }
  });

  /**
   * Issue 74 item 7: the signed-in owner of an account asks to link it to their company sign-in. Answers the
   * provider's URL for the browser to open (the login state rides in the same HttpOnly cookie as a sign-in's, naming
   * this account); an API token cannot start it.
   */
  app.post('/auth/oidc/link', async (request, reply) => {
    if (request.apiToken) throw new HttpError(403, 'Linking your company sign-in is done in the Command Center, not with an API token', 'FORBIDDEN');
    const { url, stateToken } = await signIn.start({ linkUserId: request.user.id });
    reply.setCookie(STATE_COOKIE, stateToken, stateCookie(request));
    return { url };
  });

  app.get('/auth/oidc/callback', open, async (request, reply) => {
    const stateToken = request.cookies[STATE_COOKIE];
    reply.clearCookie(STATE_COOKIE, { path: STATE_COOKIE_PATH });
    let linking = false;
    try {
      const callbackUrl = new URL(request.url, origin(request));
      const identity = await signIn.finish(callbackUrl, stateToken);
      if (identity.linkUserId) {
        linking = true;
        await deps.accounts.linkProviderIdentity({ userId: identity.linkUserId, identity, ip: request.ip });
        return reply.redirect('/settings?oidc_link=linked');
      }
      // A provider account has no usable password: a random one nobody knows, hashed like any other.
      const unusablePassword = await deps.hasher.hash(randomBytes(32).toString('base64url'));
      const session = await deps.accounts.signInWithProvider({ ...identity, ip: request.ip, unusablePassword });
      setSessionCookies(request, reply, { accessToken: session.accessToken, accessTtlSeconds: deps.accessTokenTtlSeconds, refreshToken: session.refresh.token, refreshTtlSeconds: session.refresh.expiresInSeconds });
      return reply.redirect('/');
    } catch (error) {
      const code = error instanceof OidcSignInError ? error.code : error instanceof AccountError ? accountErrorCodes[error.code] : undefined;
      if (!code) throw error;
      request.log.warn({ oidc_error: code, reason: (error as Error).message, linking }, 'oidc sign-in refused');
      return reply.redirect(linking ? `/settings?oidc_link_error=${code}` : `/login?oidc_error=${code}`);
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
