/**
 * Prometheus and Loki data sources (issue 36): integrations whose sealed credentials (a bearer token, or basic
 * auth when a username is given) go to the observability tools of the MCP server with each call, for the
 * conversation's cluster only. A source saved for one cluster wins over one saved for every cluster.
 */
import type { ObservabilitySource, ObservabilitySources } from '@skyflo/protocol';
import type { IntegrationRecord } from '../../platform/ports/index.ts';
import type { JenkinsCheckResult } from './check-jenkins-credentials.ts';
import type { JenkinsCredentials } from './credential-vault.ts';
import { readCappedText, ResponseTooLargeError, smallAnswerMaxBytes } from './integration-egress.ts';

export type DataSourceProvider = 'prometheus' | 'loki';
export const isDataSource = (provider: string): provider is DataSourceProvider => provider === 'prometheus' || provider === 'loki';
export const providerTitle: Record<IntegrationRecord['provider'], string> = { jenkins: 'Jenkins', prometheus: 'Prometheus', loki: 'Loki' };

/** The read-only request that proves a source works: an instant query of `1`, or the label names. */
const probePath: Record<DataSourceProvider, string> = { prometheus: '/api/v1/query?query=1', loki: '/loki/api/v1/labels' };

export type CheckDataSource = (input: { provider: DataSourceProvider; apiUrl: string; credentials: JenkinsCredentials; orgId?: string }) => Promise<JenkinsCheckResult>;

export function authOf(credentials: JenkinsCredentials): NonNullable<ObservabilitySource['auth']> {
  return credentials.username ? { type: 'basic', username: credentials.username, password: credentials.api_token } : { type: 'bearer', token: credentials.api_token };
}

/** Checks a data source over the pinned egress fetch; the answer names the problem, never the credentials. */
export function createDataSourceCheck(options: { fetch: typeof fetch; timeoutMs: number }): CheckDataSource {
  return async ({ provider, apiUrl, credentials, orgId }) => {
    const started = performance.now();
    const auth = authOf(credentials);
    const authorization = auth.type === 'bearer' ? `Bearer ${auth.token}` : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    const latencyMs = () => Math.round(performance.now() - started);
    try {
      const response = await options.fetch(`${apiUrl.replace(/\/+$/, '')}${probePath[provider]}`, { headers: { authorization, accept: 'application/json', ...(orgId ? { 'x-scope-orgid': orgId } : {}) }, signal: AbortSignal.timeout(options.timeoutMs) });
      const text = await readCappedText(response, { maxBytes: smallAnswerMaxBytes, what: `${providerTitle[provider]} at ${new URL(apiUrl).origin}` }).catch((error: unknown) => {
        if (error instanceof ResponseTooLargeError) throw error;
        return '';
      });
      let body: { status?: string } | undefined;
      try {
        body = JSON.parse(text) as { status?: string };
      } catch {
        body = undefined;
      }
      // a multi-tenant Loki (or Mimir) answers 401 "no org id" to a request without X-Scope-OrgID: not a bad token
      if (response.status === 401 && /no org id/i.test(text)) return { ok: false, latencyMs: latencyMs(), error: 'the source is multi-tenant and asks for a tenant: set metadata.org_id (sent as X-Scope-OrgID)' };
      if (response.status === 401 || response.status === 403) return { ok: false, latencyMs: latencyMs(), error: `the credentials were refused (HTTP ${response.status})` };
      if (!response.ok || body?.status !== 'success') return { ok: false, latencyMs: latencyMs(), error: `the URL did not answer as a ${providerTitle[provider]} API (HTTP ${response.status}); check the URL (its base, e.g. https://prometheus.example.com)` };
      return { ok: true, latencyMs: latencyMs(), user: auth.type === 'basic' ? auth.username : 'bearer token' };
    } catch (error) {
      if (error instanceof ResponseTooLargeError) return { ok: false, latencyMs: latencyMs(), error: `${error.message} A ${providerTitle[provider]} API answers its probe in a few bytes; check the URL` };
      return { ok: false, latencyMs: latencyMs(), error: `unreachable: ${(error as Error).message}` };
    }
  };
}

/** The active source of `provider` for `cluster`: the cluster's own, else one for every cluster. */
export function sourceFor(records: IntegrationRecord[], provider: DataSourceProvider, cluster: string | undefined): IntegrationRecord | undefined {
  const active = records.filter((record) => record.provider === provider && record.status === 'active');
  return active.find((record) => cluster !== undefined && record.cluster === cluster) ?? active.find((record) => record.cluster === undefined);
}

/** What one tool call carries; undefined when the cluster has neither source (the tools are then hidden). */
export async function observabilitySourcesFor(
  records: IntegrationRecord[],
  cluster: string | undefined,
  open: (record: IntegrationRecord) => Promise<JenkinsCredentials | undefined>,
): Promise<ObservabilitySources | undefined> {
  const sources: ObservabilitySources = {};
  for (const provider of ['prometheus', 'loki'] as const) {
    const record = sourceFor(records, provider, cluster);
    if (!record) continue;
    const credentials = await open(record);
    if (credentials) sources[provider] = { url: record.apiUrl, auth: authOf(credentials), name: record.name, ...(record.orgId ? { org_id: record.orgId } : {}) };
  }
  return sources.prometheus || sources.loki ? sources : undefined;
}
