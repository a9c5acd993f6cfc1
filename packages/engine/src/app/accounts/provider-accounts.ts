/**
 * Company sign-in's side of the accounts: which account a person the identity provider vouched for is, the role their
 * groups map to, their session, and an account's owner linking it to their person at the provider (issues 35, 74).
 */
import type { AuditLog, Role, User, UserStore, UserWithPassword } from '../../platform/ports/index.ts';
import { AccountError } from './account-error.ts';
import { toAuthenticated, type AccountServiceDeps, type Atomically, type IssueRefreshToken, type SessionTokens } from './account-deps.ts';
import { isBreakGlass } from './local-login.ts';
import type { OidcIdentity } from './oidc-sign-in.ts';

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

/**
 * The role the provider's groups map to, applied as a sign-in does (never demoting the last active admin, each
 * change audited); `via` says which: a sign-in or a refresh.
 */
export async function applyProviderRole(tx: { users: UserStore; audit: AuditLog }, current: User, role: Role, ip: string | undefined, via: 'oidc' | 'oidc_refresh'): Promise<User> {
  if (current.role === role) return current;
  const changed = await tx.users.updateAccess(current.id, { role });
  if (!changed.ok) {
    await tx.audit.record({ actorId: current.id, action: 'auth.oidc_role_kept', subjectType: 'user', subjectId: current.id, details: { role: current.role, mapped: role, reason: changed.reason, via }, ...(ip ? { ip } : {}) });
    return current;
  }
  await tx.audit.record({ actorId: current.id, action: 'team.role_changed', subjectType: 'user', subjectId: current.id, details: { email: current.email, from: current.role, to: role, via }, ...(ip ? { ip } : {}) });
  return changed.user;
}

/** `atomically` and `issueRefreshToken`: the service's transaction and session start (account-sessions.ts). */
export function createProviderAccounts(deps: Pick<AccountServiceDeps, 'audit' | 'accessTokens' | 'localLogin'>, parts: { atomically: Atomically; issueRefreshToken: IssueRefreshToken }) {
  const { atomically, issueRefreshToken } = parts;
  return {
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
  };
}
