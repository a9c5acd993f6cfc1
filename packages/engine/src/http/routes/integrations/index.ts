/**
 * Integrations (spec §1). Every signed-in user may list them (metadata only; never a credential); only admins
 * change them, and every create or credential/URL change is checked against Jenkins before it is saved:
 *   GET    /integrations            → Integration[]
 *   POST   /integrations            → 201 Integration | 400 naming what Jenkins said | 409 one is already active
 *   PATCH  /integrations/:id        → Integration
 *   DELETE /integrations/:id        → 204
 *   POST   /integrations/:id/test   → { ok, latency_ms, user? , error? }
 */
import { createIntegrationRequestSchema, updateIntegrationRequestSchema, type IntegrationTestResult } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { IntegrationError, type IntegrationService } from '../../../integrations/integration-service.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface IntegrationRouteDeps {
  integrations: IntegrationService;
}

const idParamsSchema = z.object({ id: z.uuid('id must be an integration id (UUID) from GET /integrations') });

export const integrationRoutes: FastifyPluginAsync<IntegrationRouteDeps> = async (app, { integrations }) => {
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw error instanceof IntegrationError ? new HttpError(error.statusCode, error.message, error.code) : error;
    }
  };

  app.get('/integrations', async (request) => integrations.list(request.user));

  app.post('/integrations', async (request, reply) => {
    const input = parseInput(createIntegrationRequestSchema, request.body);
    return reply.code(201).send(await run(() => integrations.create(request.user, input, request.ip)));
  });

  app.patch('/integrations/:id', async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    const input = parseInput(updateIntegrationRequestSchema, request.body);
    return run(() => integrations.update(request.user, id, input, request.ip));
  });

  app.delete('/integrations/:id', async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    await run(() => integrations.remove(request.user, id, request.ip));
    return reply.code(204).send();
  });

  app.post('/integrations/:id/test', async (request): Promise<IntegrationTestResult> => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    const result = await run(() => integrations.test(request.user, id));
    return result.ok ? { ok: true, latency_ms: result.latencyMs, user: result.user } : { ok: false, latency_ms: result.latencyMs, error: result.error };
  });
};
