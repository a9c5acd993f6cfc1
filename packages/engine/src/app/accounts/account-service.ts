/**
 * The accounts: registration and the first admin, password sign-in, profile and password changes, composed with
 * company sign-in (provider-accounts.ts), member administration (member-administration.ts) and sessions
 * (account-sessions.ts) into the one service the routes use. What the parts share is in account-deps.ts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { User } from '../../platform/ports/index.ts';
import { AccountError } from './account-error.ts';
import { assertStrongPassword, atomicallyOf, readActiveUser, toAuthenticated, type AccountServiceDeps, type SessionTokens } from './account-deps.ts';
import { createAccountSessions } from './account-sessions.ts';
import { isBreakGlass } from './local-login.ts';
import { createMemberAdministration } from './member-administration.ts';
import { createProviderAccounts } from './provider-accounts.ts';

export type { AccountServiceDeps, IssuedRefreshToken, ProviderSessions, SessionTokens } from './account-deps.ts';

export type AccountService = ReturnType<typeof createAccountService>;

/** Constant-time comparison, so response timing does not reveal how much of a guessed token was right. */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function createAccountService(deps: AccountServiceDeps) {
  const atomically = atomicallyOf(deps);
  const { issueRefreshToken, ...sessions } = createAccountSessions(deps, atomically);

  function assertLocalLoginAllowed(email: string): void {
    if (!deps.localLogin || deps.localLogin.enabled) return;
    if (isBreakGlass(deps.localLogin, email)) return;
    throw new AccountError('LOCAL_LOGIN_DISABLED', `Password sign-in is turned off on this installation (LOCAL_LOGIN=false): sign in with ${deps.localLogin.providerName ?? 'your company account'}`, 403);
  }

  return {
    /** No account exists yet: the next registration creates the admin (GET /auth/is_admin_user). */
    async isFirstUserPending(): Promise<boolean> {
      return (await deps.users.count()) === 0;
    },

    /** Whether creating the first admin needs the start-up setup token. */
    setupTokenRequired: deps.setupToken !== undefined,

    /** Roles are never taken from the caller: the first user is admin, everyone after is a member. */
    async register(input: { email: string; password: string; fullName?: string | null; ip?: string; setupToken?: string }): Promise<User> {
      assertLocalLoginAllowed(input.email);
      assertStrongPassword(input.password, { email: input.email });
      if (deps.setupToken !== undefined && (await deps.users.count()) === 0 && !sameSecret(input.setupToken, deps.setupToken)) {
        await deps.audit.record({ action: 'auth.setup_token_rejected', details: { email: input.email.trim().toLowerCase() }, ...(input.ip ? { ip: input.ip } : {}) });
        throw new AccountError(
          'SETUP_TOKEN_REQUIRED',
          'Creating the first admin on this engine needs the one-time setup token printed in its start-up log ("setup_token"); it is not bound to loopback, so anyone on the network could otherwise claim it.',
          403,
        );
      }
      const hashedPassword = await deps.hasher.hash(input.password);
      const result = await deps.users.create({ email: input.email, hashedPassword, fullName: input.fullName ?? null, allowWhenUsersExist: deps.allowRegistration });
      if (!result.ok) {
        if (result.reason === 'email_taken') throw new AccountError('EMAIL_TAKEN', 'A user with this email already exists', 400);
        throw new AccountError('REGISTRATION_CLOSED', 'Registration is closed: ask an admin for an account (or set ALLOW_REGISTRATION=true)', 403);
      }
      await deps.audit.record({ actorId: result.user.id, action: 'user.registered', subjectType: 'user', subjectId: result.user.id, details: { role: result.user.role }, ...(input.ip ? { ip: input.ip } : {}) });
      return result.user;
    },

    async login(input: { email: string; password: string; ip: string }): Promise<SessionTokens> {
      assertLocalLoginAllowed(input.email);
      const limiterKey = `${input.ip}|${input.email.trim().toLowerCase()}`;
      if (deps.loginLimiter.isBlocked(limiterKey) || deps.addressLimiter.isBlocked(input.ip)) {
        throw new AccountError('TOO_MANY_ATTEMPTS', 'Too many failed logins; wait a few minutes and try again', 429);
      }
      const user = await deps.users.findByEmail(input.email);
      // Hash even for unknown emails so response time does not reveal which accounts exist.
      const valid = user ? await deps.hasher.verify(user.hashedPassword, input.password) : (await deps.hasher.hash(input.password), false);
      // A deactivated account answers exactly like a wrong password: saying "deactivated" only after a correct
      // password would confirm the password to whoever guessed it.
      if (!user || !valid || !user.isActive) {
        deps.loginLimiter.recordFailure(limiterKey);
        deps.addressLimiter.recordFailure(input.ip);
        await deps.audit.record({
          action: 'auth.login_failed',
          subjectType: 'user',
          details: { email: input.email.trim().toLowerCase(), ...(user && valid && !user.isActive ? { reason: 'inactive' } : {}) },
          ip: input.ip,
          ...(user ? { actorId: user.id } : {}),
        });
        throw new AccountError('INVALID_CREDENTIALS', 'Incorrect email or password', 400);
      }
      deps.loginLimiter.reset(limiterKey);
      const { hashedPassword: _hidden, ...publicUser } = user;
      const refresh = await issueRefreshToken(user.id);
      const accessToken = await deps.accessTokens.issue(toAuthenticated(publicUser), { version: publicUser.sessionVersion, id: refresh.familyId }, Math.floor(Date.now() / 1000));
      await deps.audit.record({ actorId: user.id, action: 'auth.login', subjectType: 'user', subjectId: user.id, details: {}, ip: input.ip });
      return { user: publicUser, accessToken, refresh };
    },

    /** The account as its owner sees it; refused when it is gone or deactivated. */
    me: (id: string) => readActiveUser(deps.users, id),

    ...createProviderAccounts(deps, { atomically, issueRefreshToken }),

    async updateProfile(userId: string, patch: { email?: string; fullName?: string | null }): Promise<User> {
      const result = await deps.users.updateProfile(userId, patch);
      if (!result.ok) {
        if (result.reason === 'email_taken') throw new AccountError('EMAIL_TAKEN', 'A user with this email already exists', 400);
        throw new AccountError('USER_NOT_FOUND', 'User not found', 404);
      }
      return result.user;
    },

    /** Also ends every session: refresh tokens are revoked and access tokens issued before the change stop working. */
    async changePassword(input: { userId: string; currentPassword: string; newPassword: string; ip?: string }): Promise<void> {
      const user = await deps.users.findById(input.userId);
      if (!user) throw new AccountError('USER_NOT_FOUND', 'User not found', 404);
      if (!(await deps.hasher.verify(user.hashedPassword, input.currentPassword))) {
        throw new AccountError('WRONG_PASSWORD', 'Current password is incorrect', 400);
      }
      assertStrongPassword(input.newPassword, { email: user.email, field: 'new_password' });
      await deps.users.setPassword(user.id, await deps.hasher.hash(input.newPassword));
      await deps.refreshTokens.revokeAllForUser(user.id);
      await deps.audit.record({ actorId: user.id, action: 'user.password_changed', subjectType: 'user', subjectId: user.id, details: {}, ...(input.ip ? { ip: input.ip } : {}) });
    },

    ...createMemberAdministration(deps, atomically),

    /** Starts a new refresh-token family for an already authenticated user (POST /auth/refresh/issue). */
    issueRefreshToken: (userId: string) => issueRefreshToken(userId),

    ...sessions,
  };
}
