import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { RefreshTokenRecord, RefreshTokenStore } from '../../../platform/ports/index.ts';
import type { SkyfloDatabase } from '../database.ts';
import { refreshTokens } from '../schema.ts';
import { preparedOnce, slot } from '../rendered-statements.ts';

const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

type RefreshTokenRow = typeof refreshTokens.$inferSelect;

function toRecord(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    id: row.id,
    tokenHash: row.tokenHash,
    userId: row.userId,
    familyId: row.familyId,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    ...(row.rotatedAt ? { rotatedAt: row.rotatedAt } : {}),
    ...(row.revokedAt ? { revokedAt: row.revokedAt } : {}),
    ...(row.providerSessionSealed ? { providerSessionSealed: row.providerSessionSealed } : {}),
  };
}

export function createRefreshTokenStore(db: SkyfloDatabase): RefreshTokenStore {
  const live = and(isNull(refreshTokens.rotatedAt), isNull(refreshTokens.revokedAt));
  // Checked on every authenticated request (AccountService.authenticate), so rendered once, not per request. The
  // time is sent as the column's encoder sends a Date (ISO text): a placeholder in a condition is not encoded.
  const liveSession = preparedOnce(() =>
    db
      .select({ id: refreshTokens.id })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.familyId, slot('family_id')), eq(refreshTokens.userId, slot('user_id')), isNull(refreshTokens.revokedAt), gt(refreshTokens.expiresAt, sql.placeholder('now'))))
      .limit(1),
  );
  return {
    async insert(input) {
      const [row] = await db.insert(refreshTokens).values(input).returning();
      return toRecord(row);
    },
    async findByHash(tokenHash) {
      const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
      return row ? toRecord(row) : undefined;
    },
    async markRotated(id) {
      // Conditional update: of two requests presenting the same token at once, exactly one rotates it.
      const rows = await db.update(refreshTokens).set({ rotatedAt: new Date() }).where(and(eq(refreshTokens.id, id), live)).returning({ id: refreshTokens.id });
      return rows.length > 0;
    },
    async revokeFamily(familyId) {
      const rows = await db
        .update(refreshTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
        .returning({ id: refreshTokens.id });
      return rows.length;
    },
    async isSessionLive(familyId, userId) {
      // both come from a token's claims: what is not a uuid is no session (and no database error)
      if (!isUuid(familyId) || !isUuid(userId)) return false;
      const rows = await liveSession().execute({ family_id: familyId, user_id: userId, now: new Date().toISOString() });
      return rows.length > 0;
    },
    async revokeAllForUser(userId) {
      const rows = await db
        .update(refreshTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
        .returning({ id: refreshTokens.id });
      return rows.length;
    },
  };
}
