import { and, desc, eq, isNull } from 'drizzle-orm';
import type { ApiTokenRecord, ApiTokenStore } from '../../../platform/ports/index.ts';
import type { SkyfloDatabase } from '../database.ts';
import { apiTokens } from '../schema.ts';

type Row = typeof apiTokens.$inferSelect;

function toRecord(row: Row): ApiTokenRecord {
  return {
    id: row.id,
    userId: row.userId,
    name: row.name,
    tokenHash: row.tokenHash,
    prefix: row.prefix,
    scopes: row.scopes,
    expiresAt: row.expiresAt,
    ...(row.lastUsedAt ? { lastUsedAt: row.lastUsedAt } : {}),
    ...(row.revokedAt ? { revokedAt: row.revokedAt } : {}),
    createdAt: row.createdAt,
  };
}

export function createApiTokenStore(db: SkyfloDatabase): ApiTokenStore {
  return {
    async insert(input) {
      const [row] = await db.insert(apiTokens).values(input).returning();
      return toRecord(row!);
    },
    async findByHash(tokenHash) {
      const [row] = await db.select().from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash));
      return row ? toRecord(row) : undefined;
    },
    async listForUser(userId) {
      return (await db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt))).map(toRecord);
    },
    async revoke({ id, userId }) {
      const [row] = await db
        .update(apiTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .returning();
      return row ? toRecord(row) : undefined;
    },
    async touch(id, at) {
      await db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id));
    },
  };
}
