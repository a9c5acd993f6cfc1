/**
 * API tokens for automation (a signed-in person manages their own; an API token cannot reach these routes):
 *   GET    /auth/tokens      → {data: ApiToken[]}  (never the token itself)
 *   POST   /auth/tokens      {name, scopes, expires_in_days} → 201 CreatedApiToken (the only time `token` is shown)
 *   DELETE /auth/tokens/:id  → ApiToken (revoked)
 */
import { createApiTokenRequestSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AccountError } from '../../../app/accounts/account-error.ts';
import type { ApiTokenService } from '../../../app/accounts/api-token-service.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface ApiTokenRouteDeps {
  apiTokens: ApiTokenService;
}

const idParamsSchema = z.object({ id: z.uuid('id must be an API token id (UUID)') });

export const apiTokenRoutes: FastifyPluginAsync<ApiTokenRouteDeps> = async (app, { apiTokens }) => {
  app.get('/auth/tokens', async (request) => ({ data: await apiTokens.list(request.user) }));

  app.post('/auth/tokens', async (request, reply) => {
    const input = parseInput(createApiTokenRequestSchema, request.body);
    const created = await apiTokens.create(request.user, input, request.ip);
    return reply.code(201).header('cache-control', 'no-store').send(created);
  });

  app.delete('/auth/tokens/:id', async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    try {
      return await apiTokens.revoke(request.user, id, request.ip);
    } catch (error) {
      if (error instanceof AccountError) throw new HttpError(error.statusCode, error.message, error.code);
      throw error;
    }
  });
};
