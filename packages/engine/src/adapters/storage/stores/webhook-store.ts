import { asc, desc, eq, sql } from 'drizzle-orm';
import type { WebhookDeliveryRecord, WebhookRecord, WebhookStore } from '../../../platform/ports/index.ts';
import type { SkyfloDatabase } from '../database.ts';
import { webhookDeliveries, webhooks } from '../schema.ts';
import { preparedOnce } from '../rendered-statements.ts';

type WebhookRow = typeof webhooks.$inferSelect;
type DeliveryRow = typeof webhookDeliveries.$inferSelect;

function toWebhook(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    events: row.events,
    secretSealed: row.secretSealed,
    secretLast4: row.secretLast4,
    status: row.status as WebhookRecord['status'],
    ...(row.createdBy ? { createdBy: row.createdBy } : {}),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toDelivery(row: DeliveryRow): WebhookDeliveryRecord {
  return {
    id: row.id,
    integrationId: row.integrationId,
    event: row.event,
    body: row.body,
    status: row.status as WebhookDeliveryRecord['status'],
    attempts: row.attempts,
    ...(row.responseStatus !== null ? { responseStatus: row.responseStatus } : {}),
    ...(row.lastError !== null ? { lastError: row.lastError } : {}),
    createdAt: row.createdAt,
    ...(row.deliveredAt ? { deliveredAt: row.deliveredAt } : {}),
  };
}

export function createWebhookStore(db: SkyfloDatabase): WebhookStore {
  // Listed for every team event (each run's end): rendered once, not per event.
  const all = preparedOnce(() => db.select().from(webhooks).orderBy(asc(webhooks.createdAt), asc(webhooks.id)));
  return {
    async list() {
      return ((await all().execute()) as Array<typeof webhooks.$inferSelect>).map(toWebhook);
    },
    async get(id) {
      const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id));
      return row ? toWebhook(row) : undefined;
    },
    async create(input) {
      const [row] = await db
        .insert(webhooks)
        .values({ ...input, createdBy: input.createdBy ?? null })
        .returning();
      return toWebhook(row!);
    },
    async update(id, patch) {
      const [row] = await db
        .update(webhooks)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(webhooks.id, id))
        .returning();
      return row ? toWebhook(row) : undefined;
    },
    async remove(id) {
      return (await db.delete(webhooks).where(eq(webhooks.id, id)).returning({ id: webhooks.id })).length > 0;
    },
    deliveries: {
      async create(input) {
        const [row] = await db.insert(webhookDeliveries).values(input).returning();
        return toDelivery(row!);
      },
      async recordAttempt(id, outcome) {
        const [row] = await db
          .update(webhookDeliveries)
          .set({
            status: outcome.status,
            attempts: sql`${webhookDeliveries.attempts} + 1`,
            responseStatus: outcome.responseStatus ?? null,
            lastError: outcome.error ?? null,
            ...(outcome.status === 'delivered' ? { deliveredAt: new Date() } : {}),
          })
          .where(eq(webhookDeliveries.id, id))
          .returning();
        return row ? toDelivery(row) : undefined;
      },
      async listForIntegration(integrationId, limit) {
        return (await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.integrationId, integrationId)).orderBy(desc(webhookDeliveries.createdAt)).limit(limit)).map(toDelivery);
      },
    },
  };
}
