/**
 * What the account service's parts share (account-service.ts composes them: registration and passwords, company
 * sign-in in provider-accounts.ts, member administration in member-administration.ts, sessions in
 * account-sessions.ts): its dependencies, the session tokens it hands out, and the small checks every part makes.
 */
import type { AuditLog, AuthenticatedUser, RefreshTokenStore, TransactionalStores, User, UserStore } from '../../platform/ports/index.ts';
import type { AccessTokens } from './access-tokens.ts';
import type { ApiTokenUse, ApiTokenUser } from './api-token-service.ts';
import { AccountError } from './account-error.ts';
import type { LoginRateLimiter } from './login-rate-limiter.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { weakPasswordReason } from './password-policy.ts';
import type { LocalLoginPolicy } from './local-login.ts';
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

/** The stores an account change writes; one transaction binds them when the storage has one. */
export type AccountStores = Pick<TransactionalStores, 'users' | 'refreshTokens' | 'audit'>;

/** Runs `work` with the account stores, in one database transaction when the storage has one. */
export type Atomically = <T>(work: (stores: AccountStores) => Promise<T>) => Promise<T>;

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
   * LOCAL_LOGIN=false: password registration and sign-in are refused (company sign-in only), and so are the refresh
   * tokens of sessions that did not come from the provider (issue 74 item 7), except for the break-glass admin's
   * email, kept for when the identity provider is down (its refreshes audited).
   */
  localLogin?: LocalLoginPolicy;
  /** company sign-in's sessions: each refresh asks the provider again (issue 74 item 7); absent: no provider */
  providerSessions?: ProviderSessions;
  /**
   * One database transaction with stores bound to it (PlatformStorage.atomically). When given, each admin action and
   * its audit record commit together: no change without its record, no record of a change that did not happen.
   */
  atomically?: Atomically;
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

/**
 * Starts a refresh-token family (or continues `familyId`); `providerSession`: the session came from the identity
 * provider (what to ask it again with, sealed per family). account-sessions.ts makes it.
 */
export type IssueRefreshToken = (userId: string, familyId?: string, providerSession?: { refreshToken?: string | undefined }) => Promise<IssuedRefreshToken>;

/** The deps' transaction, or (storage without one) the stores themselves, each write on its own. */
export const atomicallyOf = (deps: AccountServiceDeps): Atomically => deps.atomically ?? ((work) => work(deps));

/** What an access token says of its user. */
export const toAuthenticated = (user: User): AuthenticatedUser => ({ id: user.id, email: user.email, role: user.role });

/** Refuses a password the policy calls weak (password-policy.ts), with its reason. */
export function assertStrongPassword(password: string, context: { email?: string; field?: string }): void {
  const reason = weakPasswordReason(password, context);
  if (reason) throw new AccountError('WEAK_PASSWORD', reason, 400);
}

/** The account `id` as its owner sees it (no password hash), refused when it is gone or deactivated. */
export async function readActiveUser(users: UserStore, id: string): Promise<User> {
  const user = await users.findById(id);
  if (!user) throw new AccountError('USER_NOT_FOUND', 'User not found', 404);
  if (!user.isActive) throw new AccountError('INACTIVE_USER', 'This account is deactivated', 401);
  const { hashedPassword: _hidden, ...rest } = user;
  return rest;
}
