/**
 * Bring your own MCP servers (issue 39 item 4), admins only; secrets (bearer token, env values) are never answered:
 *   GET    /integrations/mcp-servers           → {data: ExternalMcpServer[]}
 *   POST   /integrations/mcp-servers           → 201 ExternalMcpServer | 400 why it could not be reached | 409 name taken
 *   PATCH  /integrations/mcp-servers/:id       → ExternalMcpServer ({enabled?, acts_on?, non_destructive_tools?})
 *   DELETE /integrations/mcp-servers/:id       → 204 (its undecided approvals are denied)
 *   POST   /integrations/mcp-servers/:id/test  → {ok, latency_ms, tools?, error?, problems?}
 * Issue 77 item 3, Skyflo as an OAuth client of a server added with `auth: {type: "oauth"}`:
 *   GET    /integrations/mcp-servers/oauth/client-metadata.json  (public) → Skyflo's client ID metadata document
 *   POST   /integrations/mcp-servers/:id/oauth/start  (admin) → {authorization_url, expires_at}
 *   GET    /integrations/mcp-servers/oauth/callback?code&state&iss  (the admin who started, by their session cookie)
 *          → 303 to the UI's integrations page | 400/403 why the response was refused (nothing stored)
 */
import { createExternalMcpServerRequestSchema, updateExternalMcpServerRequestSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ExternalMcpService } from '../../../app/integrations/external-mcp/external-mcp-service.ts';
import { clientMetadataDocument } from '../../../app/integrations/external-mcp/oauth-client.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface ExternalMcpRouteDeps {
  externalMcp: ExternalMcpService;
  /** the engine's public address (no trailing slash), '' while unknown */
  publicUrl: () => string;
}

const callbackQuerySchema = z.object({
  state: z.string().min(1).max(512),
  code: z.string().max(4096).optional(),
  iss: z.string().max(2048).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
});

const idParamsSchema = z.object({ id: z.uuid('id must be an MCP server id (UUID) from GET /integrations/mcp-servers') });

export const externalMcpRoutes: FastifyPluginAsync<ExternalMcpRouteDeps> = async (app, { externalMcp, publicUrl }) => {
  // Public: an authorization server fetches it (without credentials) to learn who the client_id is.
  app.get('/integrations/mcp-servers/oauth/client-metadata.json', { config: { public: true } }, async (_request, reply) => {
    const base = publicUrl();
    if (!base) return reply.code(404).send({ detail: "Skyflo's public address is unknown (set PUBLIC_URL), so it has no client metadata document" });
    return reply.header('cache-control', 'public, max-age=300').send(clientMetadataDocument(base));
  });

  app.post('/integrations/mcp-servers/:id/oauth/start', async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    return externalMcp.startOauth(request.user, id, request.ip);
  });

  // Reached by the admin's browser, redirected by the authorization server: their session cookie says who they are.
  app.get('/integrations/mcp-servers/oauth/callback', async (request, reply) => {
    const query = parseInput(callbackQuerySchema, request.query, 'query');
    const { serverId } = await externalMcp.finishOauth(request.user, { state: query.state, ...(query.code ? { code: query.code } : {}), ...(query.iss ? { iss: query.iss } : {}), ...(query.error ? { error: query.error } : {}), ...(query.error_description ? { errorDescription: query.error_description } : {}) }, request.ip);
    return reply.redirect(`${publicUrl()}/integrations?mcp_server=${encodeURIComponent(serverId)}&oauth=signed_in`, 303);
  });

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
