import type { FastifyPluginAsync } from 'fastify';
import type { Storage } from '../../../ports/index.ts';

export interface HealthRouteDeps {
  storage: Pick<Storage, 'ping'>;
}

/** Liveness and database readiness (spec §1); public, and /health/database is always 200 with a status field. */
export const healthRoutes: FastifyPluginAsync<HealthRouteDeps> = async (app, { storage }) => {
  const config = { public: true };
  app.get('/health', { config }, async () => ({ status: 'ok' }));
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
