/**
 * The observability toolset through the real MCP server over Streamable HTTP, against kube-sim's Prometheus and Loki
 * APIs on loopback (the demo scenario: checkout crash-loops on a bad DATABASE_URL). The data sources travel in
 * `_meta` from the engine's trusted connection only, and their credentials never come back in a result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startMcpHttpServer, type McpHttpServer } from '../../src/start-mcp-http-server.ts';
import { observabilitySourcesMetaKey, type ObservabilitySources } from '../../src/tools/observability/data-sources.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

const metricsToken = 'prom-read-token-9f8e7d6c5b4a';
const engineToken = 'engine-token-for-observability-test';
const clientToken = 'client-token-for-observability-test';

let harness: KubeHarness;
let server: McpHttpServer;
let engine: Client;
let outsider: Client;
let sources: ObservabilitySources;

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}
type CallResult = { content: Array<{ type: string; text: string }>; structuredContent?: any; isError?: boolean; _meta?: any };
const call = async (client: Client, name: string, args: Record<string, unknown>, meta: ObservabilitySources | undefined = sources) =>
  (await client.callTool({ name, arguments: args, ...(meta ? { _meta: { [observabilitySourcesMetaKey]: meta } } : {}) })) as unknown as CallResult;
const textOf = (result: CallResult) => result.content[0]!.text;

beforeAll(async () => {
  harness = await startKubeHarness({ scenario: 'demo', observability: { bearerToken: metricsToken } });
  server = await startMcpHttpServer({ deps: harness.deps, authToken: engineToken, clientToken });
  engine = await connect(server.url, engineToken);
  outsider = await connect(server.url, clientToken);
  const url = harness.sim.observability!.url;
  sources = { prometheus: { url, auth: { type: 'bearer', token: metricsToken } }, loki: { url, auth: { type: 'bearer', token: metricsToken } } };
});
afterAll(async () => {
  await Promise.all([engine?.close(), outsider?.close()].map((closing) => closing?.catch(() => undefined)));
  await server?.close();
  await harness?.close();
});

describe('observability tools through the MCP server', () => {
  it('lists the five tools as read-only members of the observability toolset', async () => {
    const { tools } = await engine.listTools();
    const listed = tools.filter((tool) => (tool._meta as any)?.['skyflo.ai/toolset'] === 'observability' || ['prometheus_query', 'prometheus_query_range', 'prometheus_alerts', 'prometheus_series', 'loki_query_range'].includes(tool.name));
    expect(listed.map((tool) => tool.name).sort()).toEqual(['loki_query_range', 'prometheus_alerts', 'prometheus_query', 'prometheus_query_range', 'prometheus_series']);
    for (const tool of listed) expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, openWorldHint: true });
  });

  it('prometheus_query_range summarises per series for the model and gives the UI the points', async () => {
    const result = await call(engine, 'prometheus_query_range', { query: 'sum by (app) (rate(http_requests_total{namespace="prod"}[5m]))', start: '30m', step: '60s' });
    expect(result.isError).toBeFalsy();
    const lines = textOf(result).split('\n');
    expect(lines[0]).toMatch(/^\d+ series, highest peak first:$/);
    expect(lines[1]).toMatch(/^\{app="[a-z-]+"\}  min [0-9.]+  max [0-9.]+  last [0-9.]+ at (?:\d{4}-\d\d-\d\dT)?\d\d:\d\d:\d\dZ  (rising|falling|flat)/);
    // The range ends on the last whole minute: when one began after kube-sim started, the scenario's ReplicaSets were
    // created inside the range, and the answer says so after the range line (a rollout marker the UI draws too).
    const rangeLine = lines.findIndex((line) => /^\(range .* step 60s\)$/.test(line));
    expect(rangeLine, textOf(result)).toBeGreaterThan(1);
    for (const line of lines.slice(rangeLine + 1)) expect(line).toMatch(/^Rollouts in this range: prod\/[a-z-]+: new ReplicaSet [a-z0-9-]+ at /);
    const structured = result.structuredContent;
    expect(structured.query).toContain('http_requests_total');
    expect(structured.series.length).toBe(structured.series_total);
    expect(structured.series[0].values.length).toBeGreaterThanOrEqual(30);
    expect(structured.prometheus_url).toBe(harness.sim.observability!.url);
  });

  it('prometheus_query answers an instant vector largest first', async () => {
    const result = await call(engine, 'prometheus_query', { query: 'kube_deployment_spec_replicas{namespace="prod"}' });
    const lines = textOf(result).split('\n');
    expect(lines[0]).toMatch(/series, largest first:$/);
    expect(lines).toContain('kube_deployment_spec_replicas{deployment="payments", job="kube-state-metrics", namespace="prod"}  3');
  });

  it('prometheus_alerts shows the crash loop the cluster is in', async () => {
    await expect
      .poll(async () => textOf(await call(engine, 'prometheus_alerts', {})), { timeout: 20_000, interval: 200 })
      .toMatch(/\[firing\] KubePodCrashLooping \(warning\) \{container="checkout", .*namespace="prod", pod="checkout-/);
    const withRules = textOf(await call(engine, 'prometheus_alerts', { include_rules: true }));
    expect(withRules).toMatch(/kube-sim\/HighErrorRate \[(inactive|firing)\]: sum by \(namespace, app\)/);
  });

  it('prometheus_series discovers metric names and series', async () => {
    expect(textOf(await call(engine, 'prometheus_series', { label: '__name__' }))).toMatch(/^\d+ value\(s\) of __name__:\n[\s\S]*http_request_duration_seconds_bucket/);
    const series = textOf(await call(engine, 'prometheus_series', { match: ['kube_deployment_spec_replicas{namespace="prod"}'] }));
    expect(series).toContain('kube_deployment_spec_replicas{deployment="checkout", job="kube-state-metrics", namespace="prod"}');
  });

  it('loki_query_range finds the crashing pod\'s error lines, newest first', async () => {
    await expect.poll(async () => textOf(await call(engine, 'loki_query_range', { query: '{namespace="prod", app="checkout"} |= "ENOTFOUND"', limit: 20 })), { timeout: 20_000, interval: 200 }).toMatch(/^\d+ line\(s\) from \d+ stream\(s\), newest first:\n\d{4}-\d\d-\d\dT[^ ]+ \{pod="checkout-[^"]+"\} .*ENOTFOUND/);
  });

  it('a bad query is the server\'s own error, as an input error', async () => {
    const result = await call(engine, 'prometheus_query', { query: 'sum(rate(x[5m])' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Prometheus refused the query: invalid parameter "query": 1:16: parse error: unclosed left parenthesis/);
  });

  it('refused credentials say so without echoing them, and no token ever comes back', async () => {
    const wrong = 'wrong-token-abcdef123456';
    const result = await call(engine, 'prometheus_query', { query: 'up' }, { prometheus: { url: harness.sim.observability!.url, auth: { type: 'bearer', token: wrong } } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/refused the integration's credentials \(HTTP 401\)/);
    const everything = JSON.stringify(result) + JSON.stringify(await call(engine, 'prometheus_query_range', { query: 'up' }));
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(metricsToken);
  });

  it('without a configured source the tool says what to configure', async () => {
    const result = await call(engine, 'loki_query_range', { query: '{app="x"}' }, { prometheus: sources.prometheus! });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^No Loki data source is configured for this cluster\./);
  });

  it('refuses data sources sent by a caller other than the engine, without contacting them', async () => {
    const before = harness.sim.observability!.requests.length;
    const result = await call(outsider, 'prometheus_query', { query: 'up' }, { prometheus: { url: harness.sim.observability!.url, auth: { type: 'bearer', token: metricsToken } } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/only the Skyflo engine's own connection may do/);
    expect(harness.sim.observability!.requests.length).toBe(before);
  });
});
