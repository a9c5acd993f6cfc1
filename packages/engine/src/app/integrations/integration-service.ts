/**
 * Integrations (spec §1): Jenkins today. Admins add, edit, disable and delete them; every change is checked against
 * Jenkins first (so a saved integration is one that works) and recorded in the audit log without its secrets. The
 * API token is kept by the vault (sealed with the engine's key, bound to the integration's id and URL; or in a
 * Kubernetes Secret the MCP server reads) and reaches only the URL it was saved with: changing the URL needs the token
 * again (a PATCH of the URL alone once sent the stored token to the new host).
 */
import { randomUUID } from 'node:crypto';
import { grafanaUrlProviderMessage, orgIdProviderMessage, type CreateIntegrationRequest, type Integration, type UpdateIntegrationRequest } from '@skyflo/protocol';
import type { JenkinsIntegration } from '../../domain/tools/jenkins-args.ts';
import { recordIntegrationChange } from '../../domain/audit/admin-audit.ts';
import type { AuditLog, AuthenticatedUser, IntegrationRecord, IntegrationStore, TransactionalStores } from '../../platform/ports/index.ts';
import type { CheckJenkinsCredentials, JenkinsCheckResult } from './check-jenkins-credentials.ts';
import { createIntegrationUrlGuard, type CheckIntegrationUrl } from './integration-url-guard.ts';
import { normaliseJenkinsUrl, type CredentialVault, type JenkinsCredentials } from './credential-vault.ts';
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';
import type { ObservabilitySources } from '@skyflo/protocol';
import { sharedRead } from '../../platform/reads/shared-read.ts';
import { isDataSource, observabilitySourcesFor, providerTitle, sourceFor, type CheckDataSource, type DataSourceProvider } from './data-sources.ts';

export class IntegrationError extends SkyfloError {
  constructor(
    readonly code: 'FORBIDDEN' | 'NOT_FOUND' | 'CREDENTIALS_REJECTED' | 'ALREADY_EXISTS' | 'CREDENTIALS_UNREADABLE' | 'CREDENTIALS_REQUIRED' | 'INVALID_URL' | 'NOT_APPLICABLE' | 'UNKNOWN_CLUSTER' | 'CLUSTERS_UNAVAILABLE',
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
  /** The Prometheus and Loki sources of `cluster` (issue 36), credentials opened; undefined when it has neither. */
  observabilitySources(cluster: string | undefined): Promise<ObservabilitySources | undefined>;
  /** The Grafana in front of `cluster`'s active Prometheus, for the chart's "Open in Grafana" link; undefined when none. */
  grafanaUrl(cluster: string | undefined): Promise<string | undefined>;
  /**
   * Adds a data source without an admin (skyflo sandbox wires kube-sim's own), unless an active one of that provider
   * already serves the cluster; checked like any other, and recorded in the audit log as the system's.
   */
  provisionDataSource(input: { provider: DataSourceProvider; name: string; apiUrl: string; cluster?: string; credentials: Credentials }): Promise<Integration | undefined>;
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
  /** how Prometheus/Loki sources are checked before saving (default: refuse, naming the missing check) */
  checkDataSource?: CheckDataSource;
  /** which URLs tool calls may use (default: no link-local or cloud metadata address, by name or resolved address) */
  checkUrl?: CheckIntegrationUrl;
  /**
   * The clusters Skyflo can act on, asked afresh when an admin saves a data source for one (the cluster directory):
   * a source for a cluster that does not exist would sit unused, or serve a cluster added later under that name.
   */
  clusterNames?: () => Promise<string[]>;
}

const last4 = (token: string) => token.slice(-4);

export function toIntegration(record: IntegrationRecord): Integration {
  return {
    id: record.id,
    provider: record.provider,
    name: record.name,
    metadata: { api_url: record.apiUrl, ...(record.username ? { username: record.username } : {}), ...(record.cluster ? { cluster: record.cluster } : {}), ...(record.grafanaUrl ? { grafana_url: record.grafanaUrl } : {}), ...(record.orgId ? { org_id: record.orgId } : {}) },
    status: record.status,
    credentials: { set: true, token_last4: record.tokenLast4 },
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
  };
}

export function createIntegrationService(deps: IntegrationServiceDeps): IntegrationService {
  const checkUrl = deps.checkUrl ?? createIntegrationUrlGuard();
  // What a run reads before its model call (Jenkins, then the data sources: the whole table each time), shared by the
  // runs that ask while one read is in flight (platform/reads/shared-read.ts); a change made here is read back by the next.
  const activeRecords = sharedRead(() => deps.store.list());
  const changeStores = deps.atomically ?? (<T>(work: (stores: ChangeStores) => Promise<T>) => work({ integrations: deps.store, audit: deps.audit }));
  const atomically = async <T>(work: (stores: ChangeStores) => Promise<T>): Promise<T> => {
    try {
      return await changeStores(work);
    } finally {
      activeRecords.forget();
    }
  };
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
  // a multi-tenant source is checked as its tenant: without X-Scope-OrgID it answers 401 "no org id"
  const checkAny = (provider: IntegrationRecord['provider'], apiUrl: string, credentials: Credentials, orgId?: string) => {
    if (!isDataSource(provider)) return deps.checkCredentials({ apiUrl, username: credentials.username, apiToken: credentials.api_token });
    if (!deps.checkDataSource) return Promise.resolve({ ok: false as const, latencyMs: 0, error: 'this engine has no data source check configured' });
    return deps.checkDataSource({ provider, apiUrl, credentials, ...(orgId ? { orgId } : {}) });
  };
  const check = async (provider: IntegrationRecord['provider'], apiUrl: string, credentials: Credentials, orgId?: string) => {
    const result = await checkAny(provider, apiUrl, credentials, orgId);
    if (!result.ok) throw new IntegrationError('CREDENTIALS_REJECTED', `the ${providerTitle[provider]} credentials were not saved: ${result.error}`, 400);
  };
  const credentialsOf = (provider: IntegrationRecord['provider'], given: { username?: string | undefined; api_token: string }): Credentials => {
    if (provider === 'jenkins' && !given.username) throw new IntegrationError('CREDENTIALS_REQUIRED', 'credentials.username is required', 400);
    return { username: given.username ?? '', api_token: given.api_token };
  };
  const normalised = (apiUrl: string) => {
    try {
      return normaliseJenkinsUrl(apiUrl);
    } catch (error) {
      throw new IntegrationError('INVALID_URL', `metadata.api_url is not usable: ${(error as Error).message}`, 400);
    }
  };
  const ensureClusterExists = async (cluster: string) => {
    if (!deps.clusterNames) throw new IntegrationError('CLUSTERS_UNAVAILABLE', `this engine cannot list its clusters, so a data source cannot be saved for cluster "${cluster}"; leave metadata.cluster out to serve every cluster`, 503);
    let names: string[];
    try {
      names = await deps.clusterNames();
    } catch (error) {
      throw new IntegrationError('CLUSTERS_UNAVAILABLE', `the clusters could not be listed to check metadata.cluster (${(error as Error).message.split('\n')[0]}); try again when the MCP server answers`, 503);
    }
    if (!names.includes(cluster)) {
      throw new IntegrationError('UNKNOWN_CLUSTER', `metadata.cluster "${cluster}" is not a cluster Skyflo knows; ${names.length > 0 ? `the clusters are ${names.join(', ')}` : 'the MCP server lists none'} (leave metadata.cluster out to serve every cluster)`, 400);
    }
  };
  // one active integration per provider (and, for a data source, per cluster)
  const ensureNoOtherActive = async (provider: string, exceptId?: string, cluster?: string) => {
    const other = (await deps.store.list()).find((record) => record.provider === provider && record.status === 'active' && record.id !== exceptId && (!isDataSource(provider) || record.cluster === cluster));
    if (other) throw new IntegrationError('ALREADY_EXISTS', `an active ${provider} integration already exists${isDataSource(provider) ? ` for ${cluster ? `cluster ${cluster}` : 'every cluster'}` : ''} ("${other.name}"); edit it, or disable it first`, 409);
  };
  const createRecord = async (actor: AuthenticatedUser | undefined, input: { provider: IntegrationRecord['provider']; name?: string | undefined; apiUrl: string; cluster?: string | undefined; grafanaUrl?: string | undefined; orgId?: string | undefined; credentials: Credentials }, ip?: string) => {
    await ensureNoOtherActive(input.provider, undefined, input.cluster);
    normalised(input.apiUrl);
    await check(input.provider, input.apiUrl, input.credentials, input.orgId);
    const id = randomUUID();
    const stored = await deps.vault.put(id, input.apiUrl, input.credentials);
    return atomically(async (tx) => {
      const created = await tx.integrations.create({
        id,
        provider: input.provider,
        name: input.name ?? providerTitle[input.provider],
        apiUrl: input.apiUrl,
        username: input.credentials.username,
        ...(input.cluster ? { cluster: input.cluster } : {}),
        ...(input.grafanaUrl ? { grafanaUrl: input.grafanaUrl } : {}),
        ...(input.orgId ? { orgId: input.orgId } : {}),
        credentialsSealed: stored,
        tokenLast4: last4(input.credentials.api_token),
        status: 'active',
        ...(actor ? { createdBy: actor.id } : {}),
      });
      const fields = { name: created.name, api_url: created.apiUrl, username: created.username || undefined, cluster: created.cluster, grafana_url: created.grafanaUrl, org_id: created.orgId, credentials: 'set' };
      if (actor) await recordIntegrationChange(tx.audit, { actor, ...(ip ? { ip } : {}), change: 'created', integration: created, fields, tokenLast4: created.tokenLast4 });
      else await tx.audit.record({ action: 'integration.created', subjectType: 'integration', subjectId: created.id, details: { provider: created.provider, name: created.name, by: 'system', api_url: created.apiUrl, ...(created.cluster ? { cluster: created.cluster } : {}), token_last4: created.tokenLast4 } });
      return created;
    });
  };

  return {
    async list() {
      return (await deps.store.list()).map(toIntegration);
    },

    async create(actor, input, ip) {
      requireAdmin(actor);
      if (input.metadata.cluster !== undefined) await ensureClusterExists(input.metadata.cluster);
      const credentials = credentialsOf(input.provider, input.credentials);
      const record = await createRecord(actor, { provider: input.provider, name: input.name, apiUrl: input.metadata.api_url, cluster: input.metadata.cluster, grafanaUrl: input.metadata.grafana_url, orgId: input.metadata.org_id, credentials }, ip);
      return toIntegration(record);
    },

    async update(actor, id, input, ip) {
      requireAdmin(actor);
      const current = await find(id);
      // the request schema cannot see the stored provider; a link to Grafana only means something on a Prometheus chart
      if (input.metadata?.grafana_url !== undefined && current.provider !== 'prometheus') throw new IntegrationError('NOT_APPLICABLE', grafanaUrlProviderMessage, 400);
      if (input.metadata?.org_id !== undefined && !isDataSource(current.provider)) throw new IntegrationError('NOT_APPLICABLE', orgIdProviderMessage, 400);
      const orgId = input.metadata?.org_id === undefined ? current.orgId : (input.metadata.org_id ?? undefined);
      if (input.status === 'active' && current.status !== 'active') await ensureNoOtherActive(current.provider, id, current.cluster);
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
      const credentials = input.credentials ? credentialsOf(current.provider, input.credentials) : undefined;
      // New credentials are checked as the pair that will be used; a name, status or same-URL change is not.
      // new credentials, or another tenant, are checked as the pair that will be used
      if (credentials || (input.metadata?.org_id !== undefined && orgId !== current.orgId)) await check(current.provider, apiUrl, credentials ?? (await open(current)), orgId);
      // The URL is stored beside the credentials too (a Secret names its Jenkins), so either change rewrites them.
      const stored = credentials ? await deps.vault.put(id, apiUrl, credentials) : undefined;
      const updated = await atomically(async (tx) => {
        const changed = await tx.integrations.update(id, {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.metadata?.api_url !== undefined ? { apiUrl } : {}),
          ...(input.metadata?.grafana_url !== undefined ? { grafanaUrl: input.metadata.grafana_url } : {}),
          ...(input.metadata?.org_id !== undefined ? { orgId: input.metadata.org_id } : {}),
          ...(input.status !== undefined ? { status: input.status } : {}),
          ...(stored ? { credentialsSealed: stored } : {}),
          ...(credentials ? { username: credentials.username, tokenLast4: last4(credentials.api_token) } : {}),
        });
        if (!changed) throw new IntegrationError('NOT_FOUND', `integration ${id} not found`, 404);
        await recordIntegrationChange(tx.audit, {
          actor,
          ...(ip ? { ip } : {}),
          change: 'updated',
          integration: changed,
          fields: { name: input.name, api_url: input.metadata?.api_url, grafana_url: input.metadata?.grafana_url, org_id: input.metadata?.org_id, status: input.status, username: input.credentials?.username, credentials: input.credentials ? 'set' : undefined },
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
      return checkAny(current.provider, current.apiUrl, await open(current), current.orgId);
    },

    async observabilitySources(cluster) {
      const records = (await activeRecords.read()).filter((record) => isDataSource(record.provider));
      if (records.length === 0) return undefined;
      return observabilitySourcesFor(records, cluster, async (record) => {
        // like Jenkins: a metadata address, or credentials that no longer open, hide the tools rather than fail each turn
        if (await checkUrl(record.apiUrl)) return undefined;
        return open(record).catch(() => undefined);
      });
    },

    async grafanaUrl(cluster) {
      return sourceFor(await activeRecords.read(), 'prometheus', cluster)?.grafanaUrl;
    },

    async provisionDataSource(input) {
      const existing = (await deps.store.list()).find((record) => record.provider === input.provider && record.status === 'active' && record.cluster === input.cluster);
      // an admin's own source is left alone; the one provisioned before (same name: a restarted sandbox) is re-pointed
      if (existing && existing.name !== input.name) return undefined;
      if (!existing) return toIntegration(await createRecord(undefined, input));
      await check(input.provider, input.apiUrl, input.credentials);
      const stored = await deps.vault.put(existing.id, input.apiUrl, input.credentials);
      const updated = await atomically(async (tx) => {
        const changed = await tx.integrations.update(existing.id, { apiUrl: input.apiUrl, credentialsSealed: stored, username: input.credentials.username, tokenLast4: last4(input.credentials.api_token) });
        await tx.audit.record({ action: 'integration.updated', subjectType: 'integration', subjectId: existing.id, details: { provider: existing.provider, name: existing.name, by: 'system', api_url: input.apiUrl, token_last4: last4(input.credentials.api_token) } });
        return changed;
      });
      return updated ? toIntegration(updated) : undefined;
    },

    async activeJenkins() {
      const record = (await activeRecords.read()).find((candidate) => candidate.provider === 'jenkins' && candidate.status === 'active');
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
