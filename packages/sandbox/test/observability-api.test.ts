/**
 * kube-sim's Prometheus and Loki APIs over HTTP on loopback: the response shapes Prometheus and Loki document, the
 * series following the cluster's state (a crash loop, a slow and failing app set by its env), and authentication.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../src/kube-sim/index.ts';

const token = 'obs-test-token-1234567890';
/** a Deployment of the shop labelled app=`name`, its one container named like it; `container` adds its last lines */
const shopDeployment = (name: string, replicas: number, image: string, container: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop, labels: {app: ${name}}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: ${name}
        image: ${image}
${container}`;
/** an app serving on 8080 whose latency, error ratio and request rate the simulator reads from its env */
const servingApp = (name: string, replicas: number, latencyMs: string, errorRatio: string, requestsPerSecond: string) =>
  shopDeployment(
    name,
    replicas,
    'registry.acme.io/payments:1.5.0',
    `        ports: [{containerPort: 8080}]
        env: [{name: SIM_LATENCY_MS, value: "${latencyMs}"}, {name: SIM_ERROR_RATIO, value: "${errorRatio}"}, {name: SIM_REQUESTS_PER_SECOND, value: "${requestsPerSecond}"}]
`,
  );
const scenario = `apiVersion: sim.skyflo.ai/v1alpha1
kind: SimScenario
metadata: {name: slow-search}
faults:
  - namespace: shop
    selector: {app: broken}
    env: {DATABASE_URL: "postgres://nowhere:5432/db"}
    fault: crash
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
${servingApp('search', 2, '1500', '0.2', '10')}---
${servingApp('cart', 1, '20', '0', '5')}---
${shopDeployment('broken', 1, 'registry.acme.io/checkout:2.3.1', '        env: [{name: DATABASE_URL, value: "postgres://nowhere:5432/db"}]\n')}`;

async function waitFor<T>(probe: () => Promise<T | false | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('kube-sim Prometheus and Loki APIs', () => {
  let sim: KubeSim;
  let base: string;
  const get = async (pathAndQuery: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) => {
    const response = await fetch(`${base}${pathAndQuery}`, { headers });
    return { status: response.status, body: (response.headers.get('content-type') ?? '').includes('json') ? await response.json() : await response.text() };
  };
  const query = (promql: string) => get(`/api/v1/query?query=${encodeURIComponent(promql)}`);

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kube-sim-obs-'));
    writeFileSync(path.join(dir, 'scenario.yaml'), scenario);
    sim = await startKubeSim({ scenario: path.join(dir, 'scenario.yaml'), settings: { crashBackoffMs: 50 }, observability: { bearerToken: token, publicGraph: true } });
    base = sim.observability!.url;
    // the app pods are ready and the broken one crash-loops
    await waitFor(async () => ((await query('sum(kube_pod_container_status_ready{namespace="shop", pod=~"search-.*|cart-.*"})')).body as any).data.result[0]?.value[1] === '3', 'the three app pods ready');
  });
  afterAll(() => sim?.close());

  it('refuses a request without the bearer token, and one with another token', async () => {
    expect((await get('/api/v1/query?query=up', {})).status).toBe(401);
    expect((await get('/api/v1/query?query=up', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect(sim.observability!.requests.at(-1)).toEqual({ method: 'GET', path: '/api/v1/query', status: 401 });
  });

  it('answers an instant query as a Prometheus vector: the slow app first by p99 latency', async () => {
    const { status, body } = await query('topk(1, histogram_quantile(0.99, sum by (app, le) (rate(http_request_duration_seconds_bucket{namespace="shop"}[5m]))))');
    expect(status).toBe(200);
    expect(body.status).toBe('success');
    expect(body.data.resultType).toBe('vector');
    expect(body.data.result).toHaveLength(1);
    const [sample] = body.data.result;
    expect(sample.metric).toEqual({ app: 'search' });
    expect(typeof sample.value[0]).toBe('number');
    expect(Number(sample.value[1])).toBeGreaterThan(1);
    expect(Number(sample.value[1])).toBeLessThanOrEqual(5);
  });

  it('answers the error ratio of each app', async () => {
    const { body } = await query('sum by (app) (rate(http_requests_total{namespace="shop", code=~"5.."}[5m])) / sum by (app) (rate(http_requests_total{namespace="shop"}[5m]))');
    const ratios = Object.fromEntries(body.data.result.map((sample: any) => [sample.metric.app, Number(sample.value[1])]));
    expect(ratios['search']).toBeCloseTo(0.2, 1);
    expect(ratios['cart']).toBe(0);
  });

  it('answers a range query (POST form) as a matrix with one point per step over the scenario history', async () => {
    const end = Math.floor(Date.now() / 1000);
    const response = await fetch(`${base}/api/v1/query_range`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: 'sum by (app) (rate(http_requests_total{namespace="shop"}[5m]))', start: String(end - 1800), end: String(end), step: '300' }),
    });
    const body = (await response.json()) as any;
    expect(body.data.resultType).toBe('matrix');
    const search = body.data.result.find((entry: any) => entry.metric.app === 'search');
    expect(search.values).toHaveLength(7);
    expect(search.values[1][0] - search.values[0][0]).toBe(300);
    // 10 requests a second, with the simulated ±20 % swing
    for (const [, value] of search.values) expect(Number(value)).toBeGreaterThan(7);
  });

  it('lists series, label names and label values', async () => {
    const series = await get(`/api/v1/series?${new URLSearchParams([['match[]', 'kube_deployment_spec_replicas{namespace="shop"}']])}`);
    expect(series.body.data.map((labels: any) => labels.deployment).sort()).toEqual(['broken', 'cart', 'search']);
    const labels = await get('/api/v1/labels');
    expect(labels.body.data).toEqual(expect.arrayContaining(['__name__', 'namespace', 'pod', 'container', 'le']));
    const names = await get('/api/v1/label/__name__/values');
    expect(names.body.data).toEqual(expect.arrayContaining(['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'http_request_duration_seconds_bucket', 'kube_pod_container_status_restarts_total']));
  });

  it('fires the built-in alerts the cluster state calls for, in /alerts and /rules', async () => {
    const alerts = await waitFor(async () => {
      const { body } = await get('/api/v1/alerts');
      const names = body.data.alerts.map((alert: any) => `${alert.labels.alertname}/${alert.labels.app ?? alert.labels.pod ?? ''}`);
      return names.some((name: string) => name.startsWith('KubePodCrashLooping/broken-')) && body.data.alerts;
    }, 'the crash-loop alert');
    const byName = (name: string) => alerts.filter((alert: any) => alert.labels.alertname === name);
    expect(byName('HighErrorRate').map((alert: any) => alert.labels.app)).toEqual(['search']);
    expect(byName('HighRequestLatency').map((alert: any) => alert.labels.app)).toEqual(['search']);
    expect(byName('HighRequestLatency')[0]).toMatchObject({ state: 'firing', labels: { severity: 'warning', namespace: 'shop' } });
    expect(byName('HighRequestLatency')[0].annotations.description).toMatch(/^shop\/search p99 latency is [0-9.]+s\.$/);
    const rules = await get('/api/v1/rules');
    const group = rules.body.data.groups[0];
    expect(group.rules.find((rule: any) => rule.name === 'HighErrorRate')).toMatchObject({ type: 'alerting', state: 'firing', health: 'ok' });
    expect(group.rules.find((rule: any) => rule.name === 'ContainerMemoryNearLimit')).toMatchObject({ state: 'inactive', alerts: [] });
  });

  it('answers a bad query with 400 bad_data in Prometheus\' words and an unsupported one with 422', async () => {
    expect(await query('sum(rate(x[5m])')).toEqual({ status: 400, body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:16: parse error: unclosed left parenthesis' } });
    expect(await query('foo(up)')).toEqual({ status: 400, body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:1: parse error: unknown function with name "foo"' } });
    expect(await query('predict_linear(x[5m], 60)')).toEqual({ status: 422, body: { status: 'error', errorType: 'execution', error: expect.stringContaining('not supported') } });
  });

  it('refuses a result with two samples of one label set (422), in an instant and a range query, instead of merging them', async () => {
    const duplicated = 'abs({__name__=~"kube_deployment_spec_replicas|kube_deployment_status_replicas", namespace="shop"})';
    expect(await query(duplicated)).toEqual({ status: 422, body: { status: 'error', errorType: 'execution', error: 'vector cannot contain metrics with the same labelset' } });
    const end = Math.floor(Date.now() / 1000);
    const range = await get(`/api/v1/query_range?${new URLSearchParams({ query: duplicated, start: String(end - 600), end: String(end), step: '60' })}`);
    expect(range).toEqual({ status: 422, body: { status: 'error', errorType: 'execution', error: 'vector cannot contain metrics with the same labelset' } });
  });

  it('a counter never reads lower on a later query: the crash loop\'s restarts at a fixed instant keep their value', async () => {
    const selector = 'sum(kube_pod_container_status_restarts_total{namespace="shop", container="broken"})';
    const at = async (time: number) => Number(((await get(`/api/v1/query?${new URLSearchParams({ query: selector, time: String(time) })}`)).body as any).data.result[0]?.value[1] ?? 0);
    const instant = Date.now() / 1000;
    const first = await at(instant);
    // the pod keeps crashing (a 50 ms back-off): wait for more restarts, then ask for the same instant again
    const later = await waitFor(async () => {
      const now = await at(Date.now() / 1000);
      return now > first && now;
    }, 'more restarts');
    expect(await at(instant)).toBe(first);
    expect(later).toBeGreaterThan(first);
    const increase = Number(((await query('sum(increase(kube_pod_container_status_restarts_total{namespace="shop", container="broken"}[1m]))')).body as any).data.result[0].value[1]);
    // at most the restarts that happened, extrapolated to the minute: never the whole history at once
    expect(increase).toBeLessThanOrEqual(later * 2);
  });

  it('opens a chart\'s "Open in Prometheus" link without the token (/graph, publicGraph), while the API still asks for it', async () => {
    const params = new URLSearchParams({ 'g0.expr': 'sum by (app) (rate(http_requests_total{namespace="shop"}[5m]))', 'g0.tab': '0', 'g0.range_input': '1800s', 'g0.end_input': new Date().toISOString(), 'g0.step_input': '60' });
    const page = await fetch(`${base}/graph?${params}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('sum by (app) (rate(http_requests_total{namespace=&quot;shop&quot;}[5m]))');
    expect(html.match(/<polyline /g)?.length).toBeGreaterThanOrEqual(2);
    expect(html).toContain('{app=&quot;search&quot;}');
    const bad = await (await fetch(`${base}/graph?${new URLSearchParams({ 'g0.expr': 'sum(rate(x[5m])' })}`)).text();
    expect(bad).toContain('Error: invalid parameter &quot;query&quot;: 1:16: parse error: unclosed left parenthesis');
    expect((await get('/api/v1/query?query=up', {})).status).toBe(401);
  });

  it('serves pod logs through Loki query_range with line filters', async () => {
    const selector = encodeURIComponent('{namespace="shop", app="broken"} |= "ENOTFOUND" != "errno"');
    const { status, body } = await waitFor(async () => {
      const answer = await get(`/loki/api/v1/query_range?query=${selector}&limit=50`);
      return answer.body.data?.result.length > 0 && answer;
    }, 'log lines of the crashing pod');
    expect(status).toBe(200);
    expect(body.data.resultType).toBe('streams');
    const [stream] = body.data.result;
    expect(stream.stream).toMatchObject({ namespace: 'shop', app: 'broken', container: 'broken' });
    for (const [ns, line] of stream.values) {
      expect(ns).toMatch(/^[0-9]{19}$/);
      expect(line).toContain('ENOTFOUND');
      expect(line).not.toContain('errno');
    }
    const bad = await get(`/loki/api/v1/query_range?query=${encodeURIComponent('sum(rate({app="x"}[1m]))')}`);
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('metric queries are not');
  });
});
