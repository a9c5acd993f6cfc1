/**
 * The HTTP app for the composition root (create-engine.ts): the Fastify app (http/app.ts: plugins, the core routes)
 * given the modules' routes, in the order the root lists them, and what /health, /metrics and the pending list read.
 */
import type { FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import type { AccountService } from '../app/accounts/account-service.ts';
import type { Config } from '../platform/config/index.ts';
import { buildApp, type AppDeps, type MountedRoutes } from '../http/app.ts';
import type { ToolGateway } from '../platform/ports/tool-gateway.ts';
import { loggerOptions } from '../platform/observability/logger-options.ts';
import type { EngineMetrics } from '../platform/observability/metrics.ts';
import { markStartup } from '../platform/observability/startup-trace.ts';
import type { EventBus } from '../platform/ports/index.ts';
import type { ToolGatewayStatus } from './startup/deferred-tool-gateway.ts';

export interface HttpAppDeps extends Required<Pick<AppDeps, 'storage' | 'approvalPolicy' | 'decisionFacts' | 'scopeOf' | 'dependencies' | 'disk' | 'emergencyStop'>> {
  config: Pick<Config, 'server' | 'limits' | 'observability' | 'analytics'>;
  /** where the rate limits count when the bus is Redis (modules/rate-limit-redis.ts) */
  rateLimitRedis: Redis | undefined;
  /** Fastify logger option (tests); default: pino at config.server.logLevel */
  logger: FastifyServerOptions['logger'] | undefined;
  /** the instrumented bus: /health reports it, a deleted conversation's runs are stopped through it */
  bus: EventBus;
  metrics: EngineMetrics;
  /** ours and the external MCP servers' */
  tools: ToolGateway;
  /** our MCP server's: 'starting' while it loads */
  toolStatus: () => ToolGatewayStatus;
  accounts: { accounts: AccountService; accessTokens: { ttlSeconds: number } };
  clusters: { health: NonNullable<AppDeps['clusterHealth']> };
  /** the modules' routes under /api/v1, mounted in this order after the core ones */
  routes: MountedRoutes<any>[];
}

export async function createHttpApp(deps: HttpAppDeps) {
  const { config, bus, tools, toolStatus, clusters } = deps;
  markStartup('building the app');
  const app = await buildApp({
    server: config.server,
    limits: config.limits,
    ...(deps.rateLimitRedis ? { rateLimitRedis: deps.rateLimitRedis } : {}),
    metrics: { metrics: deps.metrics, ...(config.observability.metricsToken ? { token: config.observability.metricsToken } : {}) },
    modelPrices: config.analytics.modelPrices,
    approvalPolicy: deps.approvalPolicy,
    decisionFacts: deps.decisionFacts,
    scopeOf: deps.scopeOf,
    // the pending list titles calls as the chat's card does; while the MCP server loads, by the tool's name
    toolTitles: async () => (toolStatus() === 'ready' ? new Map((await tools.listTools()).map((tool) => [tool.name, tool.title])) : new Map()),
    bus,
    stopRuns: async (runIds) => void (await Promise.all(runIds.map((runId) => bus.requestStop(runId)))),
    storage: deps.storage,
    accounts: deps.accounts.accounts,
    accessTokenTtlSeconds: deps.accounts.accessTokens.ttlSeconds,
    logger: deps.logger ?? (await loggerOptions(config.server)),
    // Liveness stays `status: "ok"` while the MCP server loads; readiness of the tools is its own field.
    readiness: () => ({ mcp: toolStatus() }),
    // only once the MCP server is up: a health probe never starts it (cold start stays cheap)
    clusterHealth: async () => (toolStatus() === 'ready' ? clusters.health() : undefined),
    emergencyStop: deps.emergencyStop,
    dependencies: deps.dependencies,
    // the embedded database lives in the data dir: a full disk there is named (507 STORAGE_FULL, /health degraded)
    disk: deps.disk,
    routes: deps.routes,
  });
  markStartup('app built');
  return app;
}
