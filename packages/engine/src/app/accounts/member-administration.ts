/**
 * Member administration, for admins only: reading any account, changing its role, activity or name, listing, adding,
 * re-roling and removing team members. Each change and its audit record commit together (deps.atomically), and no
 * change leaves the installation without an active admin (the user store refuses it as `last_admin`).
 */
import type { AuthenticatedUser, Role, User } from '../../platform/ports/index.ts';
import { AccountError } from './account-error.ts';
import { assertStrongPassword, type AccountServiceDeps, type Atomically } from './account-deps.ts';

function accessError(reason: 'not_found' | 'last_admin', userId: string): AccountError {
  if (reason === 'last_admin') return new AccountError('LAST_ADMIN', 'This is the last active admin: make another member admin first, then change this account', 409);
  return new AccountError('USER_NOT_FOUND', `User ${userId} not found`, 404);
}

function requireAdmin(actor: AuthenticatedUser): void {
  if (actor.role !== 'admin') throw new AccountError('FORBIDDEN', 'Only admins can view or change other accounts', 403);
}

export function createMemberAdministration(deps: Pick<AccountServiceDeps, 'users' | 'hasher'>, atomically: Atomically) {
  return {
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
  };
}
