import type { FastifyPluginAsync } from 'fastify';
import type { Storage } from '../../../ports/index.ts';

export interface HealthRouteDeps {
  storage: Pick<Storage, 'ping'>;
  /**
   * Readiness of parts that start after the engine listens (the embedded MCP server), merged into GET /health.
   * Liveness (`status: "ok"`) does not depend on them.
   */
  readiness?: () => Record<string, string>;
}

/** Liveness and database readiness (spec §1); public, and /health/database is always 200 with a status field. */
export const healthRoutes: FastifyPluginAsync<HealthRouteDeps> = async (app, { storage, readiness }) => {
  const config = { public: true };
  app.get('/health', { config }, async () => ({ ...readiness?.(), status: 'ok' }));
  app.get('/health/database', { config }, async (request) => {
    try {
      await storage.ping();
      return { status: 'ok', database: 'connected' };
    } catch (error) {
      request.log.warn({ err: error }, 'database ping failed');
      return { status: 'error', database: 'disconnected', error: error instanceof Error ? error.message : String(error) };
    }
  });
};
