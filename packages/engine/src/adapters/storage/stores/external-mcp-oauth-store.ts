/** Issue 77 item 3: an external MCP server's sealed OAuth credentials per authorization server (see schema.ts). */
import { and, desc, eq, lte, sql } from 'drizzle-orm';
import type { ExternalMcpOauthRecord, ExternalMcpOauthStore } from '../../../platform/ports/index.ts';
import type { SkyfloDatabase } from '../database.ts';
import { externalMcpOauthCredentials as table, externalMcpOauthSignIns as signIns } from '../schema.ts';

const toRecord = (row: typeof table.$inferSelect): ExternalMcpOauthRecord => ({
  serverId: row.serverId,
  issuer: row.issuer,
  ...(row.clientSealed ? { clientSealed: row.clientSealed } : {}),
  ...(row.tokensSealed ? { tokensSealed: row.tokensSealed } : {}),
  updatedAt: row.updatedAt,
});

export function createExternalMcpOauthStore(db: SkyfloDatabase): ExternalMcpOauthStore {
  return {
    async get(serverId, issuer) {
      const [row] = await db.select().from(table).where(and(eq(table.serverId, serverId), eq(table.issuer, issuer)));
      return row ? toRecord(row) : undefined;
    },
    async list(serverId) {
      return (await db.select().from(table).where(eq(table.serverId, serverId)).orderBy(desc(table.updatedAt))).map(toRecord);
    },
    async put(serverId, issuer, values) {
      const set: Partial<typeof table.$inferInsert> = {};
      if (values.clientSealed !== undefined) set.clientSealed = values.clientSealed;
      if (values.tokensSealed !== undefined) set.tokensSealed = values.tokensSealed;
      await db
        .insert(table)
        .values({ serverId, issuer, ...set })
        .onConflictDoUpdate({ target: [table.serverId, table.issuer], set: { ...set, updatedAt: sql`now()` } });
    },
    async removeServer(serverId) {
      await db.delete(table).where(eq(table.serverId, serverId));
      await db.delete(signIns).where(eq(signIns.serverId, serverId));
    },
    async putSignIn(signIn) {
      await db.delete(signIns).where(lte(signIns.expiresAt, new Date()));
      await db.insert(signIns).values(signIn);
    },
    async takeSignIn(stateHash) {
      const [row] = await db.delete(signIns).where(eq(signIns.stateHash, stateHash)).returning();
      return row;
    },
  };
}
