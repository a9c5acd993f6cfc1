/**
 * Sessions: a sign-in's refresh-token family (each token rotated once, a copied one ending the family), the access
 * tokens it renews, logging out, and reading the request's user from a bearer token (a session's access token, or an
 * API token). A session that came from the identity provider asks it again at each refresh (issue 74 item 7).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AuthenticatedUser, Role, User } from '../../platform/ports/index.ts';
import { isApiToken, type ApiTokenUse, type ApiTokenUser } from './api-token-service.ts';
import { AccountError } from './account-error.ts';
import { readActiveUser, toAuthenticated, type AccountServiceDeps, type Atomically, type IssuedRefreshToken, type SessionTokens } from './account-deps.ts';
import { localAccountRefusal } from './local-login.ts';
import { applyProviderRole } from './provider-accounts.ts';

/** Refresh tokens are stored only as their sha-256: a database leak does not hand out sessions. */
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** `atomically`: the service's transaction (account-deps.ts atomicallyOf). */
export function createAccountSessions(deps: AccountServiceDeps, atomically: Atomically) {
  const now = deps.now ?? (() => new Date());
  const invalidRefresh = () => new AccountError('INVALID_REFRESH_TOKEN', 'Refresh token is invalid or expired; log in again', 401);

  /** `providerSession`: the session came from the identity provider (what to ask it again with, sealed per family) */
  async function issueRefreshToken(userId: string, familyId: string = randomUUID(), providerSession?: { refreshToken?: string | undefined }): Promise<IssuedRefreshToken> {
    const token = randomBytes(32).toString('base64url');
    const expiresInSeconds = deps.refreshTokenDays * 24 * 60 * 60;
    const expiresAt = new Date(now().getTime() + expiresInSeconds * 1000);
    const providerSessionSealed = providerSession && deps.providerSessions ? deps.providerSessions.seal(familyId, providerSession) : undefined;
    await deps.refreshTokens.insert({ tokenHash: hashToken(token), userId, familyId, expiresAt, ...(providerSessionSealed ? { providerSessionSealed } : {}) });
    return { token, familyId, expiresAt, expiresInSeconds };
  }

  /** A refresh refused for a reason other than the token itself: its family ends, and the reason is audited. */
  async function refuseRefresh(record: { userId: string; familyId: string }, action: string, reason: string, ip: string | undefined): Promise<never> {
    await deps.refreshTokens.revokeFamily(record.familyId);
    await deps.audit.record({ actorId: record.userId, action, subjectType: 'refresh_token_family', subjectId: record.familyId, details: { reason }, ...(ip ? { ip } : {}) });
    throw new AccountError('INVALID_REFRESH_TOKEN', `${reason} Log in again.`, 401);
  }

  /**
   * Asks the provider about the person of a provider session (its refresh token there); refuses the refresh (and ends
   * its family) when it cannot: no refresh token was given (the session lasts one access token), the provider refused
   * it, the person's groups no longer map to a role (OIDC_REQUIRE_MAPPED_GROUP), or the provider cannot be reached.
   */
  async function renewProviderSession(record: { userId: string; familyId: string; providerSessionSealed?: string }, user: User, ip: string | undefined): Promise<{ refreshToken?: string; role?: Role }> {
    const providerName = deps.localLogin?.providerName ?? 'your company sign-in';
    let opened: { refreshToken?: string };
    try {
      opened = deps.providerSessions!.open(record.familyId, record.providerSessionSealed!);
    } catch {
      return refuseRefresh(record, 'auth.oidc_refresh_refused', `This ${providerName} session cannot be renewed here (its provider session cannot be opened).`, ip);
    }
    if (!opened.refreshToken) return refuseRefresh(record, 'auth.oidc_refresh_refused', `${providerName} gave no refresh token for this session (add offline_access to OIDC_SCOPES for longer sessions), so it cannot be renewed without asking it again.`, ip);
    if (!user.oidcIdentity) return refuseRefresh(record, 'auth.oidc_refresh_refused', 'This account is no longer linked to a person at the identity provider.', ip);
    try {
      const identity = await deps.providerSessions!.refresh({ refreshToken: opened.refreshToken, ...user.oidcIdentity });
      return { role: identity.role, ...(identity.providerRefreshToken ? { refreshToken: identity.providerRefreshToken } : {}) };
    } catch (error) {
      return refuseRefresh(record, 'auth.oidc_refresh_refused', `${providerName} did not renew this session: ${error instanceof Error ? error.message : String(error)}`, ip);
    }
  }

  return {
    /** the full form: a sign-in starts a family, a refresh continues one, a provider session seals what renews it */
    issueRefreshToken,

    /**
     * Rotates a refresh token: the presented one is spent and a new one of the same family returned. Presenting a
     * spent token means it was copied, so the whole family is revoked and both holders must log in again.
     */
    async refresh(input: { token: string; ip?: string }): Promise<SessionTokens> {
      const record = await deps.refreshTokens.findByHash(hashToken(input.token));
      if (!record) throw invalidRefresh();
      const reuse = record.rotatedAt !== undefined || record.revokedAt !== undefined || !(await deps.refreshTokens.markRotated(record.id));
      if (reuse) {
        const revoked = await deps.refreshTokens.revokeFamily(record.familyId);
        if (revoked > 0 || record.rotatedAt !== undefined) {
          await deps.audit.record({ actorId: record.userId, action: 'auth.refresh_token_reused', subjectType: 'refresh_token_family', subjectId: record.familyId, details: { revoked }, ...(input.ip ? { ip: input.ip } : {}) });
        }
        throw invalidRefresh();
      }
      if (record.expiresAt.getTime() <= now().getTime()) throw invalidRefresh();
      let user = await readActiveUser(deps.users, record.userId).catch(() => {
        throw invalidRefresh();
      });
      let providerSession: { refreshToken?: string; role?: Role } | undefined;
      if (record.providerSessionSealed === undefined) {
        // Issue 74 item 7: LOCAL_LOGIN=false ends the sessions that did not come from the provider (the break-glass
        // admin's excepted, and audited).
        const refusal = localAccountRefusal(deps.localLogin, user, 'refresh token');
        if (refusal) await refuseRefresh(record, 'auth.local_session_refused', refusal, input.ip);
        if (deps.localLogin && !deps.localLogin.enabled) await deps.audit.record({ actorId: user.id, action: 'auth.break_glass_refresh', subjectType: 'user', subjectId: user.id, details: {}, ...(input.ip ? { ip: input.ip } : {}) });
      } else {
        // Issue 74 item 7: a provider session asks the provider again: its groups now decide the role, and a person
        // the provider no longer renews (removed, disabled) loses the session here, not at their next sign-in.
        providerSession = await renewProviderSession(record, user, input.ip);
        user = await atomically(async (tx) => applyProviderRole(tx, user, providerSession!.role!, input.ip, 'oidc_refresh'));
        delete providerSession.role;
      }
      const refresh = await issueRefreshToken(user.id, record.familyId, providerSession);
      const accessToken = await deps.accessTokens.issue(toAuthenticated(user), { version: user.sessionVersion, id: refresh.familyId });
      return { user, accessToken, refresh };
    },

    /** Revokes the presented token's family; unknown tokens are fine (logging out twice is not an error). */
    async logout(input: { token?: string; userId?: string; ip?: string }): Promise<void> {
      let actorId = input.userId;
      if (input.token) {
        const record = await deps.refreshTokens.findByHash(hashToken(input.token));
        if (record) {
          await deps.refreshTokens.revokeFamily(record.familyId);
          actorId ??= record.userId;
        }
      }
      if (actorId) await deps.audit.record({ actorId, action: 'auth.logout', subjectType: 'user', subjectId: actorId, details: {}, ...(input.ip ? { ip: input.ip } : {}) });
    },

    /**
     * Whether `token` is a session's access token this engine signed and that has not expired, from its signature
     * alone: for what may be shown to a signed-in person while the database itself is down (/health's reasons).
     * Never an API token (each use of one is looked up and audited).
     */
    async isSessionAccessToken(token: string): Promise<boolean> {
      return !isApiToken(token) && (await deps.accessTokens.verify(token)) !== undefined;
    },

    /**
     * The request's user from a bearer token, re-checked against the database so deactivation takes effect. Why the
     * session too (issue 74): the signature only proves the token was made with JWT_SECRET, and a leaked secret let
     * anyone write an admin's id into one. A token must also name a live sign-in session of that very user (its
     * refresh-token family, unguessable and never shown to anyone else), so a forged token, or one whose session was
     * logged out or revoked, is refused. The user and the session are read together.
     */
    async authenticate(token: string, use?: ApiTokenUse): Promise<AuthenticatedUser | ApiTokenUser | undefined> {
      // An API token is never a JWT; it is looked up by its hash and carries its scopes.
      if (isApiToken(token)) return use && deps.apiTokens ? deps.apiTokens.authenticate(token, use) : undefined;
      const claims = await deps.accessTokens.verify(token);
      if (!claims?.sessionId) return undefined;
      const [user, sessionLive] = await Promise.all([deps.users.findById(claims.id), deps.refreshTokens.isSessionLive(claims.sessionId, claims.id)]);
      if (!user || !user.isActive || user.sessionVersion !== claims.sessionVersion || !sessionLive) return undefined;
      return { ...toAuthenticated(user), ...(claims.authTime !== undefined ? { authTime: claims.authTime } : {}) };
    },
  };
}
