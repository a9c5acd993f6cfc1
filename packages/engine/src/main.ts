/**
 * Starts the engine from the environment: parse config (exit 1 naming every bad variable), build the engine,
 * listen, and shut down cleanly on SIGINT/SIGTERM. `skyflo serve` calls runServer (through the light
 * `@skyflo/engine/run-server` entry); `tsx main.ts` runs it too.
 *
 * Why this module imports almost nothing, and the rest only after the database starts opening: an embedded database
 * opens on a thread of its own (storage/pglite-thread), the longest part of a cold start, and loading the
 * configuration's schemas and the engine (~0.5 s of modules) then overlaps with it (startup/early-database.ts).
 */
import { pathToFileURL } from 'node:url';
import type { Config, Environment } from './platform/config/index.ts';
import type { Engine } from './create-engine.ts';
import { openEarlyDatabase } from './modules/startup/early-database.ts';
import { markStartup, startupTraceLine } from './platform/observability/startup-trace.ts';

const noModelHint =
  'set LLM_MODEL=openai/gpt-4o with OPENAI_API_KEY (or another provider/model with its <PROVIDER>_API_KEY), ' +
  'or LLM_MODEL=openai-compatible/<model> with LLM_HOST=http://127.0.0.1:11434/v1 for Ollama, vLLM or LiteLLM';

export interface RunServerOptions {
  env?: Environment;
  /** adjusts the parsed config before start (CLI flags such as --port) */
  adjust?: (config: Config) => Config;
  /** false: do not install SIGINT/SIGTERM handlers (embedding, tests) */
  handleSignals?: boolean;
}

/** Returns the running engine and its URL, or exits the process with status 1 and a readable reason. */
export async function runServer(options: RunServerOptions = {}): Promise<{ engine: Engine; url: string }> {
  markStartup('runServer');
  const env = options.env ?? process.env;
  // Before the configuration is parsed; a failure to open (a locked data dir) is reported below, after it.
  let early = openEarlyDatabase(env);
  let config: Config;
  const { ConfigError, loadConfig } = await import('./platform/config/index.ts');
  try {
    config = loadConfig(env);
    if (options.adjust) config = options.adjust(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`skyflo: ${error.message}\n`);
      await early?.abandon();
      process.exit(1);
    }
    throw error;
  }
  markStartup('config loaded');
  // Never the case unless a caller's `adjust` moves the storage: the database opened early is not the configured one.
  if (early && (config.storage.postgresUrl || config.storage.dataDir !== early.dataDir)) {
    await early.abandon();
    early = undefined;
  }

  // Issue 39: OpenTelemetry traces, only when the OTEL_* variables ask for them (nothing of the SDK is loaded otherwise).
  const { startTracing, tracingConfigFromEnv } = await import('./platform/observability/tracing/index.ts');
  const tracing = await startTracing(tracingConfigFromEnv(env));

  let engine: Engine;
  let url: string;
  try {
    const { createStorage, auditSigningKeyPemOf } = await import('./adapters/storage/create-storage.ts');
    // One read of the audit key for both: the storage signs records with it, the engine signs chain heads.
    const auditSigningKeyPem = auditSigningKeyPemOf(config.storage);
    auditSigningKeyPem.catch(() => undefined);
    const openingStorage = createStorage(config.storage, { ...(early ? { embedded: early.database } : {}), auditSigningKeyPem });
    // A failure is reported by createEngine, which awaits it.
    openingStorage.catch(() => undefined);
    const { createEngine } = await import('./create-engine.ts');
    markStartup('engine modules loaded');
    engine = await createEngine(config, { openingStorage, auditSigningKeyPem });
    url = await engine.listen();
    markStartup('listening');
  } catch (error) {
    const where = config.storage.postgresUrl ? 'Postgres (POSTGRES_DATABASE_URL)' : `the data dir ${config.storage.dataDir} (SKYFLO_DATA_DIR)`;
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`skyflo: could not start: ${reason}\n  storage: ${where}; port: ${config.server.host}:${config.server.port} (HOST/PORT)\n`);
    process.exit(1);
  }

  const log = engine.app.log;
  if (env.SKYFLO_STARTUP_TRACE) process.stderr.write(`${startupTraceLine()}\n`);
  log.info({ url, api: `${url}/api/v1`, storage: config.storage.postgresUrl ? 'postgres' : `pglite at ${config.storage.dataDir}`, bus: config.bus.redisUrl ? 'redis' : 'in-process', mcp: config.server.mcpServerUrl ?? 'embedded' }, `Skyflo engine listening on ${url}`);
  if (engine.llmProblem) {
    // The "no model" problem already says what to set; other problems (a missing key…) get the general hint too.
    const hint = engine.llmProblem.includes('LLM_MODEL=') ? '' : ` (${noModelHint})`;
    log.warn(`Chat is disabled until a model is configured. ${engine.llmProblem.replace(/\.*$/, '')}.${hint}`);
  }
  else log.info(`Model: ${engine.llmDescription}`);
  if (engine.setupToken && (await engine.accounts.isFirstUserPending())) {
    // Printed, never logged as a field: it is for the operator at the console, once.
    log.warn(`No account exists yet. To create the first admin from ${url} (e.g. the first-run page), use this one-time setup token: ${engine.setupToken}`);
  }

  if (options.handleSignals !== false) {
    const stop = (signal: string) => {
      log.info(`${signal} received, shutting down`);
      engine.close().then(() => tracing.shutdown()).then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  }
  return { engine, url };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runServer();
}
