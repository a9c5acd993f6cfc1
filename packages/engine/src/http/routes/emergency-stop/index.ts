/**
 * The emergency stop (issue 76):
 *   GET    /emergency-stop          → its state (any signed-in person: the Command Center shows it on every page)
 *   POST   /emergency-stop {reason} → engages it (admin only, audited: emergency_stop.engaged)
 *   DELETE /emergency-stop          → lifts it (admin only, audited: emergency_stop.lifted)
 * A member or an approver changing it gets 403; nobody signed out gets past authentication (401); API tokens cannot
 * reach these routes (api-token-scopes.ts lists none). `skyflo stop-all` calls POST (and DELETE with --lift).
 */
import { emergencyStopRequestSchema, type EmergencyStopStateView } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { StopDeclaredInCluster, type EmergencyStop, type EmergencyStopState } from '../../../domain/emergency-stop/emergency-stop.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface EmergencyStopRouteDeps {
  emergencyStop: EmergencyStop;
}

export const emergencyStopView = (state: EmergencyStopState | undefined): EmergencyStopStateView =>
  state ? { active: true, reason: state.reason, by: state.by.email, since: state.since.toISOString() } : { active: false };

export const emergencyStopRoutes: FastifyPluginAsync<EmergencyStopRouteDeps> = async (app, { emergencyStop }) => {
  const adminOnly = { detail: 'Only admins can engage or lift the emergency stop.', code: 'FORBIDDEN' };

  app.get('/emergency-stop', async () => emergencyStopView(await emergencyStop.state()));

  app.post('/emergency-stop', async (request, reply) => {
    if (request.user.role !== 'admin') return reply.code(403).send(adminOnly);
    const { reason } = parseInput(emergencyStopRequestSchema, request.body);
    return emergencyStopView(await emergencyStop.engage({ id: request.user.id, email: request.user.email, ip: request.ip }, reason));
  });

  app.delete('/emergency-stop', async (request, reply) => {
    if (request.user.role !== 'admin') return reply.code(403).send(adminOnly);
    // a stop the cluster declares is lifted there, never here (409 MANAGED_BY_DECLARATION names the kubectl command);
    // what is answered is the state after the lift (still on while the cluster declares it)
    let lifted: boolean;
    try {
      lifted = await emergencyStop.lift({ id: request.user.id, email: request.user.email, ip: request.ip });
    } catch (error) {
      if (error instanceof StopDeclaredInCluster) return reply.code(409).send({ detail: error.message, code: error.code });
      throw error;
    }
    return { ...emergencyStopView(await emergencyStop.state()), lifted };
  });
};
