/**
 * @skyflo/engine/testing: the engine's test helpers for suites outside this package (bench/, e2e/, evals/): the agent
 * routes on an ephemeral port, in-memory storage, a fake MCP server, and an SSE reader. Never imported by the engine
 * itself; see docs/adr/0007-package-boundaries.md.
 */
export { startAgentTestApp, type AgentTestApp, type AgentTestAppDeps } from './agent-test-app.ts';
export { startFakeMcpServer, type FakeMcpServer } from './fake-mcp-server.ts';
export { createInMemoryApprovalStore, createInMemoryConversationStore, createInMemoryRunStore, createInMemoryStorage } from './in-memory-storage.ts';
export { iterateSse, readSse, type SseFrame } from './read-sse.ts';
