import { asc, eq, sql } from 'drizzle-orm';
import type { IntegrationRecord, IntegrationStore } from '../../../platform/ports/index.ts';
import type { SkyfloDatabase } from '../database.ts';
import { integrations } from '../schema.ts';
import { preparedOnce } from '../rendered-statements.ts';

type Row = typeof integrations.$inferSelect;

function toRecord(row: Row): IntegrationRecord {
  return {
    id: row.id,
    provider: row.provider as IntegrationRecord['provider'],
    name: row.name,
    apiUrl: row.apiUrl,
    username: row.username,
    credentialsSealed: row.credentialsSealed,
    tokenLast4: row.tokenLast4,
    status: row.status as IntegrationRecord['status'],
    ...(row.cluster ? { cluster: row.cluster } : {}),
    ...(row.grafanaUrl ? { grafanaUrl: row.grafanaUrl } : {}),
    ...(row.orgId ? { orgId: row.orgId } : {}),
    ...(row.createdBy ? { createdBy: row.createdBy } : {}),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function createIntegrationStore(db: SkyfloDatabase): IntegrationStore {
  // Listed on every model turn and gate step (the observability sources they offer): rendered once, not per read.
  const all = preparedOnce(() => db.select().from(integrations).orderBy(asc(integrations.createdAt), asc(integrations.id)));
  return {
    async list() {
      return ((await all().execute()) as Array<typeof integrations.$inferSelect>).map(toRecord);
    },
    async get(id) {
      const [row] = await db.select().from(integrations).where(eq(integrations.id, id));
      return row ? toRecord(row) : undefined;
    },
    async create(input) {
      const [row] = await db
        .insert(integrations)
        .values({ ...input, createdBy: input.createdBy ?? null })
        .returning();
      return toRecord(row!);
    },
    async update(id, patch) {
      const [row] = await db
        .update(integrations)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(integrations.id, id))
        .returning();
      return row ? toRecord(row) : undefined;
    },
    async remove(id) {
      const deleted = await db.delete(integrations).where(eq(integrations.id, id)).returning({ id: integrations.id });
      return deleted.length > 0;
    },
  };
}
