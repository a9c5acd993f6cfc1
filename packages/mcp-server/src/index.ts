/** Public surface of @skyflo/mcp-server. */
export { createMcpServer, listToolCatalogue, SERVER_INFO, type CatalogueEntry, type CreateMcpServerOptions } from './create-mcp-server.ts';
export { createToolDeps, defaultToolSettings } from './create-tool-deps.ts';
export { startMcpHttpServer, type McpHttpServer, type StartMcpHttpServerOptions } from './http/start-mcp-http-server.ts';
export { checkReadiness, type Readiness } from './http/check-readiness.ts';
export { connectInProcess } from './connect-in-process.ts';
export { runTool, isCallable } from './tools/run-tool.ts';
export { allTools } from './tools/catalogue.ts';
export { previewMetaKey, previewToolCallName } from './tools/preview/preview-tool-call.ts';
export { ToolInputError, toolError } from './errors.ts';
export { createCommandRunner } from './exec/create-command-runner.ts';
export { createFakeCommandRunner, type FakeCommandRunner } from './exec/fake-command-runner.ts';
export { redactObject, redactText } from './redaction/redact.ts';
export { applyOutputBudget, estimateTokens } from './budgets/apply-output-budget.ts';
export type { ToolDeps, ToolSettings, JenkinsCredentialResolver } from './tools/deps.ts';
export type { AnyToolDefinition, ToolDefinition, ToolOutput, ToolAnnotations, Toolset } from './tools/tool-definition.ts';
export type { CommandRunner, CommandRequest, CommandResult } from './exec/command-runner.ts';
