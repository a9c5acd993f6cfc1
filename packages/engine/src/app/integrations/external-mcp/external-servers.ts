/**
 * The external MCP servers the engine is connected to: one connection per enabled server, their catalogues (see
 * external-catalogue.ts) and one version number that changes whenever what the model may be offered changes (a server
 * added, removed, enabled or disabled, connected or lost, its listing changed). The model's tool cache is keyed by the
 * catalogue array, which the gateway (external-tool-gateway.ts) rebuilds whenever this version moves.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { externalToolSeparator } from '@skyflo/protocol';
import { toExternalCatalogue, type AdminDeclarations, type ExternalCatalogue, type ExternalTool, type ListedExternalTool } from './external-catalogue.ts';
import type { ExternalConnection, ExternalTransportConfig } from './external-connection.ts';
import { deferredConnection } from './deferred-connection.ts';
import { ExternalMcpUnavailableError } from './external-errors.ts';

/** A configured server with its secrets opened (only ever in memory). */
export interface ExternalServerConfig {
  id: string;
  name: string;
  toolset: string;
  transport: ExternalTransportConfig;
  enabled: boolean;
  /** tools once listed without readOnlyHint: true (external-catalogue.ts) */
  held: string[];
  /** what the admin declared: where its tools act, which of them are not destructive (issue 74) */
  declared?: AdminDeclarations;
}

export interface ExternalServerState {
  status: 'connected' | 'connecting' | 'error' | 'disabled';
  error?: string;
  catalogue?: ExternalCatalogue;
}

export interface ExternalServers {
  /** Every enabled server's offered tools; a server that cannot be reached contributes none (its state says why). */
  catalogue(builtIn: ReadonlySet<string>): Promise<ExternalTool[]>;
  /** Changes when anything `catalogue` answers may have changed. */
  version(): number;
  /** The server a namespaced tool name belongs to (configured or not: `x__y` is never one of ours). */
  owns(toolName: string): boolean;
  callTool(input: { name: string; args: Record<string, unknown>; signal?: AbortSignal; timeoutMs?: number }): Promise<{ content?: unknown; structuredContent?: unknown; isError?: boolean }>;
  /** Adds or replaces a server (its connection is started again). */
  put(config: ExternalServerConfig): void;
  remove(id: string): Promise<void>;
  state(id: string): ExternalServerState;
  /** Connects (again) and lists now: for the admin's Test button. */
  refresh(id: string): Promise<ExternalServerState>;
  close(): Promise<void>;
}

export interface ExternalServersOptions {
  /** records the tools that became gated (persisted with the server, so a restart keeps them gated) */
  onGated?: (serverId: string, gated: string[]) => Promise<void>;
  /** how long a listing may hold up a model turn before the turn goes on without that server's tools; default 1.5 s */
  listingGraceMs?: number;
  connect?: (config: ExternalServerConfig, onChange: () => void) => ExternalConnection;
  /** the pinned fetch HTTP servers are reached through (integration-egress.ts) */
  fetch?: typeof fetch;
}

interface Entry {
  config: ExternalServerConfig;
  connection: ExternalConnection;
  /** the last listing this catalogue was built from, to rebuild only when the server answered something new */
  listed?: ListedExternalTool[];
  catalogue?: ExternalCatalogue;
  signature?: string;
}

export function createExternalServers(options: ExternalServersOptions = {}): ExternalServers {
  const entries = new Map<string, Entry>();
  const connect = options.connect ?? ((config: ExternalServerConfig, onChange: () => void) => deferredConnection({ name: config.name, transport: config.transport, onChange, ...(options.fetch ? { fetch: options.fetch } : {}) }));
  const grace = options.listingGraceMs ?? 1_500;
  let version = 0;
  /** Skyflo's own tool names as last seen (the Test button lists without asking for them) */
  let lastBuiltIn: ReadonlySet<string> = new Set();
  const bump = () => {
    version += 1;
  };

  const byName = (name: string) => [...entries.values()].find((entry) => entry.config.name === name);

  async function catalogueOf(entry: Entry, builtIn: ReadonlySet<string>): Promise<ExternalCatalogue | undefined> {
    let listed: ListedExternalTool[];
    try {
      listed = await entry.connection.listTools();
    } catch {
      if (entry.catalogue) {
        entry.catalogue = undefined;
        entry.listed = undefined;
        bump();
      }
      return undefined;
    }
    if (entry.listed === listed && entry.catalogue) return entry.catalogue;
    const catalogue = toExternalCatalogue({ server: entry.config.name, toolset: entry.config.toolset, listed, held: entry.config.held, builtIn, ...(entry.config.declared ? { declared: entry.config.declared } : {}) });
    if (catalogue.gated.join('\n') !== [...entry.config.held].sort().join('\n')) {
      // Recorded before the listing is used: a tool is never offered as read-only while its gating is unsaved.
      await options.onGated?.(entry.config.id, catalogue.gated);
      entry.config = { ...entry.config, held: catalogue.gated };
    }
    const signature = JSON.stringify(catalogue.tools);
    if (signature !== entry.signature) bump();
    entry.listed = listed;
    entry.catalogue = catalogue;
    entry.signature = signature;
    return catalogue;
  }

  function start(config: ExternalServerConfig): Entry {
    const entry: Entry = { config, connection: connect(config, bump) };
    return entry;
  }

  return {
    async catalogue(builtIn) {
      lastBuiltIn = builtIn;
      const enabled = [...entries.values()].filter((entry) => entry.config.enabled);
      const catalogues = await Promise.all(
        enabled.map((entry) => {
          const listing = catalogueOf(entry, builtIn).catch(() => undefined);
          // A server that is slow to connect does not hold up the turn: its tools come with a later one.
          return Promise.race([listing, delay(grace, undefined, { ref: false })]);
        }),
      );
      return catalogues.flatMap((catalogue) => catalogue?.tools ?? []);
    },
    version: () => version,
    owns: (toolName) => toolName.includes(externalToolSeparator),
    async callTool({ name, args, signal, timeoutMs }) {
      const separator = name.indexOf(externalToolSeparator);
      const serverName = name.slice(0, separator);
      const entry = byName(serverName);
      if (!entry) throw new ExternalMcpUnavailableError(`The external MCP server "${serverName}" is not configured (it was removed), so ${name} cannot run.`);
      if (!entry.config.enabled) throw new ExternalMcpUnavailableError(`The external MCP server "${serverName}" is disabled, so ${name} cannot run.`);
      const tool = entry.catalogue?.tools.find((candidate) => candidate.name === name);
      // Only a tool of the server's current, checked listing runs (never a name it dropped or one left out as a duplicate).
      if (!tool) throw new ExternalMcpUnavailableError(`${name} is not among the tools "${serverName}" offers now, so it was not run.`);
      return entry.connection.callTool({ tool: tool.external.tool, args, ...(signal ? { signal } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
    },
    put(config) {
      const previous = entries.get(config.id);
      entries.set(config.id, start(config));
      void previous?.connection.close();
      bump();
    },
    async remove(id) {
      const entry = entries.get(id);
      entries.delete(id);
      bump();
      await entry?.connection.close();
    },
    state(id) {
      const entry = entries.get(id);
      if (!entry || !entry.config.enabled) return { status: 'disabled' };
      const state = entry.connection.state();
      return { ...state, ...(entry.catalogue && state.status === 'connected' ? { catalogue: entry.catalogue } : {}) };
    },
    async refresh(id) {
      const entry = entries.get(id);
      if (!entry || !entry.config.enabled) return { status: 'disabled' };
      try {
        await entry.connection.listTools({ refresh: true });
        await catalogueOf(entry, lastBuiltIn);
      } catch (error) {
        return { status: 'error', error: error instanceof Error ? error.message : String(error) };
      }
      return this.state(id);
    },
    async close() {
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map((entry) => entry.connection.close()));
    },
  };
}
