import type { FastifyInstance } from 'fastify';

/**
 * CORS for the development UI (spec §1: localhost:3000/3001 with credentials). Only listed origins are echoed;
 * a wildcard is never combined with credentials, so other sites cannot ride a logged-in browser's cookies.
 */
export function registerCors(app: FastifyInstance, origins: string[]): void {
  const allowed = new Set(origins);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || !allowed.has(origin)) return;
    reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true').header('vary', 'Origin');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      await reply
        .code(204)
        .header('access-control-allow-methods', 'GET,POST,PATCH,PUT,DELETE,OPTIONS')
        .header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? 'authorization,content-type')
        .header('access-control-max-age', '600')
        .send();
      return reply;
    }
  });
}
