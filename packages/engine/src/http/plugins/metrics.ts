/**
 * GET /metrics (Prometheus text format) and the per-request counters behind it. Routes are labelled by their
 * pattern (/api/v1/conversations/:id), never the concrete URL, so ids do not explode the series count.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { EngineMetrics } from '../../platform/observability/metrics.ts';

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function registerMetrics(app: FastifyInstance, options: { metrics: EngineMetrics; token?: string }): void {
  const { metrics } = options;
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', async (request, reply) => {
    if (options.token) {
      const header = request.headers.authorization ?? '';
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!sameToken(given, options.token)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ detail: '/metrics needs Authorization: Bearer <METRICS_TOKEN>' });
      }
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
