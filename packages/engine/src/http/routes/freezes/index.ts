/**
 * Change freezes (issue 76):
 *   GET    /freezes               → {data: Freeze[]} with `active_until` (any signed-in person: everyone should know)
 *   POST   /freezes FreezeInput   → 201 Freeze (admin only, audited: freeze.created)
 *   PUT    /freezes/:id FreezeInput → Freeze (admin only, audited: freeze.changed)
 *   DELETE /freezes/:id           → 204 (admin only, audited: freeze.deleted)
 * A member or an approver changing one gets 403; nobody signed out gets past authentication (401); API tokens cannot
 * reach these routes (api-token-scopes.ts lists none).
 */
import { freezeInputSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FreezeError, type FreezeService } from '../../../domain/freezes/freeze-service.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface FreezeRouteDeps {
  freezes: FreezeService;
}

const idParamsSchema = z.object({ id: z.uuid('id must be a freeze id (UUID)') });

const adminOnly = (request: FastifyRequest, reply: FastifyReply): boolean => {
  if (request.user.role === 'admin') return true;
  void reply.code(403).send({ detail: 'Only admins can change freezes.', code: 'FORBIDDEN' });
  return false;
};

const refused = (reply: FastifyReply, error: unknown) => {
  if (!(error instanceof FreezeError)) throw error;
  return reply.code(error.statusCode).send({ detail: error.message, code: error.code });
};

export const freezeRoutes: FastifyPluginAsync<FreezeRouteDeps> = async (app, deps) => {
  app.get('/freezes', async () => ({ data: await deps.freezes.list() }));

  app.post('/freezes', async (request, reply) => {
    if (!adminOnly(request, reply)) return reply;
    const input = parseInput(freezeInputSchema, request.body);
    try {
      return reply.code(201).send(await deps.freezes.create({ id: request.user.id, ip: request.ip }, input));
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.put('/freezes/:id', async (request, reply) => {
    if (!adminOnly(request, reply)) return reply;
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    const input = parseInput(freezeInputSchema, request.body);
    try {
      return await deps.freezes.update({ id: request.user.id, ip: request.ip }, id, input);
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.delete('/freezes/:id', async (request, reply) => {
    if (!adminOnly(request, reply)) return reply;
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    try {
      await deps.freezes.remove({ id: request.user.id, ip: request.ip }, id);
      return reply.code(204).send();
    } catch (error) {
      return refused(reply, error);
    }
  });
};
