/**
 * Delivers team events to the outgoing webhooks that subscribed to them: one delivery row per (webhook, event), then
 * POSTs of the JSON body signed with the webhook's secret (webhook-signature.ts), retried with exponential back-off
 * until a 2xx or the last attempt; each attempt's outcome is recorded on the row, and the final one in the audit
 * trail. The URL is re-checked before every attempt (no link-local or metadata address, also after DNS changes), the
 * connection goes only to an address that check accepts (integration-egress.ts: no DNS rebinding) and redirects are
 * not followed, so a delivery cannot be bounced to the cloud's metadata service.
 */
import { randomUUID } from 'node:crypto';
import type { AuditLog, WebhookRecord, WebhookStore } from '../../../platform/ports/index.ts';
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import type { TeamEventSink, TeamEvent } from '../../team-events/team-event.ts';
import { IntegrationUrlRefusedError } from '../integration-egress.ts';
import { signWebhookBody } from './webhook-signature.ts';
import { webhookSealContext } from './webhook-service.ts';

export interface WebhookSinkDeps {
  store: WebhookStore;
  secretBox: SecretBox;
  audit: AuditLog;
  /** the pinned fetch of integration-egress.ts: checks the URL, then connects only to addresses the guard accepts */
  fetch: typeof fetch;
  /** attempts per delivery (default 5) */
  maxAttempts?: number;
  /** first retry delay; doubles after each failure (default 1 s) */
  baseDelayMs?: number;
  timeoutMs?: number;
  logger?: { error(object: unknown, message?: string): void };
}

export interface WebhookSink extends TeamEventSink {
  /** resolves when every delivery started so far has finished (delivered or given up) */
  idle(): Promise<void>;
  /** no new deliveries, no more retries (a delivery that had retries left stays `failed` with what it got) */
  close(): Promise<void>;
}

export function createWebhookSink(deps: WebhookSinkDeps): WebhookSink {
  const maxAttempts = deps.maxAttempts ?? 5;
  const baseDelayMs = deps.baseDelayMs ?? 1_000;
  const inFlight = new Set<Promise<void>>();
  let closed = false;
  let wakeSleepers: Array<() => void> = [];
  const backOff = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wakeSleepers.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });

  async function attempt(webhook: WebhookRecord, secret: string, deliveryId: string, event: string, body: string): Promise<{ ok: boolean; responseStatus?: number; error?: string; final?: boolean }> {
    try {
      const response = await deps.fetch(webhook.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
        headers: { 'content-type': 'application/json', 'user-agent': 'Skyflo-Webhooks/1', 'x-skyflo-event': event, 'x-skyflo-delivery': deliveryId, 'x-skyflo-signature': signWebhookBody(secret, body) },
      });
      await response.body?.cancel().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? { ok: true, responseStatus: response.status } : { ok: false, responseStatus: response.status, error: `HTTP ${response.status}` };
    } catch (error) {
      // A refused URL, or a name that resolves to a forbidden address by now: final, retrying cannot help.
      if (error instanceof IntegrationUrlRefusedError) return { ok: false, error: error.message, final: true };
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  async function deliver(webhook: WebhookRecord, event: TeamEvent): Promise<void> {
    const secret = deps.secretBox.open(webhook.secretSealed, webhookSealContext(webhook.id, webhook.url));
    const deliveryId = randomUUID();
    const body = JSON.stringify({ id: deliveryId, event: event.type, at: new Date(event.at).toISOString(), data: event });
    // the body is stored as sent (display-form arguments only), for the integration's page
    const delivery = await deps.store.deliveries.create({ id: deliveryId, integrationId: webhook.id, event: event.type, body });
    let outcome: Awaited<ReturnType<typeof attempt>> = { ok: false };
    let attempts = 0;
    for (attempts = 1; attempts <= maxAttempts; attempts += 1) {
      outcome = await attempt(webhook, secret, delivery.id, event.type, body);
      const last = outcome.ok || outcome.final || attempts === maxAttempts || closed;
      await deps.store.deliveries.recordAttempt(delivery.id, {
        status: outcome.ok ? 'delivered' : last ? 'failed' : 'pending',
        ...(outcome.responseStatus !== undefined ? { responseStatus: outcome.responseStatus } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
      });
      if (last) break;
      await backOff(baseDelayMs * 2 ** (attempts - 1));
    }
    await deps.audit.record({
      action: outcome.ok ? 'webhook.delivered' : 'webhook.failed',
      subjectType: 'webhook_delivery',
      subjectId: delivery.id,
      conversationId: event.conversation_id,
      details: { webhook_id: webhook.id, webhook_name: webhook.name, event: event.type, attempts: Math.min(attempts, maxAttempts), response_status: outcome.responseStatus ?? null, ...(outcome.error ? { error: outcome.error } : {}), conversation_id: event.conversation_id, ...(event.call_id ? { call_id: event.call_id } : {}) },
    });
  }

  return {
    name: 'webhooks',
    async deliver(event) {
      if (closed) return;
      const targets = (await deps.store.list()).filter((webhook) => webhook.status === 'active' && webhook.events.includes(event.type));
      for (const webhook of targets) {
        // Retries take seconds to minutes: they run beside the run, never holding up its notifications.
        const work: Promise<void> = deliver(webhook, event)
          .catch((error: unknown) => deps.logger?.error({ err: error, webhook: webhook.id }, 'a webhook delivery failed to run'))
          .finally(() => inFlight.delete(work));
        inFlight.add(work);
      }
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    async close() {
      closed = true;
      for (const wake of wakeSleepers.splice(0)) wake();
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
