import { and, asc, eq } from 'drizzle-orm';
import type { DeviceKeyRecord, DeviceKeyStore } from '../../../platform/ports/index.ts';
import type { SkyfloDatabase } from '../database.ts';
import { deviceKeys } from '../schema.ts';

type Row = typeof deviceKeys.$inferSelect;

const toRecord = (row: Row): DeviceKeyRecord => ({
  id: row.id,
  userId: row.userId,
  name: row.name,
  publicKey: row.publicKey,
  fingerprint: row.fingerprint,
  status: row.status,
  ...(row.confirmedWith ? { confirmedWith: row.confirmedWith } : {}),
  createdAt: row.createdAt,
  ...(row.confirmedAt ? { confirmedAt: row.confirmedAt } : {}),
});

const isUuid = (id: string) => /^[0-9a-f-]{36}$/i.test(id);

export function createDeviceKeyStore(db: SkyfloDatabase): DeviceKeyStore {
  return {
    async insert(input) {
      const [row] = await db.insert(deviceKeys).values(input).returning();
      return toRecord(row!);
    },
    async get(id) {
      if (!isUuid(id)) return undefined;
      const [row] = await db.select().from(deviceKeys).where(eq(deviceKeys.id, id));
      return row ? toRecord(row) : undefined;
    },
    async listForUser(userId) {
      return (await db.select().from(deviceKeys).where(eq(deviceKeys.userId, userId)).orderBy(asc(deviceKeys.createdAt))).map(toRecord);
    },
    async activate({ id, userId, confirmedWith, at }) {
      if (!isUuid(id)) return undefined;
      const [row] = await db
        .update(deviceKeys)
        .set({ status: 'active', confirmedWith, confirmedAt: at })
        .where(and(eq(deviceKeys.id, id), eq(deviceKeys.userId, userId), eq(deviceKeys.status, 'pending')))
        .returning();
      return row ? toRecord(row) : undefined;
    },
    async remove({ id, userId }) {
      if (!isUuid(id)) return undefined;
      const [row] = await db.delete(deviceKeys).where(and(eq(deviceKeys.id, id), eq(deviceKeys.userId, userId))).returning();
      return row ? toRecord(row) : undefined;
    },
  };
}
