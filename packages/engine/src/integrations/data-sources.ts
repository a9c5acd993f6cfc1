/**
 * Prometheus and Loki data sources (issue 36): integrations whose sealed credentials (a bearer token, or basic
 * auth when a username is given) go to the observability tools of the MCP server with each call, for the
 * conversation's cluster only. A source saved for one cluster wins over one saved for every cluster.
 */
import type { ObservabilitySource, ObservabilitySources } from '@skyflo/protocol';
import type { IntegrationRecord } from '../ports/index.ts';
import type { JenkinsCheckResult } from './check-jenkins-credentials.ts';
import type { JenkinsCredentials } from './credential-vault.ts';

export type DataSourceProvider = 'prometheus' | 'loki';
export const isDataSource = (provider: string): provider is DataSourceProvider => provider === 'prometheus' || provider === 'loki';
export const providerTitle: Record<IntegrationRecord['provider'], string> = { jenkins: 'Jenkins', prometheus: 'Prometheus', loki: 'Loki' };

/** The read-only request that proves a source works: an instant query of `1`, or the label names. */
const probePath: Record<DataSourceProvider, string> = { prometheus: '/api/v1/query?query=1', loki: '/loki/api/v1/labels' };

export type CheckDataSource = (input: { provider: DataSourceProvider; apiUrl: string; credentials: JenkinsCredentials }) => Promise<JenkinsCheckResult>;

export function authOf(credentials: JenkinsCredentials): NonNullable<ObservabilitySource['auth']> {
  return credentials.username ? { type: 'basic', username: credentials.username, password: credentials.api_token } : { type: 'bearer', token: credentials.api_token };
}

/** Checks a data source over the pinned egress fetch; the answer names the problem, never the credentials. */
export function createDataSourceCheck(options: { fetch: typeof fetch; timeoutMs: number }): CheckDataSource {
  return async ({ provider, apiUrl, credentials }) => {
    const started = performance.now();
    const auth = authOf(credentials);
    const authorization = auth.type === 'bearer' ? `Bearer ${auth.token}` : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    const latencyMs = () => Math.round(performance.now() - started);
    try {
      const response = await options.fetch(`${apiUrl.replace(/\/+$/, '')}${probePath[provider]}`, { headers: { authorization, accept: 'application/json' }, signal: AbortSignal.timeout(options.timeoutMs) });
      const body = (await response.json().catch(() => undefined)) as { status?: string } | undefined;
      if (response.status === 401 || response.status === 403) return { ok: false, latencyMs: latencyMs(), error: `the credentials were refused (HTTP ${response.status})` };
      if (!response.ok || body?.status !== 'success') return { ok: false, latencyMs: latencyMs(), error: `the URL did not answer as a ${providerTitle[provider]} API (HTTP ${response.status}); check the URL (its base, e.g. https://prometheus.example.com)` };
      return { ok: true, latencyMs: latencyMs(), user: auth.type === 'basic' ? auth.username : 'bearer token' };
    } catch (error) {
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
    if (credentials) sources[provider] = { url: record.apiUrl, auth: authOf(credentials), name: record.name };
  }
  return sources.prometheus || sources.loki ? sources : undefined;
}
