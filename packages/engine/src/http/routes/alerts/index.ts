/**
 * Alerts in (issue 24); an API token needs the alerts:write scope:
 *   POST /alerts/alertmanager  Alertmanager's webhook payload → 202 AlertOutcome
 *   POST /alerts               {title, description?, labels?, status?} → 202 AlertOutcome
 * A firing group opens (or adds to) one investigation conversation owned by the caller; `resolved` closes it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { alertmanagerPayloadSchema, fromAlertmanager, fromGeneric, genericAlertSchema } from '../../../alerts/alert-payloads.ts';
import type { createAlertInvestigator } from '../../../alerts/alert-investigator.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface AlertRouteDeps {
  investigator: ReturnType<typeof createAlertInvestigator>;
}

export const alertRoutes: FastifyPluginAsync<AlertRouteDeps> = async (app, { investigator }) => {
  app.post('/alerts/alertmanager', async (request, reply) => {
    const payload = parseInput(alertmanagerPayloadSchema, request.body);
    return reply.code(202).send(await investigator.receive(request.user, fromAlertmanager(payload), request.ip));
  });
  app.post('/alerts', async (request, reply) => {
    const alert = parseInput(genericAlertSchema, request.body);
    return reply.code(202).send(await investigator.receive(request.user, fromGeneric(alert), request.ip));
  });
};
