import { and, eq, inArray, sql } from 'drizzle-orm';
import type { ExpiringSettings, SettingsStore } from '../../../platform/ports/index.ts';
import type { SkyfloDatabase } from '../database.ts';
import { settings } from '../schema.ts';
import { preparedOnce, slot } from '../rendered-statements.ts';

export function createSettingsStore(db: SkyfloDatabase): SettingsStore & ExpiringSettings {
  // Read several times by every chat (runbooks, integrations, the emergency stop): rendered once, not per read.
  const valueOf = preparedOnce(() => db.select({ value: settings.value }).from(settings).where(eq(settings.key, slot('key'))));
  return {
    async get(key) {
      const [row] = (await valueOf().execute({ key })) as Array<{ value: unknown }>;
      return row?.value;
    },
    async put(key, value) {
      // null is stored as JSON null (Slack and Teams are disconnected that way): as a bare value the driver sent SQL
      // NULL, which the column refuses, and removing either integration answered 500
      const stored = value === null ? sql`'null'::jsonb` : value;
      await db
        .insert(settings)
        .values({ key, value: stored })
        .onConflictDoUpdate({ target: settings.key, set: { value: stored, updatedAt: sql`now()` } });
    },
    async putIfAbsent(key, value) {
      await db.insert(settings).values({ key, value }).onConflictDoNothing();
      const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
      return row!.value;
    },
    async removeKeysBefore(prefix, before, limit) {
      // COLLATE "C": bytewise order, so zero-padded times compare as numbers whatever the database's locale
      const expired = db
        .select({ key: settings.key })
        .from(settings)
        .where(and(sql`left(${settings.key}, ${prefix.length}) = ${prefix}`, sql`${settings.key} COLLATE "C" < ${before}`))
        .limit(limit);
      const removed = await db.delete(settings).where(inArray(settings.key, expired)).returning({ key: settings.key });
      return removed.length;
    },
  };
}
