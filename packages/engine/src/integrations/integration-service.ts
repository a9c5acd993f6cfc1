/**
 * Integrations (spec §1): Jenkins today. Admins add, edit, disable and delete them; every change is checked against
 * Jenkins first (so a saved integration is one that works) and recorded in the audit log without its secrets. The
 * API token is kept by the vault (sealed with the engine's key, bound to the integration's id and URL; or in a
 * Kubernetes Secret the MCP server reads) and reaches only the URL it was saved with: changing the URL needs the token
 * again (a PATCH of the URL alone once sent the stored token to the new host).
 */
import { randomUUID } from 'node:crypto';
import type { CreateIntegrationRequest, Integration, UpdateIntegrationRequest } from '@skyflo/protocol';
import type { JenkinsIntegration } from '../mcp/jenkins-args.ts';
import { recordIntegrationChange } from '../audit/admin-audit.ts';
import type { AuditLog, AuthenticatedUser, IntegrationRecord, IntegrationStore, TransactionalStores } from '../ports/index.ts';
import type { CheckJenkinsCredentials, JenkinsCheckResult } from './check-jenkins-credentials.ts';
import { createIntegrationUrlGuard, type CheckIntegrationUrl } from './integration-url-guard.ts';
import { normaliseJenkinsUrl, type CredentialVault, type JenkinsCredentials } from './credential-vault.ts';
import { SkyfloError } from '../errors/skyflo-error.ts';

export class IntegrationError extends SkyfloError {
  readonly category = 'user';
  constructor(
    readonly code: 'FORBIDDEN' | 'NOT_FOUND' | 'CREDENTIALS_REJECTED' | 'ALREADY_EXISTS' | 'CREDENTIALS_UNREADABLE' | 'CREDENTIALS_REQUIRED' | 'INVALID_URL',
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** Only admins change integrations, of every provider (Jenkins, webhooks, Slack), with the same refusal. */
export function requireIntegrationAdmin(actor: AuthenticatedUser): void {
  if (actor.role !== 'admin') throw new IntegrationError('FORBIDDEN', 'only an admin can change integrations', 403);
}

/** The integration `id` from its provider's store, or the same 404 for every provider. */
export async function existingIntegration<T>(store: { get(id: string): Promise<T | undefined> }, id: string): Promise<T> {
  const record = await store.get(id);
  if (!record) throw new IntegrationError('NOT_FOUND', `integration ${id} not found`, 404);
  return record;
}

type Credentials = JenkinsCredentials;

export interface IntegrationService {
  list(actor: AuthenticatedUser): Promise<Integration[]>;
  create(actor: AuthenticatedUser, input: CreateIntegrationRequest, ip?: string): Promise<Integration>;
  update(actor: AuthenticatedUser, id: string, input: UpdateIntegrationRequest, ip?: string): Promise<Integration>;
  remove(actor: AuthenticatedUser, id: string, ip?: string): Promise<void>;
  /** Checks the stored credentials against Jenkins now. */
  test(actor: AuthenticatedUser, id: string): Promise<JenkinsCheckResult>;
  /** The active Jenkins integration for tool calls, credentials opened; undefined when there is none. */
  activeJenkins(): Promise<JenkinsIntegration | undefined>;
}

/** The stores an integration change writes, bound to one transaction (PlatformStorage.atomically). */
type ChangeStores = Pick<TransactionalStores, 'integrations' | 'audit'>;

export interface IntegrationServiceDeps {
  store: IntegrationStore;
  /** runs a change and its audit record in one transaction; default: one after the other on `store` and `audit` */
  atomically?: <T>(work: (stores: ChangeStores) => Promise<T>) => Promise<T>;
  /** where the credentials live (INTEGRATIONS_BACKEND): sealed in the database, or a Kubernetes Secret */
  vault: CredentialVault;
  audit: AuditLog;
  checkCredentials: CheckJenkinsCredentials;
  /** which URLs tool calls may use (default: no link-local or cloud metadata address, by name or resolved address) */
  checkUrl?: CheckIntegrationUrl;
}

const last4 = (token: string) => token.slice(-4);

export function toIntegration(record: IntegrationRecord): Integration {
  return {
    id: record.id,
    provider: record.provider,
    name: record.name,
    metadata: { api_url: record.apiUrl, username: record.username },
    status: record.status,
    credentials: { set: true, token_last4: record.tokenLast4 },
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
  };
}

export function createIntegrationService(deps: IntegrationServiceDeps): IntegrationService {
  const checkUrl = deps.checkUrl ?? createIntegrationUrlGuard();
  const atomically = deps.atomically ?? (<T>(work: (stores: ChangeStores) => Promise<T>) => work({ integrations: deps.store, audit: deps.audit }));
  const requireAdmin = requireIntegrationAdmin;
  const find = (id: string) => existingIntegration(deps.store, id);
  const open = async (record: IntegrationRecord): Promise<Credentials> => {
    try {
      return await deps.vault.open(record.id, record.apiUrl, record.credentialsSealed);
    } catch {
      const why = deps.vault.backend === 'database' ? `cannot be opened for ${record.apiUrl} (saved for another URL, or SKYFLO_ENCRYPTION_KEY changed?)` : `cannot be read from their Secret for ${record.apiUrl} (${deps.vault.reference(record.id, record.credentialsSealed)})`;
      throw new IntegrationError('CREDENTIALS_UNREADABLE', `the credentials of integration "${record.name}" ${why}; enter them again`, 409);
    }
  };
  const check = async (apiUrl: string, credentials: Credentials) => {
    const result = await deps.checkCredentials({ apiUrl, username: credentials.username, apiToken: credentials.api_token });
    if (!result.ok) throw new IntegrationError('CREDENTIALS_REJECTED', `the Jenkins credentials were not saved: ${result.error}`, 400);
  };
  const normalised = (apiUrl: string) => {
    try {
      return normaliseJenkinsUrl(apiUrl);
    } catch (error) {
      throw new IntegrationError('INVALID_URL', `metadata.api_url is not usable: ${(error as Error).message}`, 400);
    }
  };
  const ensureNoOtherActive = async (provider: string, exceptId?: string) => {
    const other = (await deps.store.list()).find((record) => record.provider === provider && record.status === 'active' && record.id !== exceptId);
    if (other) throw new IntegrationError('ALREADY_EXISTS', `an active ${provider} integration already exists ("${other.name}"); edit it, or disable it first`, 409);
  };

  return {
    async list() {
      return (await deps.store.list()).map(toIntegration);
    },

    async create(actor, input, ip) {
      requireAdmin(actor);
      await ensureNoOtherActive(input.provider);
      const credentials: Credentials = { username: input.credentials.username, api_token: input.credentials.api_token };
      normalised(input.metadata.api_url);
      await check(input.metadata.api_url, credentials);
      const id = randomUUID();
      const stored = await deps.vault.put(id, input.metadata.api_url, credentials);
      const record = await atomically(async (tx) => {
        const created = await tx.integrations.create({
          id,
          provider: input.provider,
          name: input.name ?? 'Jenkins',
          apiUrl: input.metadata.api_url,
          username: credentials.username,
          credentialsSealed: stored,
          tokenLast4: last4(credentials.api_token),
          status: 'active',
          createdBy: actor.id,
        });
        await recordIntegrationChange(tx.audit, {
          actor,
          ...(ip ? { ip } : {}),
          change: 'created',
          integration: created,
          fields: { name: created.name, api_url: created.apiUrl, username: created.username, credentials: 'set' },
          tokenLast4: created.tokenLast4,
        });
        return created;
      });
      return toIntegration(record);
    },

    async update(actor, id, input, ip) {
      requireAdmin(actor);
      const current = await find(id);
      if (input.status === 'active' && current.status !== 'active') await ensureNoOtherActive(current.provider, id);
      const apiUrl = input.metadata?.api_url ?? current.apiUrl;
      const urlChanged = input.metadata?.api_url !== undefined && normalised(input.metadata.api_url) !== normalised(current.apiUrl);
      // A stored token is only ever sent to the URL it was saved with: a new URL needs the token again.
      if (urlChanged && !input.credentials) {
        throw new IntegrationError(
          'CREDENTIALS_REQUIRED',
          'changing metadata.api_url needs the credentials again: send credentials.username and credentials.api_token with the new URL (a saved token is only sent to the URL it was saved with)',
          400,
        );
      }
      const credentials = input.credentials;
      // New credentials are checked as the pair that will be used; a name, status or same-URL change is not.
      if (credentials) await check(apiUrl, credentials);
      // The URL is stored beside the credentials too (a Secret names its Jenkins), so either change rewrites them.
      const stored = credentials ? await deps.vault.put(id, apiUrl, credentials) : undefined;
      const updated = await atomically(async (tx) => {
        const changed = await tx.integrations.update(id, {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.metadata?.api_url !== undefined ? { apiUrl } : {}),
          ...(input.status !== undefined ? { status: input.status } : {}),
          ...(stored ? { credentialsSealed: stored } : {}),
          ...(input.credentials ? { username: input.credentials.username, tokenLast4: last4(input.credentials.api_token) } : {}),
        });
        if (!changed) throw new IntegrationError('NOT_FOUND', `integration ${id} not found`, 404);
        await recordIntegrationChange(tx.audit, {
          actor,
          ...(ip ? { ip } : {}),
          change: 'updated',
          integration: changed,
          fields: { name: input.name, api_url: input.metadata?.api_url, status: input.status, username: input.credentials?.username, credentials: input.credentials ? 'set' : undefined },
          ...(input.credentials ? { tokenLast4: changed.tokenLast4 } : {}),
        });
        return changed;
      });
      return toIntegration(updated);
    },

    async remove(actor, id, ip) {
      requireAdmin(actor);
      const current = await find(id);
      await atomically(async (tx) => {
        await tx.integrations.remove(id);
        await recordIntegrationChange(tx.audit, { actor, ...(ip ? { ip } : {}), change: 'deleted', integration: current, fields: { api_url: current.apiUrl } });
      });
      // After the row is gone: a Secret left behind by a failure here holds credentials nothing refers to any more.
      await deps.vault.remove(id, current.credentialsSealed);
    },

    async test(actor, id) {
      requireAdmin(actor);
      const current = await find(id);
      return deps.checkCredentials({ apiUrl: current.apiUrl, username: current.username, apiToken: (await open(current)).api_token });
    },

    async activeJenkins() {
      const record = (await deps.store.list()).find((candidate) => candidate.provider === 'jenkins' && candidate.status === 'active');
      if (!record) return undefined;
      // A row saved before metadata addresses were refused (or whose name now resolves to one) gets no tool calls.
      if (await checkUrl(record.apiUrl)) return undefined;
      const credentialsRef = deps.vault.reference(record.id, record.credentialsSealed);
      // A Secret is read by the MCP server itself; only database-held credentials travel beside the call.
      if (deps.vault.backend === 'kubernetes') return { apiUrl: record.apiUrl, name: record.name, credentialsRef };
      let credentials: Credentials;
      try {
        credentials = await open(record);
      } catch {
        // Unreadable credentials (changed key) hide the tools rather than fail every turn; the admin page says why.
        return undefined;
      }
      return { apiUrl: record.apiUrl, name: record.name, credentialsRef, credentials: { api_url: record.apiUrl, username: credentials.username, api_token: credentials.api_token } };
    },
  };
}
