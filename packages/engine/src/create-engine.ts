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
import type { BusLogger } from './bus/bus-types.ts';
import { createEventBus } from './bus/create-event-bus.ts';
import type { Config } from './config/index.ts';
import { buildApp } from './http/app.ts';
import type { AgentRouteDeps } from './http/routes/agent/index.ts';
import type { ToolGateway } from './mcp/tool-gateway.ts';
import { llmSecretValues } from './llm/llm-secret-values.ts';
import type { EventBus, PlatformStorage } from './ports/index.ts';
import { createDeferredToolGateway, type ToolGatewayStatus } from './startup/deferred-tool-gateway.ts';

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

/** The embedded (or remote) MCP server's gateway, imported only when first needed or after the engine listens. */
function deferToolGateway(config: Config) {
  return createDeferredToolGateway(async () => {
    const { createToolGateway } = await import('./mcp/create-tool-gateway.ts');
    return createToolGateway(
      config.server.mcpServerUrl
        ? { url: config.server.mcpServerUrl, ...(config.server.mcpAuthToken ? { authToken: config.server.mcpAuthToken } : {}), cacheMs: config.agent.toolListCacheMs }
        : { embedded: { ...(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}) }, cacheMs: config.agent.toolListCacheMs },
    );
  });
}

export async function createEngine(config: Config, overrides: EngineOverrides = {}): Promise<Engine> {
  const owned: Array<() => Promise<void>> = [];
  const closeOwned = async () => {
    for (const close of owned.reverse()) await close().catch(() => undefined);
  };
  // The bus is made before the app (whose logger it uses), so it logs through whichever logger exists by then.
  let appLog: BusLogger | undefined;
  const busLogger: BusLogger = { warn: (object, message) => appLog?.warn(object, message) };
  let storagePromise: Promise<PlatformStorage> | undefined;
  try {
    // Why dynamic imports, started together: storage (PGlite, Drizzle, the checkpointer), the agent workflow
    // (LangGraph, AI SDK) and the chosen model provider are independent, so their file reads and WASM compile
    // overlap with each other and with opening the database.
    const agentModule = import('./http/routes/agent/index.ts');
    const llmModule = overrides.llm ? undefined : import('./llm/create-language-model.ts');
    storagePromise = overrides.storage ? Promise.resolve(overrides.storage) : import('./storage/create-storage.ts').then(({ createStorage }) => createStorage(config.storage));
    // Registered for closing as soon as it settles, so a failure elsewhere does not leak an open database.
    storagePromise.then((opened) => (overrides.storage ? undefined : owned.push(() => opened.close())), () => undefined);

    const ownBus = overrides.bus ? undefined : createEventBus({ redisUrl: config.bus.redisUrl, keyPrefix: config.bus.keyPrefix, bufferTtlSeconds: config.bus.bufferTtlSeconds, logger: busLogger });
    const bus: EventBus = overrides.bus ?? ownBus!;
    if (ownBus) owned.push(() => ownBus.close());
    // A bad REDIS_URL stops start-up with the bus's own message (naming REDIS_URL) instead of failing the first chat.
    const busReady = ownBus?.ready();

    const [storage, { agentRoutes }, selection] = await Promise.all([storagePromise, agentModule, llmModule?.then(({ createLanguageModel }) => createLanguageModel(config.llm)), busReady]);

    const deferredTools = overrides.tools ? undefined : deferToolGateway(config);
    const tools: ToolGateway = overrides.tools ?? deferredTools!;
    if (deferredTools) owned.push(() => deferredTools.close());
    const toolStatus = (): ToolGatewayStatus => deferredTools?.status() ?? 'ready';

    const llm: AgentRouteDeps['llm'] = overrides.llm ?? {
      model: selection?.model,
      provider: selection?.provider,
      modelId: selection?.modelId,
      describe: selection?.describe,
      problem: selection?.problem,
      providerOptions: selection?.providerOptions,
      maxOutputTokens: selection?.callSettings.maxOutputTokens,
      secrets: llmSecretValues(config.llm),
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
      // Liveness stays `status: "ok"` while the MCP server loads; readiness of the tools is its own field.
      readiness: () => ({ mcp: toolStatus() }),
      routes: [
        {
          plugin: agentRoutes,
          options: { storage, bus, tools, llm, config: config.agent, onService: (service: AgentService) => (agentService = service) } satisfies AgentRouteDeps,
        },
      ],
    });
    appLog = app.log;

    let closing: Promise<void> | undefined;
    return {
      app,
      storage,
      accounts,
      llmDescription: llm.describe ?? llm.modelName ?? 'custom model',
      ...(llm.model ? {} : { llmProblem: llm.problem ?? 'no LLM configured' }),
      async listen() {
        const address = await app.listen({ port: config.server.port, host: config.server.host });
        deferredTools?.start();
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
    // Let a database that is still opening finish, so it is closed (and its lock released) rather than leaked.
    await storagePromise?.catch(() => undefined);
    await closeOwned();
    throw error;
  }
}
