import { eq, sql } from 'drizzle-orm';
import type { SettingsStore } from '../ports/index.ts';
import type { SkyfloDatabase } from './database.ts';
import { settings } from './schema.ts';

export function createSettingsStore(db: SkyfloDatabase): SettingsStore {
  return {
    async get(key) {
      const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
      return row?.value;
    },
    async put(key, value) {
      await db
        .insert(settings)
        .values({ key, value })
        .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: sql`now()` } });
    },
    async putIfAbsent(key, value) {
      await db.insert(settings).values({ key, value }).onConflictDoNothing();
      const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
      return row!.value;
    },
  };
}
