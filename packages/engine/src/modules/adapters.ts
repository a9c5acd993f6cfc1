/**
 * The adapters for the composition root (create-engine.ts), picked from the configuration unless a test supplies its
 * own: the storage (PGlite in the data dir, or Postgres), the bus (in-process, or Redis), the tool gateway (the
 * embedded or remote MCP server, loaded later), the configured model, and the data dir's keys.
 */
import type { BusLogger } from '../adapters/bus/bus-types.ts';
import { createEventBus } from '../adapters/bus/create-event-bus.ts';
import type { Config } from '../platform/config/index.ts';
import { createSecretBox } from '../platform/crypto/secret-box.ts';
import type { ToolGateway } from '../platform/ports/tool-gateway.ts';
import { markStartup } from '../platform/observability/startup-trace.ts';
import type { EventBus } from '../platform/ports/index.ts';
import type { ToolGatewayStatus } from './startup/deferred-tool-gateway.ts';
import { loadKeys } from './data-dir-keys.ts';
import type { EngineOverrides } from './engine.ts';
import type { OwnedResources } from './lifecycle.ts';
import { deferToolGateway } from './tools.ts';

export interface AdaptersDeps {
  /** what the engine opens here (not what a test supplies) is added for closing */
  owned: OwnedResources;
  /** the bus warns through whichever logger exists by then (the app's, once built) */
  logger: BusLogger;
}

export async function openAdapters(config: Config, overrides: EngineOverrides, { owned, logger }: AdaptersDeps) {
  // Why dynamic imports, started together: storage (PGlite, Drizzle) and the chosen model provider are
  // independent, so their file reads and WASM compile overlap with each other and with opening the database.
  // The agent workflow (LangGraph, AI SDK, the checkpointer) and the MCP server load after the engine listens.
  // The data dir's keys (made on first start) are files of their own: read or written while the database opens.
  const keys = loadKeys(config, overrides.auditSigningKeyPem);
  // Loaded even when a test supplies the model: the settings API describes the environment's model either way.
  const llmModule = import('../adapters/llm/create-language-model.ts');
  const llmSettingsModule = import('../app/llm-settings/llm-settings-service.ts');
  const storagePromise = overrides.storage
    ? Promise.resolve(overrides.storage)
    : (overrides.openingStorage ?? import('../adapters/storage/create-storage.ts').then(({ createStorage }) => createStorage(config.storage, { auditSigningKeyPem: keys.auditSigningKey })));
  // Registered for closing as soon as it settles, so a failure elsewhere does not leak an open database.
  if (!overrides.storage) owned.adopt(storagePromise, (opened) => opened.close());

  const ownBus = overrides.bus ? undefined : await createEventBus({ redisUrl: config.bus.redisUrl, keyPrefix: config.bus.keyPrefix, bufferTtlSeconds: config.bus.bufferTtlSeconds, logger: { warn: (object, message) => logger.warn(object, message) } });
  const rawBus: EventBus = overrides.bus ?? ownBus!;
  if (ownBus) owned.add(() => ownBus.close());
  // A bad REDIS_URL stops start-up with the bus's own message (naming REDIS_URL) instead of failing the first chat.
  const busReady = ownBus?.ready();

  const [storage, selection, { createLlmSettingsService }] = await Promise.all([storagePromise, llmModule.then(({ createLanguageModel }) => createLanguageModel(config.llm)), llmSettingsModule, busReady]);
  markStartup('storage and model modules loaded');

  const deferredTools = overrides.tools ? undefined : deferToolGateway(config);
  const ownTools: ToolGateway = overrides.tools ?? deferredTools!;
  if (deferredTools) owned.add(() => deferredTools.close());

  const secret = await keys.jwtSecret;
  const encryptionKey = await keys.encryptionKey;
  return {
    storage,
    /** the engine's own storage is an embedded database: this process holds its lock, so nothing else writes to it */
    ownsWholeDatabase: !config.storage.postgresUrl && !overrides.storage,
    /** the bus as opened; observability instruments it (modules/observability.ts) */
    rawBus,
    /** the model the environment configures, and the settings service that may switch it (modules/settings.ts) */
    selection,
    createLlmSettingsService,
    /** how a model is built from saved settings, and the providers known (adapters/llm) */
    languageModels: await llmModule,
    /** our MCP server's tools; the external servers join them (modules/integrations.ts) */
    ownTools,
    /** ours, while loading (a test's gateway is ready) */
    deferredTools,
    toolStatus: (): ToolGatewayStatus => deferredTools?.status() ?? 'ready',
    secret,
    encryptionKey,
    secretBox: createSecretBox(encryptionKey),
    /** the audit signing key (PEM), the same the storage was given */
    auditSigningKey: keys.auditSigningKey,
  };
}
