/**
 * POST /alerts/pagerduty — a PagerDuty v3 webhook subscription's endpoint (issue 39). Public (PagerDuty calls it): its
 * only authentication is the signature over the exact body received, checked before the body is parsed. A
 * triggered or reopened incident opens (or adds to) one read-only investigation owned by PAGERDUTY_RUN_AS; a
 * resolved one closes it; other events are acknowledged and ignored. Each event id is taken once: a captured
 * delivery sent again (a replay) does nothing.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { createAlertInvestigator } from '../../../app/alerts/alert-investigator.ts';
import { fromPagerDuty, pagerDutySignatureHeader, pagerDutyWebhookSchema, verifyPagerDutySignature } from '../../../app/alerts/pagerduty/pagerduty-webhook.ts';
import type { SettingsStore, UserStore } from '../../../platform/ports/index.ts';
import { jsonDepth, MAX_JSON_DEPTH } from '../../plugins/strict-json-body.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface PagerDutyRouteDeps {
  /** absent: PagerDuty is not configured (PAGERDUTY_WEBHOOK_SECRET / PAGERDUTY_RUN_AS unset) */
  config?: { webhookSecrets: string[]; runAs: string };
  investigator: ReturnType<typeof createAlertInvestigator>;
  users: Pick<UserStore, 'findByEmail'>;
  settings: Pick<SettingsStore, 'putIfAbsent'>;
}

const queueFullRetrySeconds = 30;

export const pagerDutyAlertRoutes: FastifyPluginAsync<PagerDutyRouteDeps> = async (app, deps) => {
  // In this plugin only: the exact bytes PagerDuty signed (the JSON parser would lose them).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post('/alerts/pagerduty', { config: { public: true } }, async (request, reply) => {
    const { config } = deps;
    if (!config) return reply.code(404).send({ status: 'ignored', detail: 'PagerDuty webhooks are not configured on this Skyflo: set PAGERDUTY_WEBHOOK_SECRET (the subscription\'s signing secret) and PAGERDUTY_RUN_AS (the account investigations belong to).' });
    const raw = typeof request.body === 'string' ? request.body : '';
    if (!verifyPagerDutySignature(config.webhookSecrets, request.headers[pagerDutySignatureHeader], raw)) {
      return reply.code(401).send({ status: 'refused', detail: 'The X-PagerDuty-Signature header does not match this body with the configured secret (PAGERDUTY_WEBHOOK_SECRET). Check the webhook subscription\'s secret.' });
    }
    if (jsonDepth(raw) > MAX_JSON_DEPTH) return reply.code(400).send({ status: 'refused', detail: `The body nests deeper than ${MAX_JSON_DEPTH} levels; no PagerDuty event does.` });
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return reply.code(400).send({ status: 'refused', detail: 'The body is not JSON.' });
    }
    // a subscription's test delivery carries no incident
    if ((body as { event?: { event_type?: unknown } } | null)?.event?.event_type === 'pagey.ping') return reply.code(200).send({ status: 'ignored', detail: 'Ping received; the subscription reaches Skyflo.' });
    const payload = parseInput(pagerDutyWebhookSchema, body);
    // one delivery per event id, whatever PagerDuty's retries or an attacker's replays send
    const marker = { at: new Date().toISOString(), delivery: randomUUID() };
    const winner = (await deps.settings.putIfAbsent(`alerts.pagerduty.event.${payload.event.id}`, marker)) as { delivery?: string } | undefined;
    if (winner?.delivery !== marker.delivery) return reply.code(200).send({ status: 'ignored', detail: `Event ${payload.event.id} was already received; it is not taken again.` });
    const group = fromPagerDuty(payload);
    if ('ignored' in group) return reply.code(202).send({ status: 'ignored', detail: group.ignored });
    const owner = await deps.users.findByEmail(config.runAs);
    if (!owner?.isActive) return reply.code(503).send({ status: 'refused', queued: false, detail: `PAGERDUTY_RUN_AS names ${owner ? 'a deactivated account' : 'no account'} (${config.runAs}); investigations need an active Skyflo account to belong to.` });
    const outcome = await deps.investigator.receive({ id: owner.id, email: owner.email, role: owner.role }, group, { ip: request.ip });
    if (outcome.status !== 'refused') return reply.code(202).send(outcome);
    return reply.code(429).header('retry-after', String(queueFullRetrySeconds)).send(outcome);
  });
};
