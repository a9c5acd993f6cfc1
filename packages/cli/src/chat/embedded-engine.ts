/**
 * A throw-away engine for the benchmark contract and the eval harness: the real engine (createEngine) on
 * 127.0.0.1 port 0, PGlite in a temporary folder, the MCP server embedded against the given kubeconfig (or a
 * given MCP_SERVER_URL), and a fresh account that exists only for this run. `close()` stops it and deletes the
 * folder. Settings from the user's environment that would point it elsewhere (Postgres, Redis, a remote MCP
 * server, a fixed port) are cleared; model settings and keys are kept.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import { createEngine, loadConfig, ConfigError, type Engine, type EngineOverrides } from '@skyflo/engine';
import { createApiClient, type ApiClient } from './api-client.ts';
import { ChatError } from './chat-error.ts';

export interface EmbeddedEngineOptions {
  /** the cluster the embedded MCP server talks to (unset: kubectl's default resolution) */
  kubeconfigPath?: string;
  /** LLM_MODEL, e.g. openai/gpt-4o; unset: LLM_MODEL from `env` */
  llmModel?: string;
  /** a separately started MCP server (the eval harness's, with its chart directories); unset: embedded */
  mcpServerUrl?: string;
  /** the environment to take model settings and keys from */
  env: Record<string, string | undefined>;
  /** extra settings for the engine, e.g. { TITLE_GENERATION_ENABLED: 'true', LLM_MAX_ITERATIONS: '15' } */
  settings?: Record<string, string>;
}

/**
 * Why cheaper argon2 costs here: the only account of an embedded engine has a random 192-bit password and its
 * database is deleted when the run ends. The default costs (64 MiB, 3 passes) defend low-entropy human passwords
 * against offline guessing, which does not apply, and would add seconds to every benchmark or eval attempt.
 */
const throwAwayAccountHasher: NonNullable<EngineOverrides['passwordHasher']> = {
  hash: (password) => argon2.hash(password, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1 }),
  verify: (hash, password) => argon2.verify(hash, password).catch(() => false),
};

export interface EmbeddedEngine {
  url: string;
  /** logged in as the throw-away account */
  client: ApiClient;
  email: string;
  engine: Engine;
  close(): Promise<void>;
}

export async function startEmbeddedEngine(options: EmbeddedEngineOptions): Promise<EmbeddedEngine> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'skyflo-embedded-'));
  let engine: Engine | undefined;
  const cleanup = async () => {
    await engine?.close().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    let config;
    try {
      config = loadConfig({
        ...options.env,
        PORT: '0',
        HOST: '127.0.0.1',
        SKYFLO_DATA_DIR: dataDir,
        POSTGRES_DATABASE_URL: '',
        POSTGRES_DATABASE_URL_FILE: '',
        REDIS_URL: '',
        REDIS_URL_FILE: '',
        JWT_SECRET: '',
        JWT_SECRET_FILE: '',
        MCP_AUTH_TOKEN: '',
        MCP_AUTH_TOKEN_FILE: '',
        MCP_SERVER_URL: options.mcpServerUrl ?? '',
        KUBECONFIG: options.kubeconfigPath ?? options.env['KUBECONFIG'] ?? '',
        LLM_MODEL: options.llmModel ?? options.env['LLM_MODEL'] ?? '',
        ALLOW_REGISTRATION: 'false',
        TITLE_GENERATION_ENABLED: 'false',
        LOG_LEVEL: 'silent',
        ...options.settings,
      });
    } catch (error) {
      if (error instanceof ConfigError) throw new ChatError('EMBEDDED_ENGINE_FAILED', `The embedded engine's settings are invalid:\n${error.issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n')}`);
      throw error;
    }
    engine = await createEngine(config, { logger: false, passwordHasher: throwAwayAccountHasher });
    if (engine.llmProblem) {
      throw new ChatError('EMBEDDED_ENGINE_FAILED', `No usable model for the embedded engine: ${engine.llmProblem}. Pass --llm-provider and --model (e.g. --llm-provider openai --model gpt-4o with OPENAI_API_KEY), or set LLM_MODEL.`);
    }
    const url = await engine.listen();
    const client = createApiClient({ baseUrl: url });
    const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
    const password = randomBytes(24).toString('base64url');
    await client.register({ email, password, fullName: 'skyflo chat (throw-away account)' });
    await client.login({ email, password });
    return { url, client, email, engine, close: cleanup };
  } catch (error) {
    await cleanup();
    if (error instanceof ChatError) throw error;
    throw new ChatError('EMBEDDED_ENGINE_FAILED', `Could not start the embedded engine: ${error instanceof Error ? error.message : String(error)}`);
  }
}
