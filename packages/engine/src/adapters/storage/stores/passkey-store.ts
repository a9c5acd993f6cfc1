import { and, asc, eq, or, sql } from 'drizzle-orm';
import type { PasskeyRecord, PasskeyStore } from '../../../platform/ports/index.ts';
import type { SkyfloDatabase } from '../database.ts';
import { passkeys } from '../schema.ts';

type Row = typeof passkeys.$inferSelect;

const toRecord = (row: Row): PasskeyRecord => ({
  id: row.id,
  userId: row.userId,
  name: row.name,
  credentialId: row.credentialId,
  publicKey: row.publicKey,
  counter: Number(row.counter),
  transports: row.transports,
  createdAt: row.createdAt,
  ...(row.lastUsedAt ? { lastUsedAt: row.lastUsedAt } : {}),
});

export function createPasskeyStore(db: SkyfloDatabase): PasskeyStore {
  return {
    async insert(input) {
      const [row] = await db.insert(passkeys).values(input).returning();
      return toRecord(row!);
    },
    async listForUser(userId) {
      return (await db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt))).map(toRecord);
    },
    async findByCredentialId(credentialId) {
      const [row] = await db.select().from(passkeys).where(eq(passkeys.credentialId, credentialId));
      return row ? toRecord(row) : undefined;
    },
    async remove({ id, userId }) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [row] = await db.delete(passkeys).where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))).returning();
      return row ? toRecord(row) : undefined;
    },
    async advanceCounter({ id, expected, next, at }) {
      // Forward only, and only from the value the verification read: two approvals racing with one assertion's
      // counter cannot both move it.
      const forward = or(sql`${next} > ${passkeys.counter}`, and(sql`${next} = 0`, eq(passkeys.counter, 0)));
      const rows = await db
        .update(passkeys)
        .set({ counter: next, lastUsedAt: at })
        .where(and(eq(passkeys.id, id), eq(passkeys.counter, expected), forward))
        .returning({ id: passkeys.id });
      return rows.length > 0;
    },
  };
}
