/**
 * The Fastify application as a function of its dependencies (fastify/demo style): this file wires plugins and
 * routes, create-engine.ts builds the dependencies and main.ts only listens.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { AccountService } from '../app/accounts/account-service.ts';
import type { ServerConfig } from '../platform/config/index.ts';
import type { PlatformStorage } from '../platform/ports/index.ts';
import { readAccessToken, registerAuthenticate } from './plugins/authenticate.ts';
import { registerConversationQuota } from './plugins/conversation-quota.ts';
import { registerCors } from './plugins/cors.ts';
import { registerErrorHandler } from './plugins/error-handler.ts';
import { registerHostAllowlist } from './plugins/host-allowlist.ts';
import { registerRejectControlCharacters } from './plugins/reject-control-characters.ts';
import { registerRejectCrossSite } from './plugins/reject-cross-site.ts';
import { registerSecurityHeaders } from './plugins/security-headers.ts';
import { registerRequestRateLimit } from './plugins/request-rate-limit.ts';
import { registerMetrics } from './plugins/metrics.ts';
import { registerOpenApi } from './openapi/register-openapi.ts';
import type { EngineMetrics } from '../platform/observability/metrics.ts';
import { registerStaticUi } from './plugins/static-ui.ts';
import { registerStrictJsonBody } from './plugins/strict-json-body.ts';
import { registerClosePromptly } from './plugins/close-promptly.ts';
import { registerRequestBodyTimeout } from './plugins/request-body-timeout.ts';
import type { DiskWatch } from '../platform/storage-faults/disk-full.ts';
import { approvalRoutes, type ApprovalRouteDeps } from './routes/approvals/index.ts';
import { createPriceLookup, type MemberScope, type ModelPrice } from '@skyflo/protocol';
import { analyticsRoutes } from './routes/analytics/index.ts';
import { auditRoutes } from './routes/audit/index.ts';
import { authRoutes } from './routes/auth/index.ts';
import { conversationRoutes } from './routes/conversations/index.ts';
import { healthRoutes, probeRoutes, type HealthRouteDeps } from './routes/health/index.ts';
import { teamRoutes } from './routes/team/index.ts';

export const API_PREFIX = '/api/v1';

/** A route plugin mounted under /api/v1 behind the auth hook (how create-engine adds the agent routes). */
export interface MountedRoutes<Options = unknown> {
  plugin: FastifyPluginAsync<Options & object>;
  options: Options;
}

export interface AppDeps {
  server: Pick<ServerConfig, 'bodyLimitBytes' | 'corsOrigins' | 'uiDistDir'> & Partial<Pick<ServerConfig, 'requestBodyTimeoutMs' | 'trustProxy' | 'host' | 'publicUrl' | 'allowedHosts'>>;
  limits?: { conversationsPerMinute: number; requestsPerWindow?: number; windowSeconds?: number };
  /**
   * where rate-limit counters live when several engines share them (REDIS_URL): the Redis client the plugin takes,
   * opened by modules/rate-limit-redis.ts; in memory otherwise
   */
  rateLimitRedis?: RateLimitPluginOptions['redis'];
  /** who decides calls (APPROVAL_POLICY, APPROVAL_FOUR_EYES) */
  approvalPolicy?: ApprovalRouteDeps['policy'];
  /** the tool catalogue's titles for GET /approvals/pending (the card's titles) */
  toolTitles?: ApprovalRouteDeps['toolTitles'];
  /** every fact a decision reads about a call (tool-calls/decide/gather-facts.ts): the pending list asks the same */
  decisionFacts: ApprovalRouteDeps['decisionFacts'];
  /** a person's cluster/namespace scope as it is now; absent: read from the users table */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
  /** stops runs (through the bus, on whichever engine process runs them); used when a conversation is deleted */
  stopRuns?: (runIds: string[]) => Promise<void>;
  storage: PlatformStorage;
  accounts: AccountService;
  accessTokenTtlSeconds: number;
  /** extra route plugins under /api/v1 (agent routes) */
  routes?: MountedRoutes<any>[];
  /** reported by GET /health */
  bus?: HealthRouteDeps['bus'];
  /** extra fields for GET /health, e.g. `{ mcp: 'starting' }` while the tools load (see HealthRouteDeps) */
  readiness?: HealthRouteDeps['readiness'];
  /** the clusters' reachability for GET /health (issue 22) */
  clusterHealth?: HealthRouteDeps['clusters'];
  /** issue 76: the emergency stop, shown by /health */
  emergencyStop?: HealthRouteDeps['emergencyStop'];
  /** the embedded database's disk: a full one answers 507 STORAGE_FULL and makes /health degraded */
  disk?: DiskWatch;
  /** issue 75: the database and the bus probed with a real round trip (GET /health, /readyz) */
  dependencies?: HealthRouteDeps['dependencies'];
  /** Prometheus metrics: the per-request hook and GET /metrics (optionally behind METRICS_TOKEN) */
  metrics?: { metrics: EngineMetrics; token?: string };
  /** ANALYTICS_MODEL_PRICES: prices that replace or extend the built-in table */
  modelPrices?: Record<string, ModelPrice>;
  /** Fastify logger option: false in tests, a pino options object in main */
  logger?: FastifyServerOptions['logger'];
}

/**
 * Fastify's schema compilers: none. The handlers parse input with zod themselves (messages that name the field) and
 * the route schemas are documentation only (openapi/register-openapi.ts), so Fastify neither validates nor serializes
 * with them. Given as the factory rather than set later, they also keep Fastify from loading Ajv and
 * fast-json-stringify when the app is created (~30 ms of module evaluation at every start).
 */
/**
 * Fastify's request log, one line per request: no "incoming request" line; "request completed" (or "request errored")
 * carries what both said — method, path without the query string, request id, client address, status and time. Error
 * logs are Fastify's own.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

const acceptAnyInput = () => () => true;
const serializeAsJson = () => (data: unknown) => JSON.stringify(data);
// Typed by Fastify for Ajv's compiled functions; at run time Fastify only calls what a compiler returns.
const schemaCompilers = { buildValidator: () => acceptAnyInput, buildSerializer: () => serializeAsJson } as unknown as NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    schemaController: { compilersFactory: schemaCompilers },
    logger: deps.logger ?? false,
    // One line per request, not Fastify's two (issue 79: a CPU profile of the run start put request logging among its
    // costs, paid twice per request): oneLinePerRequest.
    logController: new OneLinePerRequest(),
    bodyLimit: deps.server.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
    // SSE streams can be long; the proxy in front, not Node, decides when a request is too slow. A slow request body
    // has its own limit (plugins/request-body-timeout.ts).
    requestTimeout: 0,
    // Only when the operator says a proxy is in front: request.protocol (the cookies' Secure flag) and request.ip
    // then come from X-Forwarded-*, which a client talking to the engine directly could otherwise forge.
    trustProxy: deps.server.trustProxy ?? false,
  });
  registerClosePromptly(app);
  registerStrictJsonBody(app);
  registerRequestBodyTimeout(app, { timeoutMs: deps.server.requestBodyTimeoutMs ?? 30_000 });
  // A signed-in person (a session's token, checked without the database, which may be the part that is down) reads why
  // a part fails, in /health and in a 503/507; anyone else reads that it fails (http/routes/health, error-handler.ts).
  const showsReasons = async (request: FastifyRequest): Promise<boolean> => {
    const token = readAccessToken(request);
    return token !== undefined && deps.accounts.isSessionAccessToken(token);
  };
  registerErrorHandler(app, { bodyLimit: deps.server.bodyLimitBytes, showsReasons, ...(deps.storage.label ? { database: deps.storage.label } : {}), ...(deps.disk ? { disk: deps.disk } : {}) });
  registerHostAllowlist(app, {
    bindHost: deps.server.host ?? '127.0.0.1',
    ...(deps.server.publicUrl ? { publicUrl: deps.server.publicUrl } : {}),
    allowedHosts: deps.server.allowedHosts ?? [],
    healthPrefix: `${API_PREFIX}/health`,
    exemptPaths: ['/metrics', '/livez', '/readyz'],
  });
  // Cross-site forms ride the session cookie (CSRF, login CSRF): unsafe requests from a foreign Origin are refused.
  registerRejectCrossSite(app, {
    ...(deps.server.publicUrl ? { publicUrl: deps.server.publicUrl } : {}),
    allowedHosts: deps.server.allowedHosts ?? [],
    corsOrigins: deps.server.corsOrigins,
  });
  registerSecurityHeaders(app, { docsPrefix: '/api/docs' });
  if (deps.metrics) registerMetrics(app, deps.metrics);
  await registerOpenApi(app, { version: '0.1.0' });
  app.setNotFoundHandler(async (request, reply) => reply.code(404).send({ detail: `Route ${request.method} ${request.url.split('?')[0]} not found` }));
  registerCors(app, deps.server.corsOrigins);
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  // Limits are opted into per use (fastify.createRateLimit); nothing here limits every route.
  await app.register(fastifyRateLimit, {
    global: false,
    // A Redis hiccup lets requests through rather than failing them: the limit protects capacity, not access.
    ...(deps.rateLimitRedis ? { redis: deps.rateLimitRedis, nameSpace: 'skyflo:rate-limit:', skipOnError: true } : {}),
  });
  registerConversationQuota(app, { perMinute: deps.limits?.conversationsPerMinute ?? 30 });

  const healthDeps: HealthRouteDeps = { storage: deps.storage, ...(deps.bus ? { bus: deps.bus } : {}), readiness: deps.readiness, ...(deps.clusterHealth ? { clusters: deps.clusterHealth } : {}), ...(deps.disk ? { disk: deps.disk.health } : {}), ...(deps.dependencies ? { dependencies: deps.dependencies } : {}), ...(deps.emergencyStop ? { emergencyStop: deps.emergencyStop } : {}), showsReasons };
  // /livez and /readyz at the root, where probes look (no auth hook, no rate limit; the host check lets them through)
  await app.register(probeRoutes, healthDeps);
  await app.register(
    async (api) => {
      registerAuthenticate(api, deps.accounts.authenticate);
      registerRejectControlCharacters(api);
      registerRequestRateLimit(api, { max: deps.limits?.requestsPerWindow ?? 600, windowSeconds: deps.limits?.windowSeconds ?? 60, exemptPrefix: `${API_PREFIX}/health` });
      await api.register(healthRoutes, healthDeps);
      await api.register(authRoutes, { accounts: deps.accounts, accessTokenTtlSeconds: deps.accessTokenTtlSeconds });
      await api.register(teamRoutes, { accounts: deps.accounts });
      await api.register(auditRoutes, { audit: deps.storage.audit, users: deps.storage.users, conversations: deps.storage.conversations });
      await api.register(analyticsRoutes, { analytics: deps.storage.analytics, priceOf: createPriceLookup(deps.modelPrices ?? {}) });
      const scopeOf = deps.scopeOf ?? (async (userId: string) => (await deps.storage.users.findById(userId))?.scope);
      await api.register(approvalRoutes, { approvals: deps.storage.approvals, policy: deps.approvalPolicy ?? { policy: 'self', fourEyes: false }, ...(deps.toolTitles ? { toolTitles: deps.toolTitles } : {}), decisionFacts: deps.decisionFacts });
      await api.register(conversationRoutes, { conversations: deps.storage.conversations, audit: deps.storage.audit, stopRuns: deps.stopRuns ?? (async () => {}), approvalPolicy: deps.approvalPolicy?.policy ?? 'self', approvals: deps.storage.approvals, scopeOf });
      for (const mounted of deps.routes ?? []) await api.register(mounted.plugin, mounted.options);
    },
    { prefix: API_PREFIX },
  );

  await registerStaticUi(app, deps.server.uiDistDir);
  return app;
}
