/**
 * Bring your own MCP servers (issue 39 item 4), admins only; secrets (bearer token, env values) are never answered:
 *   GET    /integrations/mcp-servers           → {data: ExternalMcpServer[]}
 *   POST   /integrations/mcp-servers           → 201 ExternalMcpServer | 400 why it could not be reached | 409 name taken
 *   PATCH  /integrations/mcp-servers/:id       → ExternalMcpServer ({enabled?, acts_on?, non_destructive_tools?})
 *   DELETE /integrations/mcp-servers/:id       → 204 (its undecided approvals are denied)
 *   POST   /integrations/mcp-servers/:id/test  → {ok, latency_ms, tools?, error?, problems?}
 */
import { createExternalMcpServerRequestSchema, updateExternalMcpServerRequestSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ExternalMcpService } from '../../../integrations/external-mcp/external-mcp-service.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface ExternalMcpRouteDeps {
  externalMcp: ExternalMcpService;
}

const idParamsSchema = z.object({ id: z.uuid('id must be an MCP server id (UUID) from GET /integrations/mcp-servers') });

export const externalMcpRoutes: FastifyPluginAsync<ExternalMcpRouteDeps> = async (app, { externalMcp }) => {
  app.get('/integrations/mcp-servers', async (request) => ({ data: await externalMcp.list(request.user) }));

  app.post('/integrations/mcp-servers', async (request, reply) => {
    const input = parseInput(createExternalMcpServerRequestSchema, request.body);
    return reply.code(201).send(await externalMcp.create(request.user, input, request.ip));
  });

  app.patch('/integrations/mcp-servers/:id', async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    const input = parseInput(updateExternalMcpServerRequestSchema, request.body);
    return externalMcp.update(request.user, id, input, request.ip);
  });

  app.delete('/integrations/mcp-servers/:id', async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    await externalMcp.remove(request.user, id, request.ip);
    return reply.code(204).send();
  });

  app.post('/integrations/mcp-servers/:id/test', async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    return externalMcp.test(request.user, id);
  });
};
