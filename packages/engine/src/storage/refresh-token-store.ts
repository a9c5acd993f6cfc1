import { and, eq, isNull } from 'drizzle-orm';
import type { RefreshTokenRecord, RefreshTokenStore } from '../ports/index.ts';
import type { SkyfloDatabase } from './database.ts';
import { refreshTokens } from './schema.ts';

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
  };
}

export function createRefreshTokenStore(db: SkyfloDatabase): RefreshTokenStore {
  const live = and(isNull(refreshTokens.rotatedAt), isNull(refreshTokens.revokedAt));
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
