/**
 * Alerts in (issue 24); an API token needs the alerts:write scope:
 *   POST /alerts/alertmanager  Alertmanager's webhook payload → 202 AlertOutcome
 *   POST /alerts               {title, description?, labels?, status?} → 202 AlertOutcome
 * A firing group opens (or adds to) one investigation conversation owned by the caller; `resolved` closes the caller's
 * own. 429 with `queued: false` when the investigation queue is full (ALERT_QUEUE_LIMIT) or the caller opened too many
 * conversations this minute (CONVERSATIONS_PER_MINUTE): nothing was opened or queued. A repeat of an open group with
 * the same alerts firing is never refused: it queues nothing (a line on the investigation).
 *
 * Never a 4xx for a group's size (issue 78 item 8): Alertmanager does not retry a 4xx, so a refused group is lost. The
 * Alertmanager route takes bodies up to `alertmanagerBodyLimitBytes` (16 MiB, some ten thousand alerts) whatever
 * BODY_LIMIT_BYTES says, and any number of alerts (the first 100 are told and shown, the rest counted); past that
 * it still stops reading at the limit (issue 74), and Alertmanager's webhook_config max_alerts keeps groups under it. Alertmanager 0.25 does not retry a 429 either and
 * ignores Retry-After: the notification is sent again at the group's next group_interval (docs/metrics-and-logs.md).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { alertmanagerPayloadSchema, fromAlertmanager, fromGeneric, genericAlertSchema, type AlertGroup } from '../../../app/alerts/alert-payloads.ts';
import type { createAlertInvestigator } from '../../../app/alerts/alert-investigator.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface AlertRouteDeps {
  investigator: ReturnType<typeof createAlertInvestigator>;
}

/** What a refused alert's sender is told to wait (Alertmanager ignores it and resends at its next group_interval). */
const queueFullRetrySeconds = 30;

/** A group of thousands of alerts with long annotations: several MB. Authentication runs before the body is read. */
export const alertmanagerBodyLimitBytes = 16 * 1024 * 1024;

export const alertRoutes: FastifyPluginAsync<AlertRouteDeps> = async (app, { investigator }) => {
  const receive = async (request: FastifyRequest, reply: FastifyReply, group: AlertGroup) => {
    try {
      const outcome = await investigator.receive(request.user, group, { ip: request.ip, admitConversation: async () => app.conversationQuota?.(request, reply) });
      if (outcome.status !== 'refused') return reply.code(202).send(outcome);
      return reply.code(429).header('retry-after', String(queueFullRetrySeconds)).send(outcome);
    } catch (error) {
      // the conversation quota (its Retry-After is set): answered in the shape of a refused alert
      if (error instanceof HttpError && error.statusCode === 429) return reply.code(429).send({ status: 'refused', queued: false, detail: error.message, code: error.code });
      throw error;
    }
  };
  app.post('/alerts/alertmanager', { bodyLimit: alertmanagerBodyLimitBytes }, async (request, reply) => receive(request, reply, fromAlertmanager(parseInput(alertmanagerPayloadSchema, request.body))));
  app.post('/alerts', async (request, reply) => receive(request, reply, fromGeneric(parseInput(genericAlertSchema, request.body))));
};
