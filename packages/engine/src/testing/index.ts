/**
 * @skyflo/engine/testing: the engine's test helpers for suites outside this package (bench/, e2e/, evals/): the agent
 * routes on an ephemeral port, in-memory storage, a fake MCP server, and an SSE reader. Never imported by the engine
 * itself; see docs/adr/0007-package-boundaries.md.
 */
export { startAgentTestApp, type AgentTestApp, type AgentTestAppDeps } from './agent-test-app.ts';
export { startFakeMcpServer, type FakeMcpServer } from './fake-mcp-server.ts';
export { createInMemoryApprovalStore, createInMemoryConversationStore, createInMemoryRunStore, createInMemoryStorage } from './in-memory-storage.ts';
export { iterateSse, readSse, type SseFrame } from './read-sse.ts';

// The parts a bench (or a suite that assembles its own engine) wires together itself, so it need not reach into
// src/ by path. Product code keeps importing them from their own modules.
export { agentConfig } from '../config/agent.ts';
export { createEventBus } from '../bus/create-event-bus.ts';
export { createMemoryEventBus } from '../bus/memory-event-bus.ts';
export { createRedisEventBus } from '../bus/redis-event-bus.ts';
export { createToolGateway } from '../mcp/create-tool-gateway.ts';
export { createLanguageModel } from '../llm/create-language-model.ts';
export { createIdleTimeoutFetch } from '../llm/idle-timeout-fetch.ts';
export { createRequestFetch } from '../llm/request-fetch.ts';
export { llmConfigSchema } from '../config/llm.ts';
export { createPgliteStorage } from '../storage/pglite-storage.ts';
export { createPostgresStorage } from '../storage/postgres-storage.ts';
export { exposeTools, toModelTools } from '../graph/tool-exposure.ts';
export { validatedPrompt } from '../graph/model-stream.ts';
export { systemPrompt } from '../prompts/system-prompt.ts';
export { registerAuthenticate } from '../http/plugins/authenticate.ts';
export { registerErrorHandler } from '../http/plugins/error-handler.ts';
export { auditRoutes } from '../http/routes/audit/index.ts';
export type { ReadyEventBus } from '../bus/bus-types.ts';
export type { ToolGateway } from '../mcp/tool-gateway.ts';
// The audit bench (bench/audit-append.ts) replays the chain's previous append beside today's, on the same schema.
export { GENESIS_HASH, hashAuditRecord } from '../audit/audit-chain.ts';
export type { SkyfloDatabase } from '../storage/database.ts';
export { openEmbeddedDatabase } from '../storage/embedded-database.ts';
// The cold-start bench (bench/release-start.ts) opens PGlite alone as the engine's thread does, for its floor, and
// times the template's copy alone as a fresh start makes it.
export { pgliteStartParams } from '../storage/pglite-start-params.ts';
export { defaultPgliteTemplateDir, seedFromPgliteTemplate } from '../storage/pglite-template.ts';
export { auditEvents, schema } from '../storage/schema.ts';
// Large audit trails for the verify suite and the audit growth bench (bench/audit-growth.ts).
export { appendAuditInBulk, type BulkAuditOptions } from './bulk-audit.ts';
export { savePausedTurn } from './paused-turn.ts';
