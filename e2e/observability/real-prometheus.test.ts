/**
 * The observability tools against the real query engine (issue 78 item 5): Debian's Prometheus, on loopback, scrapes
 * kube-sim's /metrics every second, and the same questions go to it and to kube-sim's own Prometheus API. What a
 * person on call reads must not depend on which one answered: the same parse errors and 422s, +Inf and NaN read as
 * Prometheus writes them, a deleted pod's series ending where Prometheus marked it stale, and a partial answer's
 * warnings passed on. Nothing leaves loopback: the only remote is a loopback port nothing listens on.
 */
import type { ObservabilitySources, ToolOutput } from '@skyflo/mcp-server';
import { startRealPrometheus, type RealPrometheus } from '@skyflo/testkit/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIncidentCluster, waitFor, type IncidentCluster } from '../incidents/support/incident-cluster.ts';

const metricsToken = 'real-prometheus-scrape-token-5e1c';
const scenario = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 80}]
          env: [{name: SIM_REQUESTS_PER_SECOND, value: "10"}, {name: SIM_LATENCY_MS, value: "50"}]
`;

let cluster: IncidentCluster;
let prometheus: RealPrometheus;
let viaReal: ObservabilitySources;
let viaSim: ObservabilitySources;

const ask = async (tool: string, input: Record<string, unknown>, sources: ObservabilitySources): Promise<ToolOutput> => {
  const deps = cluster.harness.depsWith({});
  deps.observabilitySources = sources;
  return cluster.harness.call(tool, input, deps);
};
const promql = async (url: string, query: string) => (await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`)).json()) as any;

beforeAll(async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'real-prometheus-')), 'scenario.yaml');
  writeFileSync(file, scenario);
  cluster = await startIncidentCluster({ scenario: file, observability: { bearerToken: metricsToken } });
  const sim = cluster.harness.sim.observability!;
  prometheus = await startRealPrometheus({ targets: [{ job: 'kube-sim', url: sim.url, bearerToken: metricsToken }] });
  viaReal = { prometheus: { url: prometheus.url } };
  viaSim = { prometheus: { url: sim.url, auth: { type: 'bearer', token: metricsToken } } };
  // the first scrapes: Prometheus hands static targets to its scrapers every 5 s, then scrapes every second
  await waitFor(async () => (await promql(prometheus.url, 'count(kube_pod_status_phase{namespace="shop", phase="Running"} == 1) >= 2')).data?.result?.length === 1, 60_000, 200);
}, 120_000);

afterAll(async () => {
  await prometheus?.close();
  await cluster?.close();
});

describe('the observability tools against the real Prometheus engine and kube-sim alike', () => {
  it('kube-sim\'s /metrics is scraped as the exposition format: the same replica counts through both', async () => {
    const query = 'sum by (deployment) (kube_deployment_spec_replicas{namespace="shop"})';
    const [real, sim] = await Promise.all([ask('prometheus_query', { query }, viaReal), ask('prometheus_query', { query }, viaSim)]);
    expect(real.text).toBe('1 series, largest first:\n{deployment="web"}  2');
    expect(sim.text).toBe(real.text);
  });

  it.each([
    'sum(rate(http_requests_total[5m])',
    'foo(http_requests_total)',
    'rate(http_requests_total)',
    'histogram_quantile(0.9)',
    '{job=""}',
    'sum by (app (http_requests_total)',
  ])('refuses %s with the same words from both engines', async (query) => {
    const [real, sim] = await Promise.all([ask('prometheus_query', { query }, viaReal), ask('prometheus_query', { query }, viaSim)]);
    expect(real.isError).toBe(true);
    expect(real.text).toMatch(/^Prometheus refused the query: invalid parameter "query": 1:\d+: parse error: /);
    expect(sim.text).toBe(real.text);
  });

  it('a result repeating a label set is the same 422 from both engines', async () => {
    const query = 'abs({__name__=~"kube_deployment_spec_replicas|kube_deployment_status_replicas", namespace="shop"})';
    const [real, sim] = await Promise.all([ask('prometheus_query', { query }, viaReal), ask('prometheus_query', { query }, viaSim)]);
    expect(real.text.split('\n')[0]).toBe('Prometheus refused the query: vector cannot contain metrics with the same labelset');
    expect(sim.text).toBe(real.text);
  });

  it('the real engine\'s +Inf is +Inf and its all-NaN range is reported, not "no series matched"', async () => {
    const division = await ask('prometheus_query', { query: 'sum(kube_deployment_spec_replicas{namespace="shop"}) / 0' }, viaReal);
    expect(division.text.split('\n')).toEqual(['1 series, largest first:', '{}  +Inf', expect.stringMatching(/^Note: \+Inf is a positive number divided by zero/)]);
    const zeroOverZero = 'sum(kube_deployment_spec_replicas{namespace="shop"} - kube_deployment_spec_replicas{namespace="shop"}) / 0';
    // once the scrapes cover a few steps of the range
    const quiet = await waitFor(async () => {
      const answer = await ask('prometheus_query_range', { query: zeroOverZero, start: '10s', step: '2s' }, viaReal);
      return /all [3-9] points NaN/.test(answer.text) && answer;
    }, 60_000, 500);
    expect(quiet.text).not.toMatch(/No series matched/);
    expect(quiet.text.split('\n')[1]).toMatch(/^\{\}  all \d+ points NaN  last NaN at (?:\d{4}-\d\d-\d\dT)?\d\d:\d\d:\d\dZ/);
  });

  it('kube-sim\'s rate agrees with the real engine\'s over the same counters', async () => {
    const query = 'sum(rate(http_requests_total{namespace="shop"}[30s]))';
    // a rate over a window the real engine has not filled yet reads low (it divides by the whole window): wait until
    // it has scraped for all of the 30 s
    await waitFor(async () => (await promql(prometheus.url, 'count_over_time(up{job="kube-sim"}[30s]) >= 28')).data.result.length === 1, 90_000, 500);
    const real = (await promql(prometheus.url, query)).data.result[0];
    const simAnswer = await ask('prometheus_query', { query }, viaSim);
    const realValue = Number(real.value[1]);
    const simValue = Number(/^\{\}  ([0-9.]+)$/m.exec(simAnswer.text)?.[1]);
    // two pods at 10 requests a second each, with kube-sim's ±20 % swing; both engines read the same counters
    expect(realValue).toBeGreaterThan(12);
    expect(Math.abs(simValue - realValue) / realValue).toBeLessThan(0.2);
  });

  it('a deleted pod\'s series ends where the real Prometheus marked it stale, and the summary says so', async () => {
    const pods = await cluster.json(['get', 'pods', '-n', 'shop', '-l', 'app=web']);
    const victim = pods.items[0].metadata.name as string;
    const from = Math.floor(Date.now() / 1000) - 10;
    await cluster.ok(['delete', 'pod', victim, '-n', 'shop', '--wait=false']);
    const selector = `kube_pod_status_phase{namespace="shop", phase="Running", pod="${victim}"}`;
    // the pod's series must have stopped a few scrapes ago
    const summary = await waitFor(async () => {
      const answer = await ask('prometheus_query_range', { query: selector, start: String(from), step: '1s' }, viaReal);
      return /ended (?:\d{4}-\d\d-\d\dT)?\d\d:\d\d:\d\dZ \((\d+s|\d+m\d*s?) before the range end; no value since\)/.test(answer.text) && /before the range end; no value since\) *$/.test(answer.text.split('\n')[1]!) && Number(/\((\d+)s before/.exec(answer.text)?.[1] ?? 0) >= 4 && answer;
    }, 60_000, 500);
    expect(summary.text.split('\n')[0], summary.text).toBe('1 series (1 ended before the range end), highest peak first:');
    expect(summary.text.split('\n')[1]).toMatch(new RegExp(`^kube_pod_status_phase\\{.*pod="${victim}".*\\}  min 1  max 1  last 1 at (\\d\\d:\\d\\d:\\d\\dZ)  flat  — (began [^;]+; )?ended \\1 `));
  });
});

describe('a partial answer from the real engine', () => {
  it('passes the warnings of a store that did not answer to the model and to the card', async () => {
    // a Prometheus whose remote-read store does not answer: every query reaching before its start is partial
    const partial = await startRealPrometheus({ targets: [], unreachableRemoteRead: true });
    try {
      const answer = await ask('prometheus_query_range', { query: 'up', start: '1h', step: '60s' }, { prometheus: { url: partial.url } });
      const lines = answer.text.split('\n');
      expect(lines).toContain('Prometheus warned that this answer may be partial or approximate:');
      expect(lines.at(-1)).toMatch(/^- remote_read: .*connection refused/);
      expect(answer.structured?.['warnings']).toEqual([expect.stringMatching(/^remote_read: .*connection refused/)]);
    } finally {
      await partial.close();
    }
  });
});
