/**
 * Outgoing webhooks as integrations (provider "webhook"): admins add, change, disable and delete them; everyone
 * signed in may list them (never the secret). The signing secret is sealed with the engine's key, bound to the
 * webhook's id and URL; the URL follows the Jenkins rules (no link-local or cloud metadata address, by name or by
 * what it resolves to). Every change is in the audit trail.
 */
import { randomUUID } from 'node:crypto';
import type { CreateWebhookRequest, UpdateWebhookRequest, WebhookDelivery, WebhookIntegration } from '@skyflo/protocol';
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import type { AuditLog, AuthenticatedUser, WebhookDeliveryRecord, WebhookRecord, WebhookStore } from '../../../platform/ports/index.ts';
import { existingIntegration, IntegrationError, requireIntegrationAdmin } from '../integration-service.ts';
import type { CheckIntegrationUrl } from '../integration-url-guard.ts';

export const webhookSealContext = (id: string, url: string) => `webhook:${id}:${url}`;

export function toWebhookIntegration(record: WebhookRecord): WebhookIntegration {
  return {
    id: record.id,
    provider: 'webhook',
    name: record.name,
    metadata: { url: record.url, events: record.events },
    status: record.status,
    credentials: { set: true, secret_last4: record.secretLast4 },
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
  };
}

export function toWebhookDelivery(record: WebhookDeliveryRecord): WebhookDelivery {
  return {
    id: record.id,
    integration_id: record.integrationId,
    event: record.event,
    status: record.status,
    attempts: record.attempts,
    response_status: record.responseStatus ?? null,
    last_error: record.lastError ?? null,
    created_at: record.createdAt.toISOString(),
    delivered_at: record.deliveredAt?.toISOString() ?? null,
  };
}

export interface WebhookServiceDeps {
  store: WebhookStore;
  secretBox: SecretBox;
  audit: AuditLog;
  checkUrl: CheckIntegrationUrl;
}

export type WebhookService = ReturnType<typeof createWebhookService>;

export function createWebhookService(deps: WebhookServiceDeps) {
  const requireAdmin = requireIntegrationAdmin;
  const find = (id: string) => existingIntegration(deps.store, id);
  const record = (actor: AuthenticatedUser, action: string, webhook: WebhookRecord, ip?: string, extra: Record<string, unknown> = {}) =>
    deps.audit.record({ actorId: actor.id, action, subjectType: 'integration', subjectId: webhook.id, details: { provider: 'webhook', name: webhook.name, url: webhook.url, events: webhook.events, ...extra }, ...(ip ? { ip } : {}) });

  return {
    has: async (id: string) => (await deps.store.get(id)) !== undefined,
    list: async (): Promise<WebhookIntegration[]> => (await deps.store.list()).map(toWebhookIntegration),

    async create(actor: AuthenticatedUser, input: CreateWebhookRequest, ip?: string): Promise<WebhookIntegration> {
      requireAdmin(actor);
      const refusal = await deps.checkUrl(input.metadata.url);
      if (refusal) throw new IntegrationError('INVALID_URL', `${refusal}; use the address of your webhook receiver.`, 400);
      const id = randomUUID();
      const created = await deps.store.create({
        id,
        name: input.name,
        url: input.metadata.url,
        events: [...new Set(input.metadata.events)],
        secretSealed: deps.secretBox.seal(input.credentials.secret, webhookSealContext(id, input.metadata.url)),
        secretLast4: input.credentials.secret.slice(-4),
        status: 'active',
        createdBy: actor.id,
      });
      await record(actor, 'integration.created', created, ip);
      return toWebhookIntegration(created);
    },

    async update(actor: AuthenticatedUser, id: string, input: UpdateWebhookRequest, ip?: string): Promise<WebhookIntegration> {
      requireAdmin(actor);
      await find(id);
      const updated = await deps.store.update(id, { ...(input.name ? { name: input.name } : {}), ...(input.metadata ? { events: [...new Set(input.metadata.events)] } : {}), ...(input.status ? { status: input.status } : {}) });
      await record(actor, 'integration.updated', updated!, ip);
      return toWebhookIntegration(updated!);
    },

    async remove(actor: AuthenticatedUser, id: string, ip?: string): Promise<void> {
      requireAdmin(actor);
      const existing = await find(id);
      await deps.store.remove(id);
      await record(actor, 'integration.deleted', existing, ip);
    },

    async deliveries(id: string, limit = 50): Promise<WebhookDelivery[]> {
      await find(id);
      return (await deps.store.deliveries.listForIntegration(id, limit)).map(toWebhookDelivery);
    },
  };
}
