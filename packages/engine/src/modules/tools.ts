/**
 * The tools adapter for the composition root (create-engine.ts): the embedded (or remote) MCP server's gateway,
 * imported only when first needed or after the engine listens.
 */
import path from 'node:path';
import type { Config } from '../platform/config/index.ts';
import { createDeferredToolGateway } from './startup/deferred-tool-gateway.ts';

/** The embedded (or remote) MCP server's gateway, imported only when first needed or after the engine listens. */
export function deferToolGateway(config: Config) {
  return createDeferredToolGateway(async () => {
    const { createToolGateway } = await import('../adapters/mcp/create-tool-gateway.ts');
    return createToolGateway(
      config.server.mcpServerUrl
        ? { url: config.server.mcpServerUrl, ...(config.server.mcpAuthToken ? { authToken: config.server.mcpAuthToken } : {}), cacheMs: config.agent.toolListCacheMs }
        : {
            embedded: {
              ...(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}),
              ...(config.server.dryRunProxy ? { dryRunProxyEnv: config.server.dryRunProxy } : {}),
              helmAllowedRegistries: config.server.helmAllowedRegistries,
              ...(config.server.helmChartDirs.length ? { helmChartDirs: config.server.helmChartDirs } : {}),
              clusterLabels: config.server.clusterLabels,
              helmChartCacheDir: config.server.helmChartCacheDir ?? path.join(config.storage.dataDir, 'helm-charts'),
              integrationsNamespace: config.integrations.secretNamespace,
            },
            cacheMs: config.agent.toolListCacheMs,
          },
    );
  });
}
