import { and, eq, sql } from 'drizzle-orm';
import type { Role, User, UserStore, UserWithPassword } from '../../../platform/ports/index.ts';
import { isUuid } from '../../../platform/ports/conversation-cursor.ts';
import type { SkyfloDatabase } from '../database.ts';
import { preparedOnce, slot } from '../rendered-statements.ts';
import { users } from '../schema.ts';

type UserRow = typeof users.$inferSelect;

function toUser(row: UserRow): UserWithPassword {
  return {
    id: row.id,
    email: row.email,
    fullName: row.fullName,
    role: row.role as Role,
    isActive: row.isActive,
    isSuperuser: row.isSuperuser,
    isVerified: row.isVerified,
    createdAt: row.createdAt,
    sessionVersion: row.sessionVersion,
    hashedPassword: row.hashedPassword,
    ...(row.scope ? { scope: row.scope } : {}),
    ...(row.oidcIssuer && row.oidcSubject ? { oidcIdentity: { issuer: row.oidcIssuer, subject: row.oidcSubject } } : {}),
  };
}

function withoutPassword({ hashedPassword: _hidden, ...user }: UserWithPassword): User {
  return user;
}

/** Emails are compared case-insensitively by storing them lower-cased. */
const normalise = (email: string) => email.trim().toLowerCase();

export function createUserStore(db: SkyfloDatabase): UserStore {
  // The read every authenticated request makes (AccountService.authenticate), rendered once: Drizzle rendering a
  // select of every column of the row was ~0.5 ms of main-thread CPU per request (issue 79's run-start profile).
  const userById = preparedOnce(() => db.select().from(users).where(eq(users.id, slot('id'))));
  return {
    async create({ email, hashedPassword, fullName, allowWhenUsersExist }) {
      return db.transaction(async (tx) => {
        // Locking the table makes "count users, then insert" atomic: two simultaneous first registrations
        // cannot both become admin, and closed registration cannot be raced past.
        await tx.execute(sql`LOCK TABLE ${users} IN SHARE ROW EXCLUSIVE MODE`);
        const [{ total }] = await tx.select({ total: sql<number>`count(*)::int` }).from(users);
        const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, normalise(email)));
        if (existing) return { ok: false as const, reason: 'email_taken' as const };
        const first = total === 0;
        if (!first && !allowWhenUsersExist) return { ok: false as const, reason: 'registration_closed' as const };
        const [row] = await tx
          .insert(users)
          .values({
            email: normalise(email),
            hashedPassword,
            fullName: fullName ?? null,
            role: first ? 'admin' : 'member',
            isSuperuser: first,
            isVerified: first,
          })
          .returning();
        return { ok: true as const, user: withoutPassword(toUser(row)) };
      });
    },

    async findByEmail(email) {
      const [row] = await db.select().from(users).where(eq(users.email, normalise(email)));
      return row ? toUser(row) : undefined;
    },

    async findByOidcIdentity(issuer, subject) {
      const [row] = await db.select().from(users).where(and(eq(users.oidcIssuer, issuer), eq(users.oidcSubject, subject)));
      return row ? toUser(row) : undefined;
    },

    async linkOidcIdentity(id, identity) {
      if (!isUuid(id)) return 'not_found';
      const [holder] = await db.select({ id: users.id }).from(users).where(and(eq(users.oidcIssuer, identity.issuer), eq(users.oidcSubject, identity.subject)));
      if (holder && holder.id !== id) return 'taken';
      const [row] = await db.update(users).set({ oidcIssuer: identity.issuer, oidcSubject: identity.subject, updatedAt: new Date() }).where(eq(users.id, id)).returning({ id: users.id });
      return row ? 'linked' : 'not_found';
    },

    async findById(id) {
      if (!isUuid(id)) return undefined;
      const [row] = (await userById().execute({ id })) as UserRow[];
      return row ? toUser(row) : undefined;
    },

    async updateProfile(id, patch) {
      if (!isUuid(id)) return { ok: false, reason: 'not_found' };
      if (patch.email !== undefined) {
        const [holder] = await db.select({ id: users.id }).from(users).where(eq(users.email, normalise(patch.email)));
        if (holder && holder.id !== id) return { ok: false, reason: 'email_taken' };
      }
      const [row] = await db
        .update(users)
        .set({
          ...(patch.email !== undefined ? { email: normalise(patch.email) } : {}),
          ...(patch.fullName !== undefined ? { fullName: patch.fullName } : {}),
          updatedAt: new Date(),
        })
        .where(eq(users.id, id))
        .returning();
      return row ? { ok: true, user: withoutPassword(toUser(row)) } : { ok: false, reason: 'not_found' };
    },

    async setScope(id, scope) {
      if (!isUuid(id)) return undefined;
      const [row] = await db.update(users).set({ scope: scope ?? null, updatedAt: new Date() }).where(eq(users.id, id)).returning();
      return row ? withoutPassword(toUser(row)) : undefined;
    },

    async setPassword(id, hashedPassword) {
      await db.update(users).set({ hashedPassword, sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: new Date() }).where(eq(users.id, id));
    },

    async updateAccess(id, patch) {
      if (!isUuid(id)) return { ok: false, reason: 'not_found' };
      return db.transaction(async (tx) => {
        // The same table lock as create(): "is another active admin left?" and the update must be one step, or two
        // admins demoting each other at the same moment could leave nobody able to administer the installation.
        await tx.execute(sql`LOCK TABLE ${users} IN SHARE ROW EXCLUSIVE MODE`);
        const [current] = await tx.select().from(users).where(eq(users.id, id));
        if (!current) return { ok: false as const, reason: 'not_found' as const };
        const losesAdmin = current.role === 'admin' && current.isActive && ((patch.role !== undefined && patch.role !== 'admin') || patch.isActive === false);
        if (losesAdmin) {
          const [{ others }] = await tx
            .select({ others: sql<number>`count(*)::int` })
            .from(users)
            .where(and(eq(users.role, 'admin'), eq(users.isActive, true), sql`${users.id} <> ${id}`));
          if (others === 0) return { ok: false as const, reason: 'last_admin' as const };
        }
        const [row] = await tx
          .update(users)
          .set({
            ...(patch.role !== undefined ? { role: patch.role } : {}),
            ...(patch.isActive !== undefined ? { isActive: patch.isActive } : {}),
            ...(patch.fullName !== undefined ? { fullName: patch.fullName } : {}),
            updatedAt: new Date(),
          })
          .where(eq(users.id, id))
          .returning();
        return { ok: true as const, user: withoutPassword(toUser(row)) };
      });
    },

    async list(options = {}) {
      const rows = await db
        .select()
        .from(users)
        .where(options.includeInactive ? undefined : eq(users.isActive, true))
        .orderBy(users.createdAt, users.id);
      return rows.map((row) => withoutPassword(toUser(row)));
    },

    async addMember({ email, hashedPassword, fullName, role }) {
      return db.transaction(async (tx) => {
        // The same lock as create(): an add racing a registration or another add of the same email stays one account.
        await tx.execute(sql`LOCK TABLE ${users} IN SHARE ROW EXCLUSIVE MODE`);
        const [existing] = await tx.select().from(users).where(eq(users.email, normalise(email)));
        if (existing?.isActive) return { ok: false as const, reason: 'email_taken' as const };
        if (existing) {
          const [row] = await tx
            .update(users)
            .set({
              hashedPassword,
              role,
              isActive: true,
              ...(fullName !== undefined ? { fullName } : {}),
              // sessions from before the removal stay ended
              sessionVersion: sql`${users.sessionVersion} + 1`,
              updatedAt: new Date(),
            })
            .where(eq(users.id, existing.id))
            .returning();
          return { ok: true as const, user: withoutPassword(toUser(row)), reactivated: true };
        }
        const [row] = await tx.insert(users).values({ email: normalise(email), hashedPassword, fullName: fullName ?? null, role }).returning();
        return { ok: true as const, user: withoutPassword(toUser(row)), reactivated: false };
      });
    },

    async count() {
      const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(users);
      return total;
    },
  };
}
