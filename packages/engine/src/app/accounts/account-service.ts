import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AuditLog, AuthenticatedUser, RefreshTokenStore, Role, TransactionalStores, User, UserStore, UserWithPassword } from '../../platform/ports/index.ts';
import type { AccessTokens } from './access-tokens.ts';
import { isApiToken, type ApiTokenUse, type ApiTokenUser } from './api-token-service.ts';
import { AccountError } from './account-error.ts';
import type { LoginRateLimiter } from './login-rate-limiter.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { weakPasswordReason } from './password-policy.ts';
import { isBreakGlass, localAccountRefusal, type LocalLoginPolicy } from './local-login.ts';
import type { OidcIdentity } from './oidc-sign-in.ts';

/**
 * Issue 74 item 7: what a session that came from the identity provider keeps to ask it again at each refresh (its
 * refresh token there, sealed with the engine's key per refresh-token family), and the asking itself.
 */
export interface ProviderSessions {
  seal(familyId: string, session: { refreshToken?: string | undefined }): string;
  /** throws when the sealed value cannot be opened (another key, another family) */
  open(familyId: string, sealed: string): { refreshToken?: string };
  /** the person as the provider sees them now; throws OidcSignInError (session_ended, provider_error, …) */
  refresh(input: { refreshToken: string; issuer: string; subject: string }): Promise<OidcIdentity>;
}

export interface AccountServiceDeps {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  audit: AuditLog;
  hasher: PasswordHasher;
  accessTokens: AccessTokens;
  /** failed logins per address + account */
  loginLimiter: LoginRateLimiter;
  /** failed logins per address across all accounts (password spraying) */
  addressLimiter: LoginRateLimiter;
  allowRegistration: boolean;
  refreshTokenDays: number;
  /**
   * When set, creating the first admin needs this one-time token (printed at start-up): set when the engine is not
   * bound to loopback, where anyone on the network could otherwise claim a fresh install.
   */
  setupToken?: string;
  now?: () => Date;
  /** API tokens for automation (`sky_…`); without it such tokens are refused */
  apiTokens?: { authenticate(token: string, use: ApiTokenUse): Promise<ApiTokenUser | undefined> };
  /**
   * One database transaction with stores bound to it (PlatformStorage.atomically). When given, each admin action and
   * its audit record commit together: no change without its record, no record of a change that did not happen.
   */
  /**
   * LOCAL_LOGIN=false: password registration and sign-in are refused (company sign-in only), and so are the refresh
   * tokens of sessions that did not come from the provider (issue 74 item 7), except for the break-glass admin's
   * email, kept for when the identity provider is down (its refreshes audited).
   */
  localLogin?: LocalLoginPolicy;
  /** company sign-in's sessions: each refresh asks the provider again (issue 74 item 7); absent: no provider */
  providerSessions?: ProviderSessions;
  atomically?: <T>(work: (stores: Pick<TransactionalStores, 'users' | 'refreshTokens' | 'audit'>) => Promise<T>) => Promise<T>;
}

export interface IssuedRefreshToken {
  token: string;
  /** the session (refresh-token family) this token continues; access tokens carry it as `sid` */
  familyId: string;
  expiresAt: Date;
  expiresInSeconds: number;
}

export interface SessionTokens {
  user: User;
  accessToken: string;
  refresh: IssuedRefreshToken;
}

export type AccountService = ReturnType<typeof createAccountService>;

/** Refresh tokens are stored only as their sha-256: a database leak does not hand out sessions. */
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Constant-time comparison, so response timing does not reveal how much of a guessed token was right. */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

const toAuthenticated = (user: User): AuthenticatedUser => ({ id: user.id, email: user.email, role: user.role });

function accessError(reason: 'not_found' | 'last_admin', userId: string): AccountError {
  if (reason === 'last_admin') return new AccountError('LAST_ADMIN', 'This is the last active admin: make another member admin first, then change this account', 409);
  return new AccountError('USER_NOT_FOUND', `User ${userId} not found`, 404);
}

function assertStrongPassword(password: string, context: { email?: string; field?: string }): void {
  const reason = weakPasswordReason(password, context);
  if (reason) throw new AccountError('WEAK_PASSWORD', reason, 400);
}

function requireAdmin(actor: AuthenticatedUser): void {
  if (actor.role !== 'admin') throw new AccountError('FORBIDDEN', 'Only admins can view or change other accounts', 403);
}


/**
 * Issue 35: which account a provider sign-in is: the one linked to the person's (iss, sub) — emails change and get
 * reassigned, the subject never does; a changed email follows the provider's unless another account holds it.
 * Issue 74 item 7: never an account found by e-mail. A provider user whose e-mail equalled the break-glass admin's was
 * linked to that account and signed in as admin; an existing account is linked only by its owner, signed in to it,
 * asking to (linkProviderIdentity), or not at all. A first sign-in whose e-mail an account holds is refused.
 */
async function accountOfProviderPerson(tx: { users: UserStore; audit: AuditLog }, input: { email: string; ip: string }, identity: { issuer: string; subject: string }): Promise<UserWithPassword | undefined> {
  const linked = await tx.users.findByOidcIdentity(identity.issuer, identity.subject);
  if (linked) {
    if (linked.email === input.email) return linked;
    const moved = await tx.users.updateProfile(linked.id, { email: input.email });
    await tx.audit.record({ actorId: linked.id, action: moved.ok ? 'user.email_changed' : 'auth.oidc_email_kept', subjectType: 'user', subjectId: linked.id, details: { from: linked.email, to: input.email, via: 'oidc', ...(moved.ok ? {} : { reason: moved.reason }) }, ip: input.ip });
    return moved.ok ? { ...linked, email: input.email } : linked;
  }
  const byEmail = await tx.users.findByEmail(input.email);
  if (!byEmail) return undefined;
  if (byEmail.oidcIdentity) throw new AccountError('OIDC_IDENTITY_MISMATCH', 'The Skyflo account with this email belongs to another person at the identity provider', 403);
  throw new AccountError(
    'OIDC_LINK_REQUIRED',
    'A Skyflo account with this email exists and is not linked to your company sign-in; its owner links it from Settings (signed in to it), or an admin gives you another account. It is never linked by email alone.',
    403,
  );
}

export function createAccountService(deps: AccountServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const atomically = deps.atomically ?? (<T>(work: (stores: Pick<TransactionalStores, 'users' | 'refreshTokens' | 'audit'>) => Promise<T>) => work(deps));
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

  /**
   * The role the provider's groups map to, applied as a sign-in does (never demoting the last active admin, each
   * change audited); `via` says which: a sign-in or a refresh.
   */
  async function applyProviderRole(tx: { users: UserStore; audit: AuditLog }, current: User, role: Role, ip: string | undefined, via: 'oidc' | 'oidc_refresh'): Promise<User> {
    if (current.role === role) return current;
    const changed = await tx.users.updateAccess(current.id, { role });
    if (!changed.ok) {
      await tx.audit.record({ actorId: current.id, action: 'auth.oidc_role_kept', subjectType: 'user', subjectId: current.id, details: { role: current.role, mapped: role, reason: changed.reason, via }, ...(ip ? { ip } : {}) });
      return current;
    }
    await tx.audit.record({ actorId: current.id, action: 'team.role_changed', subjectType: 'user', subjectId: current.id, details: { email: current.email, from: current.role, to: role, via }, ...(ip ? { ip } : {}) });
    return changed.user;
  }

  /** A refresh refused for a reason other than the token itself: its family ends, and the reason is audited. */
  async function refuseRefresh(record: { userId: string; familyId: string }, action: string, reason: string, ip: string | undefined): Promise<never> {
    await deps.refreshTokens.revokeFamily(record.familyId);
    await deps.audit.record({ actorId: record.userId, action, subjectType: 'refresh_token_family', subjectId: record.familyId, details: { reason }, ...(ip ? { ip } : {}) });
    throw new AccountError('INVALID_REFRESH_TOKEN', `${reason} Log in again.`, 401);
  }

  async function activeUser(id: string): Promise<User> {
    const user = await deps.users.findById(id);
    if (!user) throw new AccountError('USER_NOT_FOUND', 'User not found', 404);
    if (!user.isActive) throw new AccountError('INACTIVE_USER', 'This account is deactivated', 401);
    const { hashedPassword: _hidden, ...rest } = user;
    return rest;
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

    me: activeUser,

    /**
     * A session for a person the identity provider vouched for: the account is created on first sign-in and its role
     * set from the provider's groups at every sign-in (removed from a group → loses the role at the next one).
     * A deactivated account stays deactivated. Never demotes the last active admin (the change is audited as skipped).
     */
    async signInWithProvider(input: { email: string; emailVerified?: boolean; fullName: string | null; role: Role; issuer: string; subject: string; ip: string; unusablePassword: string; providerRefreshToken?: string | undefined }): Promise<SessionTokens> {
      const identity = { issuer: input.issuer, subject: input.subject };
      const user = await atomically(async (tx) => {
        const existing = await accountOfProviderPerson(tx, input, identity);
        if (existing && !existing.isActive) throw new AccountError('INACTIVE_USER', 'This account is deactivated', 403);
        if (!existing) {
          const created = await tx.users.addMember({ email: input.email, hashedPassword: input.unusablePassword, fullName: input.fullName, role: input.role });
          if (!created.ok) throw new AccountError('EMAIL_TAKEN', 'A user with this email already exists', 400);
          if ((await tx.users.linkOidcIdentity(created.user.id, identity)) !== 'linked') throw new AccountError('OIDC_IDENTITY_MISMATCH', 'Another account is already linked to this person at the identity provider', 409);
          await tx.audit.record({ actorId: created.user.id, action: 'user.registered', subjectType: 'user', subjectId: created.user.id, details: { role: input.role, via: 'oidc', issuer: input.issuer, subject: input.subject }, ip: input.ip });
          return created.user;
        }
        const { hashedPassword: _hidden, ...current } = existing;
        return applyProviderRole(tx, current, input.role, input.ip, 'oidc');
      }).catch(async (error: unknown) => {
        // a refused sign-in onto an existing account is an attempt worth seeing in the audit trail (written once the
        // transaction that refused it has ended: it holds the embedded database's one connection)
        if (error instanceof AccountError && error.code !== 'INACTIVE_USER') {
          await deps.audit.record({ action: 'auth.oidc_sign_in_refused', subjectType: 'user', details: { email: input.email, issuer: input.issuer, subject: input.subject, code: error.code }, ip: input.ip }).catch(() => undefined);
        }
        throw error;
      });
      // a provider session: each refresh asks the provider again (with its refresh token, when it gave one)
      const refresh = await issueRefreshToken(user.id, undefined, { ...(input.providerRefreshToken ? { refreshToken: input.providerRefreshToken } : {}) });
      const accessToken = await deps.accessTokens.issue(toAuthenticated(user), { version: user.sessionVersion, id: refresh.familyId }, Math.floor(Date.now() / 1000));
      await deps.audit.record({ actorId: user.id, action: 'auth.login', subjectType: 'user', subjectId: user.id, details: { via: 'oidc' }, ip: input.ip });
      return { user, accessToken, refresh };
    },

    /**
     * Issue 74 item 7: the owner of an account, signed in to it, links it to the person who just signed in at the
     * provider (POST /auth/oidc/link, then the provider, then the callback). Only with the provider's word that the
     * e-mail is theirs (email_verified) and equal to the account's; never the break-glass admin (it must keep working
     * when the provider does not); never an account already linked, or a person already linked to another account.
     */
    async linkProviderIdentity(input: { userId: string; identity: Pick<OidcIdentity, 'issuer' | 'subject' | 'email' | 'emailVerified'>; ip: string }): Promise<User> {
      return atomically(async (tx) => {
        const account = await tx.users.findById(input.userId);
        if (!account || !account.isActive) throw new AccountError('INACTIVE_USER', 'This account is deactivated', 403);
        const refuse = (code: AccountError['code'], message: string, status = 403): never => {
          throw new AccountError(code, message, status);
        };
        if (isBreakGlass(deps.localLogin, account.email)) refuse('OIDC_LINK_REFUSED', 'The break-glass account stays a local account: it is what works when the identity provider does not.');
        if (account.oidcIdentity) refuse('OIDC_IDENTITY_MISMATCH', 'This account is already linked to a person at the identity provider.', 409);
        if (input.identity.emailVerified !== true) refuse('OIDC_EMAIL_UNVERIFIED', 'The identity provider does not say it verified your email address (email_verified), so it is not linked to this account.');
        if (input.identity.email !== account.email) refuse('OIDC_LINK_REFUSED', `You signed in at the provider as ${input.identity.email}, not as ${account.email}: only the same person's address is linked.`);
        if ((await tx.users.linkOidcIdentity(account.id, { issuer: input.identity.issuer, subject: input.identity.subject })) !== 'linked') refuse('OIDC_IDENTITY_MISMATCH', 'Another account is already linked to this person at the identity provider.', 409);
        await tx.audit.record({ actorId: account.id, action: 'auth.oidc_linked', subjectType: 'user', subjectId: account.id, details: { email: account.email, issuer: input.identity.issuer, subject: input.identity.subject, via: 'owner' }, ip: input.ip });
        const { hashedPassword: _hidden, ...linked } = account;
        return { ...linked, oidcIdentity: { issuer: input.identity.issuer, subject: input.identity.subject } };
      }).catch(async (error: unknown) => {
        // audited once the transaction that refused it has ended
        if (error instanceof AccountError && error.code !== 'INACTIVE_USER') {
          await deps.audit.record({ actorId: input.userId, action: 'auth.oidc_link_refused', subjectType: 'user', subjectId: input.userId, details: { code: error.code, issuer: input.identity.issuer, subject: input.identity.subject, provider_email: input.identity.email }, ip: input.ip }).catch(() => undefined);
        }
        throw error;
      });
    },

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

    /** Any account by id, for admins (GET /auth/users/{id}); inactive accounts are shown too. */
    async getUser(input: { actor: AuthenticatedUser; userId: string }): Promise<User> {
      requireAdmin(input.actor);
      const user = await deps.users.findById(input.userId);
      if (!user) throw new AccountError('USER_NOT_FOUND', `User ${input.userId} not found`, 404);
      const { hashedPassword: _hidden, ...rest } = user;
      return rest;
    },

    /**
     * An admin changes someone's role, activity or name (PATCH /auth/users/{id}). Deactivating ends the user's
     * refresh-token sessions; their access token stops working at once because authenticate() re-reads the user.
     */
    async updateUserAccess(input: { actor: AuthenticatedUser; userId: string; patch: { role?: Role; isActive?: boolean; fullName?: string | null }; ip?: string }): Promise<User> {
      requireAdmin(input.actor);
      return atomically(async (tx) => {
        const result = await tx.users.updateAccess(input.userId, input.patch);
        if (!result.ok) throw accessError(result.reason, input.userId);
        if (input.patch.isActive === false) await tx.refreshTokens.revokeAllForUser(result.user.id);
        await tx.audit.record({
          actorId: input.actor.id,
          action: 'user.access_changed',
          subjectType: 'user',
          subjectId: result.user.id,
          details: { ...(input.patch.role !== undefined ? { role: input.patch.role } : {}), ...(input.patch.isActive !== undefined ? { is_active: input.patch.isActive } : {}) },
          ...(input.ip ? { ip: input.ip } : {}),
        });
        return result.user;
      });
    },

    /** Team members (GET /team/members): active accounts, or all with `includeInactive`. Admins only. */
    async listMembers(input: { actor: AuthenticatedUser; includeInactive?: boolean }): Promise<User[]> {
      requireAdmin(input.actor);
      return deps.users.list({ includeInactive: input.includeInactive === true });
    },

    /** Adds a member with an initial password, or reactivates a removed one (POST /team/members). Admins only. */
    async addMember(input: { actor: AuthenticatedUser; email: string; password: string; role: Role; fullName?: string | null; ip?: string }): Promise<{ user: User; reactivated: boolean }> {
      requireAdmin(input.actor);
      assertStrongPassword(input.password, { email: input.email });
      const hashedPassword = await deps.hasher.hash(input.password);
      return atomically(async (tx) => {
        const result = await tx.users.addMember({ email: input.email, hashedPassword, role: input.role, ...(input.fullName !== undefined ? { fullName: input.fullName } : {}) });
        if (!result.ok) throw new AccountError('EMAIL_TAKEN', `A member with the email ${input.email.trim().toLowerCase()} already exists`, 400);
        await tx.audit.record({
          actorId: input.actor.id,
          action: result.reactivated ? 'team.member_reactivated' : 'team.member_added',
          subjectType: 'user',
          subjectId: result.user.id,
          details: { email: result.user.email, role: result.user.role },
          ...(input.ip ? { ip: input.ip } : {}),
        });
        return { user: result.user, reactivated: result.reactivated };
      });
    },

    /** Changes a member's role (PATCH /team/members/{id}); never leaves the installation without an active admin. */
    async changeRole(input: { actor: AuthenticatedUser; userId: string; role: Role; ip?: string }): Promise<User> {
      requireAdmin(input.actor);
      return atomically(async (tx) => {
        const before = await tx.users.findById(input.userId);
        if (!before || !before.isActive) throw new AccountError('USER_NOT_FOUND', `No active member ${input.userId}`, 404);
        const result = await tx.users.updateAccess(input.userId, { role: input.role });
        if (!result.ok) throw accessError(result.reason, input.userId);
        await tx.audit.record({ actorId: input.actor.id, action: 'team.role_changed', subjectType: 'user', subjectId: result.user.id, details: { email: result.user.email, from: before.role, to: result.user.role }, ...(input.ip ? { ip: input.ip } : {}) });
        return result.user;
      });
    },

    /**
     * Removes a member (DELETE /team/members/{id}): a soft delete that ends their sessions at once (refresh tokens
     * revoked; access tokens stop working because authenticate() re-reads the account). Not yourself, not the last admin.
     */
    async removeMember(input: { actor: AuthenticatedUser; userId: string; ip?: string }): Promise<User> {
      requireAdmin(input.actor);
      if (input.userId === input.actor.id) throw new AccountError('CANNOT_REMOVE_SELF', 'You cannot remove yourself; ask another admin to do it', 409);
      return atomically(async (tx) => {
        const before = await tx.users.findById(input.userId);
        if (!before || !before.isActive) throw new AccountError('USER_NOT_FOUND', `No active member ${input.userId}`, 404);
        const result = await tx.users.updateAccess(input.userId, { isActive: false });
        if (!result.ok) throw accessError(result.reason, input.userId);
        await tx.refreshTokens.revokeAllForUser(result.user.id);
        await tx.audit.record({ actorId: input.actor.id, action: 'team.member_removed', subjectType: 'user', subjectId: result.user.id, details: { email: result.user.email, role: result.user.role }, ...(input.ip ? { ip: input.ip } : {}) });
        return result.user;
      });
    },

    /** Starts a new refresh-token family for an already authenticated user (POST /auth/refresh/issue). */
    issueRefreshToken: (userId: string) => issueRefreshToken(userId),

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
      let user = await activeUser(record.userId).catch(() => {
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
