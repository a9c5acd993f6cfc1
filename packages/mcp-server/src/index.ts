/** Public surface of @skyflo/mcp-server. */
export { createMcpServer, listToolCatalogue, SERVER_INFO, type CatalogueEntry, type CreateMcpServerOptions } from './create-mcp-server.ts';
export { createToolDeps, defaultToolSettings } from './create-tool-deps.ts';
export { startMcpHttpServer, type McpHttpServer, type StartMcpHttpServerOptions } from './start-mcp-http-server.ts';
export { checkReadiness, type Readiness } from './http/check-readiness.ts';
export { connectInProcess } from './connect-in-process.ts';
export { cachedSchemaValidator, sharedSchemaValidator } from './cached-schema-validator.ts';
export { runTool, isCallable } from './tools/run-tool.ts';
export { allTools } from './catalogue.ts';
export { isPreviewable } from './tools/preview/preview-tool-call.ts';
// The engine ↔ MCP contract (toolsets, annotations, `_meta` keys, preview_tool_call's arguments and result) is
// @skyflo/protocol's mcp-wire.ts: clients import it from there.
// The risk and redaction rules live in @skyflo/safety; re-exported so the server's public surface is unchanged.
export * from '@skyflo/safety';
export { chartDigestPattern, defaultChartCacheDir } from './tools/helm/chart-cache.ts';
export { ToolInputError, toolError, type ToolErrorCode } from './contract/errors.ts';
export { createCommandRunner } from './exec/create-command-runner.ts';
export { createFakeCommandRunner, type FakeCommandRunner } from './exec/fake-command-runner.ts';
export { applyOutputBudget, estimateTokens } from './budgets/apply-output-budget.ts';
export type { ToolDeps, ToolSettings, JenkinsCredentialResolver } from './deps/deps.ts';
export type { AnyToolDefinition, ToolCallDescription, ToolCallResolution, ToolDefinition, ToolOutput } from './contract/tool-definition.ts';
export type { CommandRunner, CommandRequest, CommandResult } from './exec/command-runner.ts';
export type { ObservabilitySource, ObservabilitySources } from './tools/observability/data-sources.ts';
export { confirmModes, defaultConfirmMode, parseConfirmMode, type ConfirmMode } from './confirm/confirm-mode.ts';
export { textOutputShape, withTextOutput } from './tools/output-shapes.ts';
// Clusters (issue 22): the registry behind every tool's `context`, for the engine and for tools outside the families.
export { depsForContext, clusterRegistryOf } from './kube/context-deps.ts';
export { parseClusterLabels, UnknownClusterError } from './kube/cluster-registry.ts';
export type { ClusterEntry, ClusterRegistry } from './deps/cluster-registry.ts';
export { listClusterStatuses, describeClusterPermissions } from './kube/cluster-status.ts';
export { reportClusters } from './kube/report-clusters.ts';
export { listClustersName } from './tools/clusters/list-clusters.ts';
