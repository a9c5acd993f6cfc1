/**
 * The Fastify application as a function of its dependencies (fastify/demo style): this file wires plugins and
 * routes, create-engine.ts builds the dependencies and main.ts only listens.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import type { AccountService } from '../accounts/account-service.ts';
import type { ServerConfig } from '../config/index.ts';
import type { PlatformStorage } from '../ports/index.ts';
import { registerAuthenticate } from './plugins/authenticate.ts';
import { registerCors } from './plugins/cors.ts';
import { registerErrorHandler } from './plugins/error-handler.ts';
import { registerStaticUi } from './plugins/static-ui.ts';
import { authRoutes } from './routes/auth/index.ts';
import { conversationRoutes } from './routes/conversations/index.ts';
import { healthRoutes, type HealthRouteDeps } from './routes/health/index.ts';

export const API_PREFIX = '/api/v1';

/** A route plugin mounted under /api/v1 behind the auth hook (how create-engine adds the agent routes). */
export interface MountedRoutes<Options = unknown> {
  plugin: FastifyPluginAsync<Options & object>;
  options: Options;
}

export interface AppDeps {
  server: Pick<ServerConfig, 'bodyLimitBytes' | 'corsOrigins' | 'uiDistDir'> & Partial<Pick<ServerConfig, 'trustProxy'>>;
  storage: PlatformStorage;
  accounts: AccountService;
  accessTokenTtlSeconds: number;
  /** extra route plugins under /api/v1 (agent routes) */
  routes?: MountedRoutes<any>[];
  /** extra fields for GET /health, e.g. `{ mcp: 'starting' }` while the tools load (see HealthRouteDeps) */
  readiness?: HealthRouteDeps['readiness'];
  /** Fastify logger option: false in tests, a pino options object in main */
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: deps.server.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
    // SSE streams can be long; the proxy in front, not Node, decides when a request is too slow.
    requestTimeout: 0,
    // Only when the operator says a proxy is in front: request.protocol (the cookies' Secure flag) and request.ip
    // then come from X-Forwarded-*, which a client talking to the engine directly could otherwise forge.
    trustProxy: deps.server.trustProxy ?? false,
  });
  registerErrorHandler(app, { bodyLimit: deps.server.bodyLimitBytes });
  app.setNotFoundHandler(async (request, reply) => reply.code(404).send({ detail: `Route ${request.method} ${request.url.split('?')[0]} not found` }));
  registerCors(app, deps.server.corsOrigins);
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);

  await app.register(
    async (api) => {
      registerAuthenticate(api, deps.accounts.authenticate);
      await api.register(healthRoutes, { storage: deps.storage, readiness: deps.readiness });
      await api.register(authRoutes, { accounts: deps.accounts, accessTokenTtlSeconds: deps.accessTokenTtlSeconds });
      await api.register(conversationRoutes, { conversations: deps.storage.conversations, audit: deps.storage.audit });
      for (const mounted of deps.routes ?? []) await api.register(mounted.plugin, mounted.options);
    },
    { prefix: API_PREFIX },
  );

  await registerStaticUi(app, deps.server.uiDistDir);
  return app;
}
