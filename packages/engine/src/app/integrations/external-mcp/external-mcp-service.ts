/**
 * The admin side of bringing your own MCP servers: add (connected and listed first, so a saved server is one that
 * answers), list, test, enable/disable and remove, admins only, each change committed with its audit record. Servers
 * are kept as one settings value (there are a handful per installation); the bearer token and the environment values
 * are sealed with the engine's secret box, bound to the server (and the token to its URL), and never answered.
 * A server that is disabled or removed takes its undecided approvals with it: they are denied (fail closed), so a
 * server added again under the same name can never run a call someone approved for the old one.
 */
import { randomUUID } from 'node:crypto';
import { externalToolSeparator, type CreateExternalMcpServerRequest, type ExternalMcpActsOn, type ExternalMcpOauthStartResponse, type ExternalMcpServer, type ExternalMcpTestResult, type UpdateExternalMcpServerRequest } from '@skyflo/protocol';
import type { AuthenticatedUser, ApprovalStore, AuditLog, PendingApprovalRecord, PendingCursor, SettingsStore, TransactionalStores } from '../../../platform/ports/index.ts';
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import { SkyfloError } from '../../../platform/errors/skyflo-error.ts';
import { toExternalCatalogue } from './external-catalogue.ts';
import type { ExternalConnection, ExternalTransportConfig } from './external-connection.ts';
import { deferredConnection } from './deferred-connection.ts';
import type { ExternalServerConfig, ExternalServers } from './external-servers.ts';
import type { OauthSignIns } from './oauth-sign-in.ts';

export class ExternalMcpError extends SkyfloError {
  constructor(
    readonly code: 'FORBIDDEN' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'UNREACHABLE' | 'CREDENTIALS_UNREADABLE' | 'URL_REFUSED' | 'UNKNOWN_CLUSTER' | 'NOT_OAUTH' | 'OAUTH_UNAVAILABLE',
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

export const externalMcpSettingsKey = 'external_mcp_servers';

/** What is stored: secrets sealed. */
interface StoredServer {
  id: string;
  name: string;
  toolset: string;
  transport: { type: 'stdio'; command: string[]; envNames: string[]; envSealed?: string; cwd?: string } | { type: 'http'; url: string; tokenSealed?: string; auth?: 'oauth' };
  enabled: boolean;
  held: string[];
  /** issue 74: where its tools act, as an admin declared it; absent: nowhere declared */
  actsOn?: ExternalMcpActsOn;
  /** issue 74: its tools (their own names) an admin declared not destructive */
  nonDestructive?: string[];
  createdBy?: string;
  createdAt: string;
  updatedAt: string;
}

export interface ExternalMcpService {
  list(actor: AuthenticatedUser): Promise<ExternalMcpServer[]>;
  create(actor: AuthenticatedUser, input: CreateExternalMcpServerRequest, ip?: string): Promise<ExternalMcpServer>;
  /** enables or disables it, or changes what the admin declares about its tools (issue 74) */
  update(actor: AuthenticatedUser, id: string, patch: UpdateExternalMcpServerRequest, ip?: string): Promise<ExternalMcpServer>;
  remove(actor: AuthenticatedUser, id: string, ip?: string): Promise<void>;
  test(actor: AuthenticatedUser, id: string): Promise<ExternalMcpTestResult>;
  /** issue 77: an OAuth server's sign-in page for this admin (see oauth-sign-in.ts) */
  startOauth(actor: AuthenticatedUser, id: string, ip?: string): Promise<ExternalMcpOauthStartResponse>;
  /** issue 77: the authorization server's redirect back; answers the server signed in to */
  finishOauth(actor: AuthenticatedUser, input: { state: string; code?: string; iss?: string; error?: string; errorDescription?: string }, ip?: string): Promise<{ serverId: string }>;
  /** Connects every stored, enabled server (at start-up). */
  load(): Promise<void>;
}

export interface ExternalMcpServiceDeps {
  settings: SettingsStore;
  audit: AuditLog;
  atomically?: <T>(work: (stores: Pick<TransactionalStores, 'settings' | 'audit'>) => Promise<T>) => Promise<T>;
  secretBox: SecretBox;
  servers: ExternalServers;
  approvals: Pick<ApprovalStore, 'listPending' | 'decide'>;
  /** Skyflo's own tool names (a listed tool named like one is left out); default none */
  builtInNames?: () => Promise<ReadonlySet<string>>;
  /** a connection for the check before saving; default the real one */
  connect?: (name: string, transport: ExternalTransportConfig) => ExternalConnection;
  /** the integration URL guard (link-local and cloud metadata addresses are refused), as for webhooks and Slack */
  checkUrl?: (url: string) => Promise<string | undefined>;
  /** the pinned fetch the check before saving connects through (integration-egress.ts), as the servers do */
  fetch?: typeof fetch;
  /** the configured clusters' names, to refuse an `acts_on` naming none of them; absent: not checked here (the gate still refuses) */
  clusterNames?: () => Promise<string[]>;
  /** issue 77: OAuth sign-ins and the sealed credentials they store; absent: OAuth servers cannot be added */
  oauth?: { signIns: OauthSignIns; status(serverId: string): Promise<{ signed_in: boolean; issuer?: string }>; forget(serverId: string): Promise<void> };
}

const envContext = (id: string) => `external-mcp:${id}:env`;
const tokenContext = (id: string, url: string) => `external-mcp:${id}:token:${url}`;

/** What the admin declared about a server's tools, as the catalogue reads it (external-catalogue.ts). */
const declaredOf = (server: Pick<StoredServer, 'actsOn' | 'nonDestructive'>) => ({ ...(server.actsOn ? { actsOn: server.actsOn } : {}), nonDestructive: server.nonDestructive ?? [] });

/** What an audit record says about the declarations (no secrets in them). */
const declaredDetails = (server: Pick<StoredServer, 'actsOn' | 'nonDestructive'>) => ({ acts_on: server.actsOn ?? null, non_destructive_tools: server.nonDestructive ?? [] });

function requireAdmin(actor: AuthenticatedUser): void {
  if (actor.role !== 'admin') throw new ExternalMcpError('FORBIDDEN', 'only an admin can manage MCP servers', 403);
}

export function createExternalMcpService(deps: ExternalMcpServiceDeps): ExternalMcpService {
  const atomically = deps.atomically ?? (<T>(work: (stores: Pick<TransactionalStores, 'settings' | 'audit'>) => Promise<T>) => work({ settings: deps.settings, audit: deps.audit }));
  const connect = deps.connect ?? ((name, transport) => deferredConnection({ name, transport, cacheMs: 0, ...(deps.fetch ? { fetch: deps.fetch } : {}) }));
  const read = async (settings: Pick<SettingsStore, 'get'> = deps.settings): Promise<StoredServer[]> => {
    const value = await settings.get(externalMcpSettingsKey);
    return Array.isArray(value) ? (value as StoredServer[]) : [];
  };
  const find = async (id: string) => {
    const server = (await read()).find((candidate) => candidate.id === id);
    if (!server) throw new ExternalMcpError('NOT_FOUND', `MCP server ${id} not found`, 404);
    return server;
  };

  function opened(server: StoredServer): ExternalServerConfig {
    try {
      const transport: ExternalTransportConfig =
        server.transport.type === 'stdio'
          ? { type: 'stdio', command: server.transport.command, env: server.transport.envSealed ? (JSON.parse(deps.secretBox.open(server.transport.envSealed, envContext(server.id))) as Record<string, string>) : {}, ...(server.transport.cwd ? { cwd: server.transport.cwd } : {}) }
          : { type: 'http', url: server.transport.url, ...(server.transport.tokenSealed ? { token: deps.secretBox.open(server.transport.tokenSealed, tokenContext(server.id, server.transport.url)) } : {}), ...(server.transport.auth === 'oauth' && deps.oauth ? { oauth: deps.oauth.signIns.connectionProvider({ id: server.id, name: server.name, url: server.transport.url }) } : {}) };
      return { id: server.id, name: server.name, toolset: server.toolset, transport, enabled: server.enabled, held: server.held, declared: declaredOf(server) };
    } catch {
      throw new ExternalMcpError('CREDENTIALS_UNREADABLE', `the secrets of MCP server "${server.name}" cannot be opened (SKYFLO_ENCRYPTION_KEY changed?); remove it and add it again`, 409);
    }
  }

  async function view(server: StoredServer): Promise<ExternalMcpServer> {
    const state = deps.servers.state(server.id);
    const oauth = server.transport.type === 'http' && server.transport.auth === 'oauth' ? ((await deps.oauth?.status(server.id)) ?? { signed_in: false }) : undefined;
    return {
      id: server.id,
      name: server.name,
      toolset: server.toolset,
      transport: server.transport.type === 'stdio' ? { type: 'stdio', command: server.transport.command, env_names: server.transport.envNames, ...(server.transport.cwd ? { cwd: server.transport.cwd } : {}) } : { type: 'http', url: server.transport.url, token: { set: server.transport.tokenSealed !== undefined }, ...(oauth ? { oauth } : {}) },
      enabled: server.enabled,
      status: server.enabled ? state.status : 'disabled',
      ...(state.error ? { error: state.error } : {}),
      tools: (state.catalogue?.tools ?? []).map((tool) => ({ name: tool.name, original_name: tool.external.tool, title: tool.title, read_only: tool.annotations?.readOnlyHint === true, destructive: tool.annotations?.destructiveHint === true })),
      problems: state.catalogue?.problems ?? [],
      ...(server.actsOn ? { acts_on: server.actsOn } : {}),
      non_destructive_tools: server.nonDestructive ?? [],
      created_at: server.createdAt,
      updated_at: server.updatedAt,
    };
  }

  /** An `acts_on` must name a configured cluster (when the clusters can be listed: the gate refuses one that is gone). */
  async function checkActsOn(actsOn: ExternalMcpActsOn | undefined): Promise<void> {
    if (!actsOn || !deps.clusterNames) return;
    const names = await deps.clusterNames().catch(() => undefined);
    if (names && names.length > 0 && !names.includes(actsOn.cluster)) {
      throw new ExternalMcpError('UNKNOWN_CLUSTER', `acts_on.cluster "${actsOn.cluster}" is not a configured cluster; the clusters are ${names.join(', ')}.`, 400);
    }
  }

  /** Undecided calls of the server's tools are denied: nobody can approve a call to a server that is gone. */
  async function closePending(actor: AuthenticatedUser, server: StoredServer, why: 'disabled' | 'removed' | 'redeclared'): Promise<void> {
    // every page of the queue (issue 79: a queue longer than one read left calls open to a server that is gone)
    const pending: PendingApprovalRecord[] = [];
    for (let after: PendingCursor | undefined; ; ) {
      const page = await deps.approvals.listPending({ limit: 500, ...(after ? { after } : {}) });
      pending.push(...page.filter((candidate) => candidate.tool.startsWith(`${server.name}${externalToolSeparator}`)));
      const last = page.at(-1);
      if (page.length < 500 || !last) break;
      after = { requestedAt: last.requestedAt, conversationId: last.conversationId, callId: last.callId };
    }
    for (const record of pending) {
      const what = why === 'redeclared' ? 'given another declaration (where its tools act, or which of them are destructive)' : why;
      const reason = `Not executed: the external MCP server "${server.name}" was ${what} before this call was decided.`;
      await deps.approvals.decide({
        conversationId: record.conversationId,
        callId: record.callId,
        approve: false,
        decidedBy: actor.id,
        reason,
        decisionRunId: `external-mcp-${why}-${server.id}`,
        audit: { actorId: actor.id, action: 'approval.denied', subjectType: 'tool_call', subjectId: record.callId, details: { conversation_id: record.conversationId, tool: record.tool, args_hash: record.argsHash, reason } },
      });
    }
  }

  const audited = (actor: AuthenticatedUser, change: string, server: StoredServer, ip: string | undefined, details: Record<string, unknown> = {}) => ({
    actorId: actor.id,
    action: `external_mcp.${change}`,
    subjectType: 'external_mcp_server',
    subjectId: server.id,
    details: { name: server.name, toolset: server.toolset, transport: server.transport.type, ...details },
    ...(ip ? { ip } : {}),
  });

  const service: ExternalMcpService = {
    async list(actor) {
      requireAdmin(actor);
      return Promise.all((await read()).map(view));
    },

    async create(actor, input, ip) {
      requireAdmin(actor);
      const existing = await read();
      if (existing.some((server) => server.name === input.name)) throw new ExternalMcpError('ALREADY_EXISTS', `an MCP server named "${input.name}" already exists; remove it first or choose another name`, 409);
      if (input.transport.type === 'http') {
        const refused = await deps.checkUrl?.(input.transport.url);
        if (refused) throw new ExternalMcpError('URL_REFUSED', `the MCP server was not added: ${refused}`, 400);
      }
      await checkActsOn(input.acts_on);
      const oauth = input.transport.type === 'http' && input.transport.auth?.type === 'oauth';
      if (oauth && !deps.oauth) throw new ExternalMcpError('OAUTH_UNAVAILABLE', 'this engine cannot be an OAuth client (no database for its credentials)', 400);
      const transport: ExternalTransportConfig = input.transport.type === 'stdio' ? { type: 'stdio', command: input.transport.command, env: input.transport.env ?? {}, ...(input.transport.cwd ? { cwd: input.transport.cwd } : {}) } : { type: 'http', url: input.transport.url, ...(input.transport.token ? { token: input.transport.token } : {}) };
      // A saved server is one that answers: connect and list before anything is stored. An OAuth server cannot list
      // before an admin signs in: it is saved first, and its listing is checked (and gated) when it first connects.
      let held: string[] = [];
      if (!oauth) {
        const probe = connect(input.name, transport);
        try {
          const listed = await probe.listTools({ refresh: true });
          held = toExternalCatalogue({ server: input.name, toolset: input.toolset, listed, held: [], builtIn: (await deps.builtInNames?.()) ?? new Set() }).gated;
        } catch (error) {
          throw new ExternalMcpError('UNREACHABLE', `MCP server "${input.name}" was not saved: ${error instanceof Error ? error.message : String(error)}`, 400);
        } finally {
          await probe.close();
        }
      }
      const id = randomUUID();
      const now = new Date().toISOString();
      const server: StoredServer = {
        id,
        name: input.name,
        toolset: input.toolset,
        transport:
          input.transport.type === 'stdio'
            ? { type: 'stdio', command: input.transport.command, envNames: Object.keys(input.transport.env ?? {}).sort(), ...(input.transport.env && Object.keys(input.transport.env).length > 0 ? { envSealed: deps.secretBox.seal(JSON.stringify(input.transport.env), envContext(id)) } : {}), ...(input.transport.cwd ? { cwd: input.transport.cwd } : {}) }
            : { type: 'http', url: input.transport.url, ...(input.transport.token ? { tokenSealed: deps.secretBox.seal(input.transport.token, tokenContext(id, input.transport.url)) } : {}), ...(oauth ? { auth: 'oauth' as const } : {}) },
        enabled: input.enabled ?? true,
        held,
        ...(input.acts_on ? { actsOn: input.acts_on } : {}),
        ...(input.non_destructive_tools?.length ? { nonDestructive: [...new Set(input.non_destructive_tools)].sort() } : {}),
        createdBy: actor.id,
        createdAt: now,
        updatedAt: now,
      };
      await atomically(async ({ settings, audit }) => {
        const current = await read(settings);
        if (current.some((other) => other.name === server.name)) throw new ExternalMcpError('ALREADY_EXISTS', `an MCP server named "${input.name}" already exists`, 409);
        await settings.put(externalMcpSettingsKey, [...current, server]);
        await audit.record(audited(actor, 'created', server, ip, { enabled: server.enabled, ...declaredDetails(server), ...(server.transport.type === 'stdio' ? { command: server.transport.command[0], env_names: server.transport.envNames } : { url: server.transport.url, token_set: server.transport.tokenSealed !== undefined, oauth }) }));
      });
      deps.servers.put(opened(server));
      if (server.enabled) await deps.servers.refresh(id);
      return await view(server);
    },

    async update(actor, id, patch, ip) {
      requireAdmin(actor);
      const server = await find(id);
      if (patch.acts_on) await checkActsOn(patch.acts_on);
      const actsOn = patch.acts_on === undefined ? server.actsOn : (patch.acts_on ?? undefined);
      const nonDestructive = patch.non_destructive_tools === undefined ? server.nonDestructive : [...new Set(patch.non_destructive_tools)].sort();
      const { actsOn: _previousActsOn, nonDestructive: _previousNonDestructive, ...rest } = server;
      const updated: StoredServer = { ...rest, enabled: patch.enabled ?? server.enabled, ...(actsOn ? { actsOn } : {}), ...(nonDestructive?.length ? { nonDestructive } : {}), updatedAt: new Date().toISOString() };
      const redeclared = JSON.stringify(declaredDetails(updated)) !== JSON.stringify(declaredDetails(server));
      const toggled = updated.enabled !== server.enabled;
      await atomically(async ({ settings, audit }) => {
        const current = await read(settings);
        await settings.put(externalMcpSettingsKey, current.map((other) => (other.id === id ? { ...updated, held: other.held } : other)));
        if (toggled) await audit.record(audited(actor, updated.enabled ? 'enabled' : 'disabled', updated, ip));
        if (redeclared) await audit.record(audited(actor, 'redeclared', updated, ip, { from: declaredDetails(server), to: declaredDetails(updated) }));
      });
      deps.servers.put(opened(updated));
      // Calls still waiting were shown (and bound) under the old declaration, or run on a server now off: denied.
      if (!updated.enabled) await closePending(actor, server, 'disabled');
      else {
        if (redeclared) await closePending(actor, server, 'redeclared');
        await deps.servers.refresh(id);
      }
      return await view(updated);
    },

    async remove(actor, id, ip) {
      requireAdmin(actor);
      const server = await find(id);
      await atomically(async ({ settings, audit }) => {
        await settings.put(externalMcpSettingsKey, (await read(settings)).filter((other) => other.id !== id));
        await audit.record(audited(actor, 'removed', server, ip));
      });
      await deps.servers.remove(id);
      await deps.oauth?.forget(id);
      await closePending(actor, server, 'removed');
    },

    async test(actor, id) {
      requireAdmin(actor);
      const server = await find(id);
      const started = Date.now();
      if (!server.enabled) {
        const probe = connect(server.name, opened(server).transport);
        try {
          const listed = await probe.listTools({ refresh: true });
          const catalogue = toExternalCatalogue({ server: server.name, toolset: server.toolset, listed, held: server.held, builtIn: new Set() });
          return { ok: true, latency_ms: Date.now() - started, tools: catalogue.tools.length, ...(catalogue.problems.length > 0 ? { problems: catalogue.problems } : {}) };
        } catch (error) {
          return { ok: false, latency_ms: Date.now() - started, error: error instanceof Error ? error.message : String(error) };
        } finally {
          await probe.close();
        }
      }
      const state = await deps.servers.refresh(id);
      if (state.status !== 'connected') return { ok: false, latency_ms: Date.now() - started, error: state.error ?? 'not connected' };
      return { ok: true, latency_ms: Date.now() - started, tools: state.catalogue?.tools.length ?? 0, ...(state.catalogue?.problems.length ? { problems: state.catalogue.problems } : {}) };
    },

    async startOauth(actor, id, ip) {
      requireAdmin(actor);
      const server = await find(id);
      if (server.transport.type !== 'http' || server.transport.auth !== 'oauth' || !deps.oauth) throw new ExternalMcpError('NOT_OAUTH', `MCP server "${server.name}" does not use OAuth (it was added with a token or as a command)`, 400);
      const started = await deps.oauth.signIns.start(actor.id, { id: server.id, name: server.name, url: server.transport.url });
      await deps.audit.record(audited(actor, 'oauth_started', server, ip));
      return { authorization_url: started.authorizationUrl, expires_at: started.expiresAt.toISOString() };
    },

    async finishOauth(actor, input, ip) {
      requireAdmin(actor);
      if (!deps.oauth) throw new ExternalMcpError('OAUTH_UNAVAILABLE', 'this engine cannot be an OAuth client', 400);
      const { serverId, issuer } = await deps.oauth.signIns.finish(actor.id, input, async (serverId) => {
        const server = await find(serverId);
        return { id: server.id, name: server.name, url: server.transport.type === 'http' ? server.transport.url : '' };
      });
      const server = await find(serverId);
      await deps.audit.record(audited(actor, 'oauth_signed_in', server, ip, { issuer }));
      // connected again with the new tokens (a fresh provider reads them), and listed now
      deps.servers.put(opened(server));
      if (server.enabled) await deps.servers.refresh(serverId);
      return { serverId };
    },

    async load() {
      for (const server of await read()) {
        try {
          deps.servers.put(opened(server));
        } catch {
          // unreadable secrets: listed with its error by the admin page, never connected
        }
      }
    },
  };
  return service;
}

/** Persists the tools that became gated (external-servers.ts `onGated`), with their audit record. */
export function recordGatedTools(deps: Pick<ExternalMcpServiceDeps, 'settings' | 'audit' | 'atomically'>) {
  const atomically = deps.atomically ?? (<T>(work: (stores: Pick<TransactionalStores, 'settings' | 'audit'>) => Promise<T>) => work({ settings: deps.settings, audit: deps.audit }));
  return (serverId: string, gated: string[]) =>
    atomically(async ({ settings, audit }) => {
      const value = await settings.get(externalMcpSettingsKey);
      const current = Array.isArray(value) ? (value as StoredServer[]) : [];
      const server = current.find((candidate) => candidate.id === serverId);
      if (!server) return;
      const added = gated.filter((tool) => !server.held.includes(tool));
      const held = [...new Set([...server.held, ...gated])].sort();
      await settings.put(externalMcpSettingsKey, current.map((other) => (other.id === serverId ? { ...other, held } : other)));
      if (added.length > 0) await audit.record({ action: 'external_mcp.tools_gated', subjectType: 'external_mcp_server', subjectId: serverId, details: { name: server.name, tools: added } });
    });
}
