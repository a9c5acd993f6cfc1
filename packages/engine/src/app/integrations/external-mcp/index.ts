/**
 * Bring your own MCP servers (issue 39 item 4), wired: the servers (connections and catalogues), the gateway that puts
 * their tools beside Skyflo's own behind the one gate, and the admin service. create-engine.ts calls this once.
 */
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import type { IntegrationEgress } from '../integration-egress.ts';
import type { ToolGateway } from '../../../platform/ports/tool-gateway.ts';
import type { PlatformStorage } from '../../../platform/ports/index.ts';
import { createExternalMcpService, recordGatedTools, type ExternalMcpService } from './external-mcp-service.ts';
import { createExternalServers, type ExternalServersOptions } from './external-servers.ts';
import { withExternalServers } from './external-tool-gateway.ts';
import { createOauthSignIns } from './oauth-sign-in.ts';

export { externalMcpSettingsKey, type ExternalMcpService } from './external-mcp-service.ts';
export { clientMetadataDocument } from './oauth-client.ts';

export interface ExternalMcp {
  /** Skyflo's own tools and the external servers' */
  tools: ToolGateway;
  service: ExternalMcpService;
  /** connects the stored servers (their secrets opened from the database) */
  load(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `egress` is integration-egress.ts's guard and pinned fetch: a URL is checked before it is saved, and every request
 * to the server connects only to an address that check accepts (no DNS rebinding between the two).
 */
export function createExternalMcp(deps: {
  storage: Pick<PlatformStorage, 'settings' | 'audit' | 'atomically' | 'approvals' | 'externalMcpOauth'>;
  secretBox: SecretBox;
  ownTools: ToolGateway;
  egress?: Pick<IntegrationEgress, 'checkUrl' | 'fetch'>;
  options?: Omit<ExternalServersOptions, 'onGated' | 'fetch'>;
  /** the configured clusters' names: a server's `acts_on` must name one */
  clusterNames?: () => Promise<string[]>;
  /** the engine's public address (public-url-service.ts): an OAuth server's client id and redirect URI live there */
  publicUrl?: () => string;
}): ExternalMcp {
  const { storage } = deps;
  const atomically = <T>(work: Parameters<PlatformStorage['atomically']>[0] extends (stores: infer S) => Promise<unknown> ? (stores: S) => Promise<T> : never) => storage.atomically(work);
  const servers = createExternalServers({ ...deps.options, ...(deps.egress ? { fetch: deps.egress.fetch } : {}), onGated: recordGatedTools({ settings: storage.settings, audit: storage.audit, atomically }) });
  // issue 77: Skyflo as an OAuth client; what a sign-in gets is sealed per (server, issuer) in the database
  const store = storage.externalMcpOauth;
  const signIns = createOauthSignIns({ store, secretBox: deps.secretBox, publicUrl: deps.publicUrl ?? (() => ''), ...(deps.egress ? { fetch: deps.egress.fetch } : {}) });
  const oauth = {
    signIns,
    async status(serverId: string) {
      const [held] = (await store.list(serverId)).filter((row) => row.tokensSealed);
      return held ? { signed_in: true, issuer: held.issuer } : { signed_in: false };
    },
    forget: (serverId: string) => store.removeServer(serverId),
  };
  const service = createExternalMcpService({
    oauth,
    settings: storage.settings,
    audit: storage.audit,
    atomically,
    secretBox: deps.secretBox,
    servers,
    approvals: storage.approvals,
    builtInNames: async () => new Set((await deps.ownTools.listTools().catch(() => [])).map((tool) => tool.name)),
    ...(deps.egress ? { checkUrl: deps.egress.checkUrl, fetch: deps.egress.fetch } : {}),
    ...(deps.clusterNames ? { clusterNames: deps.clusterNames } : {}),
  });
  return { tools: withExternalServers(deps.ownTools, servers), service, load: () => service.load(), close: () => servers.close() };
}
