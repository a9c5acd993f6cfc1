/**
 * The composition root: the one place that turns configuration into adapters (PGlite or Postgres, in-process
 * or Redis bus, embedded or remote MCP server, the configured model) and wires them into the HTTP app.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { createAccessTokens } from './accounts/access-tokens.ts';
import { createAccountService, type AccountService } from './accounts/account-service.ts';
import { loadOrCreateJwtSecret } from './accounts/jwt-secret.ts';
import { createLoginRateLimiter } from './accounts/login-rate-limiter.ts';
import { createPasswordHasher, type PasswordHasher } from './accounts/password-hasher.ts';
import type { AgentService } from './agent/create-agent-service.ts';
import { createEventBus } from './bus/create-event-bus.ts';
import type { Config } from './config/index.ts';
import { buildApp } from './http/app.ts';
import { agentRoutes, type AgentRouteDeps } from './http/routes/agent/index.ts';
import { createLanguageModel } from './llm/create-language-model.ts';
import { createToolGateway } from './mcp/create-tool-gateway.ts';
import type { ToolGateway } from './mcp/tool-gateway.ts';
import type { EventBus, PlatformStorage } from './ports/index.ts';
import { createStorage } from './storage/create-storage.ts';

export interface EngineOverrides {
  storage?: PlatformStorage;
  bus?: EventBus;
  tools?: ToolGateway;
  llm?: AgentRouteDeps['llm'];
  /** tests use cheaper argon2 costs */
  passwordHasher?: PasswordHasher;
  /** Fastify logger option; default: pino at config.server.logLevel */
  logger?: FastifyServerOptions['logger'];
}

export interface Engine {
  app: FastifyInstance;
  storage: PlatformStorage;
  accounts: AccountService;
  /** what the model is, or why there is none (for start-up logs) */
  llmDescription: string;
  llmProblem?: string;
  /** Listens on config.server.host/port and resolves the base URL, e.g. http://127.0.0.1:8080 */
  listen(): Promise<string>;
  /** Stops accepting requests, lets running agent runs settle, then closes tools, bus and storage. */
  close(): Promise<void>;
}

export async function createEngine(config: Config, overrides: EngineOverrides = {}): Promise<Engine> {
  const owned: Array<() => Promise<void>> = [];
  const closeOwned = async () => {
    for (const close of owned.reverse()) await close().catch(() => undefined);
  };
  try {
    const storage = overrides.storage ?? (await createStorage(config.storage));
    if (!overrides.storage) owned.push(() => storage.close());

    const bus = overrides.bus ?? createEventBus({ redisUrl: config.bus.redisUrl, keyPrefix: config.bus.keyPrefix, bufferTtlSeconds: config.bus.bufferTtlSeconds });
    if (!overrides.bus) owned.push(() => bus.close());

    const tools =
      overrides.tools ??
      createToolGateway(
        config.server.mcpServerUrl
          ? { url: config.server.mcpServerUrl, ...(config.server.mcpAuthToken ? { authToken: config.server.mcpAuthToken } : {}), cacheMs: config.agent.toolListCacheMs }
          : { embedded: { ...(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}) }, cacheMs: config.agent.toolListCacheMs },
      );
    if (!overrides.tools) owned.push(() => tools.close());

    const selection = overrides.llm ? undefined : createLanguageModel(config.llm);
    const llm: AgentRouteDeps['llm'] = overrides.llm ?? {
      model: selection?.model,
      provider: selection?.provider,
      modelId: selection?.modelId,
      describe: selection?.describe,
      problem: selection?.problem,
      providerOptions: selection?.providerOptions,
      maxOutputTokens: selection?.callSettings.maxOutputTokens,
    };

    const secret = config.auth.jwtSecret ?? (await loadOrCreateJwtSecret(config.storage.dataDir));
    const accessTokens = createAccessTokens({ secret, ttlMinutes: config.auth.accessTokenMinutes });
    const accounts = createAccountService({
      users: storage.users,
      refreshTokens: storage.refreshTokens,
      audit: storage.audit,
      hasher: overrides.passwordHasher ?? createPasswordHasher(),
      accessTokens,
      loginLimiter: createLoginRateLimiter(config.auth.loginRateLimit),
      allowRegistration: config.auth.allowRegistration,
      refreshTokenDays: config.auth.refreshTokenDays,
    });

    let agentService: AgentService | undefined;
    const app = await buildApp({
      server: config.server,
      storage,
      accounts,
      accessTokenTtlSeconds: accessTokens.ttlSeconds,
      logger: overrides.logger ?? { level: config.server.logLevel },
      routes: [
        {
          plugin: agentRoutes,
          options: { storage, bus, tools, llm, config: config.agent, onService: (service: AgentService) => (agentService = service) } satisfies AgentRouteDeps,
        },
      ],
    });

    let closing: Promise<void> | undefined;
    return {
      app,
      storage,
      accounts,
      llmDescription: llm.describe ?? llm.modelName ?? 'custom model',
      ...(llm.model ? {} : { llmProblem: llm.problem ?? 'no LLM configured' }),
      async listen() {
        const address = await app.listen({ port: config.server.port, host: config.server.host });
        return address.replace('[::1]', 'localhost');
      },
      close: () =>
        (closing ??= (async () => {
          await app.close();
          await agentService?.idle();
          await closeOwned();
        })()),
    };
  } catch (error) {
    await closeOwned();
    throw error;
  }
}
