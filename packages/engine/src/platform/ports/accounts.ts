/** Users, roles and refresh tokens: who may sign in and in which role. */
import type { MemberScope } from '@skyflo/protocol';

/** admin: everything; approver: decides mutating calls (APPROVAL_POLICY=approver); member: chats and decides own calls in self mode. */
export type Role = 'admin' | 'approver' | 'member';
export const roleNames: readonly Role[] = ['admin', 'approver', 'member'];

export interface User {
  id: string;
  email: string;
  fullName: string | null;
  role: Role;
  isActive: boolean;
  isSuperuser: boolean;
  isVerified: boolean;
  createdAt: Date;
  /** bumped when the password changes; access tokens carry it, so older ones stop working */
  sessionVersion: number;
  /** the clusters and namespaces this member may touch (issue 22); absent = everything */
  scope?: MemberScope;
  /** issue 35: the identity-provider person (iss, sub) this account is linked to, once it signed in through OIDC */
  oidcIdentity?: { issuer: string; subject: string };
}

/** The caller of a request, set by the auth hook on every non-public route (request.user). */
export interface AuthenticatedUser {
  id: string;
  email: string;
  role: Role;
  /**
   * Issue 35: when this session's person signed in (epoch seconds, the access token's auth_time); absent for a token
   * issued by a refresh or an API token. Registering a passkey needs a recent one.
   */
  authTime?: number;
}

/** A user row including the password hash; only accounts/ ever sees this shape. */
export interface UserWithPassword extends User {
  hashedPassword: string;
}

export interface UserStore {
  /**
   * Creates a user atomically with the "first user becomes admin" rule: the very first account is admin,
   * superuser and verified; later ones are members, and are refused when `allowWhenUsersExist` is false.
   */
  create(input: { email: string; hashedPassword: string; fullName?: string | null; allowWhenUsersExist: boolean }): Promise<
    { ok: true; user: User } | { ok: false; reason: 'email_taken' | 'registration_closed' }
  >;
  findByEmail(email: string): Promise<UserWithPassword | undefined>;
  /** The account linked to this identity-provider person (issue 35), if any. */
  findByOidcIdentity(issuer: string, subject: string): Promise<UserWithPassword | undefined>;
  /** Links an account to an identity-provider person; 'taken' when another account is linked to them. */
  linkOidcIdentity(id: string, identity: { issuer: string; subject: string }): Promise<'linked' | 'taken' | 'not_found'>;
  findById(id: string): Promise<UserWithPassword | undefined>;
  updateProfile(id: string, patch: { email?: string; fullName?: string | null }): Promise<{ ok: true; user: User } | { ok: false; reason: 'email_taken' | 'not_found' }>;
  setPassword(id: string, hashedPassword: string): Promise<void>;
  /** Sets (or, with undefined, clears) the clusters and namespaces a member may touch; undefined when there is no such user. */
  setScope(id: string, scope: MemberScope | undefined): Promise<User | undefined>;
  count(): Promise<number>;
  /** Every account (active ones only unless asked), oldest first. */
  list(options?: { includeInactive?: boolean }): Promise<User[]>;
  /**
   * Team administration: creates an account with a role and an initial password, or reactivates a removed one
   * (new password and role; older sessions stay ended). Refused when an active account has the email.
   */
  addMember(input: { email: string; hashedPassword: string; fullName?: string | null; role: Role }): Promise<
    { ok: true; user: User; reactivated: boolean } | { ok: false; reason: 'email_taken' }
  >;
  /**
   * An admin's change to an account's role or activity. Refused with 'last_admin' when it would leave no active
   * admin (checked atomically with the update, so two admins demoting each other cannot both succeed).
   */
  updateAccess(id: string, patch: { role?: Role; isActive?: boolean; fullName?: string | null }): Promise<
    { ok: true; user: User } | { ok: false; reason: 'not_found' | 'last_admin' }
  >;
}

export interface RefreshTokenRecord {
  id: string;
  tokenHash: string;
  userId: string;
  familyId: string;
  expiresAt: Date;
  rotatedAt?: Date;
  revokedAt?: Date;
  createdAt: Date;
  /**
   * Issue 74 item 7: the session came from the identity provider; what it needs to ask the provider again at each
   * refresh (its refresh token), sealed with the engine's key. Absent: a local (password) session.
   */
  providerSessionSealed?: string;
}

export interface RefreshTokenStore {
  insert(input: { tokenHash: string; userId: string; familyId: string; expiresAt: Date; providerSessionSealed?: string }): Promise<RefreshTokenRecord>;
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Atomically marks a live token rotated; false when it was already rotated or revoked (i.e. reuse). */
  markRotated(id: string): Promise<boolean>;
  /** Revokes every token of the family; returns how many were still live. */
  revokeFamily(familyId: string): Promise<number>;
  revokeAllForUser(userId: string): Promise<number>;
  /**
   * Whether `familyId` is a sign-in session of `userId` that is neither revoked nor expired: what an access token's
   * `sid` must name. A rotated token still counts (its successor is the same session).
   */
  isSessionLive(familyId: string, userId: string): Promise<boolean>;
}
