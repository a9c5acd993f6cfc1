/**
 * Policies as code (issue 76). Admins only — a member or an approver is refused 403, an API token cannot reach these
 * routes (api-token-scopes.ts lists none), nobody signed out gets past authentication (401):
 *   GET    /policies                → {data: Policy[]}
 *   POST   /policies  PolicyInput   → 201 Policy (audited: policy.created)
 *   PUT    /policies/:id PolicyInput → Policy, version + 1 (audited: policy.changed)
 *   DELETE /policies/:id            → 204 (audited: policy.deleted)
 *   POST   /policies/evaluate {expression, effect, limit} → what the draft would have done to the last `limit` calls
 * A broken expression answers 400 {detail, code: INVALID_EXPRESSION, message, position: {offset, line, column}}.
 */
import { policyEvaluateRequestSchema, policyInputSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { PolicyError, type PolicyService } from '../../../domain/policies/policy-service.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface PolicyRouteDeps {
  policies: PolicyService;
}

const idParamsSchema = z.object({ id: z.uuid('id must be a policy id (UUID)') });

const adminOnly = (request: FastifyRequest, reply: FastifyReply): boolean => {
  if (request.user.role === 'admin') return true;
  void reply.code(403).send({ detail: 'Only admins can read or change policies.', code: 'FORBIDDEN' });
  return false;
};

const refused = (reply: FastifyReply, error: unknown) => {
  if (!(error instanceof PolicyError)) throw error;
  return reply.code(error.statusCode).send({ detail: error.message, code: error.code, ...(error.problem ? { message: error.problem.message, ...(error.problem.position ? { position: error.problem.position } : {}) } : {}) });
};

export const policyRoutes: FastifyPluginAsync<PolicyRouteDeps> = async (app, deps) => {
  app.get('/policies', async (request, reply) => {
    if (!adminOnly(request, reply)) return reply;
    return { data: await deps.policies.list() };
  });

  app.post('/policies', async (request, reply) => {
    if (!adminOnly(request, reply)) return reply;
    const input = parseInput(policyInputSchema, request.body);
    try {
      return reply.code(201).send(await deps.policies.create({ id: request.user.id, ip: request.ip }, input));
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.post('/policies/evaluate', async (request, reply) => {
    if (!adminOnly(request, reply)) return reply;
    const draft = parseInput(policyEvaluateRequestSchema, request.body);
    try {
      return await deps.policies.evaluate(draft);
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.put('/policies/:id', async (request, reply) => {
    if (!adminOnly(request, reply)) return reply;
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    const input = parseInput(policyInputSchema, request.body);
    try {
      return await deps.policies.update({ id: request.user.id, ip: request.ip }, id, input);
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.delete('/policies/:id', async (request, reply) => {
    if (!adminOnly(request, reply)) return reply;
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    try {
      await deps.policies.remove({ id: request.user.id, ip: request.ip }, id);
      return reply.code(204).send();
    } catch (error) {
      return refused(reply, error);
    }
  });
};
