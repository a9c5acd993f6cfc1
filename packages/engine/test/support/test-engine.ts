/**
 * A whole engine for the platform's HTTP tests: real config parsing, accounts, routes and storage (PGlite in
 * memory, shared per test file), with the agent's fake MCP server as tools and no model. Driven with inject().
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from './test-databases.ts';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createPasswordHasher } from '../../src/app/accounts/password-hasher.ts';
import { loadConfig, type Environment } from '../../src/platform/config/index.ts';
import { createEngine, type Engine, type EngineOverrides } from '../../src/create-engine.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { expect } from 'vitest';

export interface TestEngine {
  engine: Engine;
  mcp: FakeMcpServer;
  request(options: InjectOptions & { token?: string }): Promise<LightMyRequestResponse>;
  /** registers (when allowed) and logs in; returns the bearer token */
  signUp(email: string, password?: string): Promise<string>;
  login(email: string, password?: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const testPassword = 'correct horse battery';

export interface TestEngineOptions {
  lite: PGlite;
  env?: Environment;
  /** the model; 'from-config' builds it from env (LLM_MODEL, or saved settings) as `skyflo serve` does; default: none */
  llm?: EngineOverrides['llm'] | 'from-config';
  /** the tool gateway; default: the fake MCP server */
  tools?: ToolGateway;
  logger?: EngineOverrides['logger'];
  /** how integration host names resolve (a stub: no network); default: the system's DNS */
  resolveHost?: EngineOverrides['resolveHost'];
  /** what the fake MCP server offers beyond its defaults (the clusters its list_clusters reports) */
  fakeMcp?: Parameters<typeof startFakeMcpServer>[0];
}

export async function startTestEngine(options: TestEngineOptions): Promise<TestEngine> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-engine-test-'));
  // Engines of one test share a database, so they share its keys, as replicas do.
  const config = loadConfig({
    SKYFLO_DATA_DIR: dataDir,
    JWT_SECRET: 'test-secret-that-is-long-enough-1234567890',
    SKYFLO_ENCRYPTION_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const storage = await createPgliteStorage({ lite: options.lite });
  const mcp = await startFakeMcpServer(options.fakeMcp);
  const tools = options.tools ?? createToolGateway({ client: mcp.client });
  const llm = options.llm === 'from-config' ? {} : { llm: options.llm ?? { model: undefined, modelName: 'none', problem: 'no model in this test' } };
  const engine = await createEngine(config, { storage, tools, logger: options.logger ?? false, passwordHasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1 }), ...llm, ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}) });

  const request: TestEngine['request'] = ({ token, headers, ...rest }) =>
    engine.app.inject({ ...rest, headers: { ...(headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const login = (email: string, password = testPassword) =>
    request({ method: 'POST', url: '/api/v1/auth/jwt/login', payload: new URLSearchParams({ username: email, password }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  return {
    engine,
    mcp,
    request,
    login,
    async signUp(email, password = testPassword) {
      const registered = await request({ method: 'POST', url: '/api/v1/auth/register/register', payload: { email, password } });
      if (registered.statusCode !== 201) throw new Error(`register ${email}: ${registered.statusCode} ${registered.body}`);
      const loggedIn = await login(email, password);
      if (loggedIn.statusCode !== 200) throw new Error(`login ${email}: ${loggedIn.statusCode} ${loggedIn.body}`);
      return loggedIn.json().access_token as string;
    },
    async close() {
      await engine.close();
      await storage.close();
      await mcp.close();
    },
  };
}

/**
 * Engines that chat with one llm-sim, each on its own in-memory database, all closed by `closeAll` (afterAll): for
 * test files that try several configurations (approval policies, METRICS_TOKEN…).
 */
export function simEngineFleet(sim: () => { url: string }) {
  const started: Array<{ engine: TestEngine; lite: PGlite }> = [];
  return {
    async start(env: Environment = {}, options: Pick<TestEngineOptions, 'fakeMcp'> = {}): Promise<TestEngine> {
      const lite = await newTestPglite();
      const engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false', ...env }, llm: simModel(sim()), ...options });
      started.push({ engine, lite });
      return engine;
    },
    async closeAll(): Promise<void> {
      for (const { engine, lite } of started.splice(0)) {
        await engine.close();
        await lite.close();
      }
    },
  };
}

/** Sends a request through `engine().request` (expects 200, the body as the message otherwise) and reads the SSE frames. */
export function sseThrough(engine: () => TestEngine) {
  return async (options: Parameters<TestEngine['request']>[0]): Promise<SseFrame[]> => {
    const response = await engine().request(options);
    expect(response.statusCode, response.body).toBe(200);
    return readSse(new Response(response.body));
  };
}

/** The model for an engine under test: llm-sim through the real OpenAI-compatible provider. */
export function simModel(sim: { url: string }): NonNullable<EngineOverrides['llm']> {
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  return { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' };
}

/** The value of a Set-Cookie header by cookie name, with its attributes. */
export function cookieFrom(response: LightMyRequestResponse, name: string): { value: string; httpOnly: boolean; path?: string; expires?: Date; maxAge?: number } | undefined {
  const cookie = response.cookies.find((candidate) => candidate.name === name);
  if (!cookie) return undefined;
  return { value: cookie.value, httpOnly: Boolean(cookie.httpOnly), path: cookie.path, expires: cookie.expires, maxAge: cookie.maxAge };
}
