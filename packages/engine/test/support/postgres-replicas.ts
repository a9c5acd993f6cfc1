/**
 * Replicas of one install for the tests that check "once across replicas": engines on one Postgres database (so
 * they share its keys and rows, as replicas do), each with its own data directory, the scripted model and the fake
 * MCP server's tools. Not listening until the test asks (`engine.listen()`), and closed together.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LlmSim } from '@skyflo/testkit/llm-sim';
import { createPasswordHasher } from '../../src/app/accounts/password-hasher.ts';
import { loadConfig, type Environment } from '../../src/platform/config/index.ts';
import { createEngine, type Engine, type EngineOverrides } from '../../src/create-engine.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';

export interface PostgresReplicas {
  /** one more replica, with these settings on top of the shared ones */
  start(overrides?: Partial<EngineOverrides>): Promise<Engine>;
  readonly engines: readonly Engine[];
  closeAll(): Promise<void>;
}

export function postgresReplicas(shared: { databaseUrl: string; sim: LlmSim; mcp: FakeMcpServer; env?: Environment }): PostgresReplicas {
  const engines: Engine[] = [];
  return {
    engines,
    async start(overrides = {}) {
      const config = loadConfig({
        PORT: '0',
        SKYFLO_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'skyflo-replica-')),
        JWT_SECRET: 'replica-test-secret-that-is-long-enough-0123456789',
        SKYFLO_ENCRYPTION_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
        LLM_MODEL: 'openai-compatible/sim-model',
        LLM_HOST: shared.sim.url,
        TITLE_GENERATION_ENABLED: 'false',
        LOG_LEVEL: 'silent',
        POSTGRES_DATABASE_URL: shared.databaseUrl,
        ...shared.env,
      });
      const engine = await createEngine(config, { tools: createToolGateway({ client: shared.mcp.client }), logger: false, passwordHasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1 }), ...overrides });
      engines.push(engine);
      return engine;
    },
    async closeAll() {
      for (const engine of engines) await engine.close().catch(() => undefined);
    },
  };
}
