/**
 * Integrations for the composition root (create-engine.ts): the MCP servers an admin connected (issue 39 item 4:
 * their tools beside ours behind the same gate), the integrations (Jenkins, data sources, in the database's or the
 * cluster's vault) and their routes.
 */
import type { Config } from '../platform/config/index.ts';
import type { SecretBox } from '../platform/crypto/secret-box.ts';
import type { MountedRoutes } from '../http/app.ts';
import { externalMcpRoutes, type ExternalMcpRouteDeps } from '../http/routes/external-mcp/index.ts';
import { integrationRoutes, type IntegrationRouteDeps } from '../http/routes/integrations/index.ts';
import type { CheckJenkinsCredentials } from '../app/integrations/check-jenkins-credentials.ts';
import { createDatabaseVault, createKubernetesVault } from '../app/integrations/credential-vault.ts';
import { createExternalMcp, type ExternalMcp } from '../app/integrations/external-mcp/index.ts';
import { createIntegrationEgress } from '../app/integrations/integration-egress.ts';
import { createIntegrationService } from '../app/integrations/integration-service.ts';
import { createIntegrationUrlGuard, type ResolveHost } from '../app/integrations/integration-url-guard.ts';
import { createKubernetesSecretClient } from '../app/integrations/kubernetes-secret-client.ts';
import type { ToolGateway } from '../platform/ports/tool-gateway.ts';
import type { PlatformStorage } from '../platform/ports/index.ts';
import { lazyDataSourceCheck, lazyJenkinsCredentialCheck } from './startup/lazy-dependencies.ts';
import type { TeamFeatures } from './team-features.ts';

export interface ExternalMcpServersDeps {
  storage: PlatformStorage;
  secretBox: SecretBox;
  /** the embedded (or remote) MCP server's tools */
  ownTools: ToolGateway;
  /** how host names resolve (tests: a stub; default: DNS) */
  resolveHost?: ResolveHost;
  /** an external server's declared cluster must be one of ours (read when an admin adds one) */
  clusterNames: () => Promise<string[]>;
  /** its OAuth client id (CIMD) and redirect URI are at the public address (read when used) */
  publicUrl: () => string;
}

/** Issue 39 item 4: the MCP servers an admin connected, their tools beside ours behind the same gate. */
export function createExternalMcpServers(deps: ExternalMcpServersDeps) {
  const egress = createIntegrationEgress(deps.resolveHost ? { resolve: deps.resolveHost } : {});
  const externalMcp = createExternalMcp({ storage: deps.storage, secretBox: deps.secretBox, ownTools: deps.ownTools, egress, clusterNames: deps.clusterNames, publicUrl: deps.publicUrl });
  // closed in reverse: the servers, then their egress
  return { externalMcp, closers: [() => egress.close(), () => externalMcp.close()] };
}

export interface IntegrationsDeps {
  config: Pick<Config, 'integrations' | 'server'>;
  storage: PlatformStorage;
  secretBox: SecretBox;
  resolveHost?: ResolveHost;
  /** how credentials are checked against Jenkins (default: over HTTP with a 10 s timeout) */
  checkJenkinsCredentials?: CheckJenkinsCredentials;
  /** asked when an admin saves a data source for a cluster (used only later) */
  clusterNames: () => Promise<string[]>;
  externalMcp: ExternalMcp;
  team: Pick<TeamFeatures, 'webhooks' | 'slack' | 'teams' | 'publicUrl'>;
}

export async function createIntegrations(deps: IntegrationsDeps) {
  const { config, storage, resolveHost, team } = deps;
  const service = createIntegrationService({
    store: storage.integrations,
    atomically: (work) => storage.atomically(work),
    vault:
      config.integrations.backend === 'kubernetes'
        ? createKubernetesVault({ namespace: config.integrations.secretNamespace, secrets: await createKubernetesSecretClient(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}) })
        : createDatabaseVault(deps.secretBox),
    audit: storage.audit,
    checkCredentials: deps.checkJenkinsCredentials ?? lazyJenkinsCredentialCheck({ timeoutMs: 10_000, ...(resolveHost ? { resolve: resolveHost } : {}) }),
    ...(resolveHost ? { checkUrl: createIntegrationUrlGuard({ resolve: resolveHost }) } : {}),
    checkDataSource: lazyDataSourceCheck({ timeoutMs: 10_000, ...(resolveHost ? { resolve: resolveHost } : {}) }),
    clusterNames: deps.clusterNames,
  });
  const routes: MountedRoutes<any>[] = [
    { plugin: integrationRoutes, options: { integrations: service, webhooks: team.webhooks, slack: team.slack, teams: team.teams } satisfies IntegrationRouteDeps },
    { plugin: externalMcpRoutes, options: { externalMcp: deps.externalMcp.service, publicUrl: () => team.publicUrl.base() } satisfies ExternalMcpRouteDeps },
  ];
  return { service, routes };
}
