/**
 * The incident sandbox's charts show the incident (issue 78 item 6). The `incidents` scenario starts an hour ago and
 * lives through its past, so every series begins when its object began and ends when it ended, and each incident's
 * series show the change it is about: the rollout step in checkout's latency (the old pods end there, the new ones
 * begin there), the leak climbing all hour, the canary's errors from the moment it was deployed, and thumbnails
 * slowing down when the encoder arrived on its node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../src/kube-sim/index.ts';

let sim: KubeSim;
let now: number;

/** points of each series over the last hour at a one-minute step, as {minutesAgo: value} */
async function range(query: string): Promise<Array<{ metric: Record<string, string>; points: Map<number, number> }>> {
  const response = await fetch(`${sim.observability!.url}/api/v1/query_range?${new URLSearchParams({ query, start: String(now - 3600), end: String(now), step: '60' })}`);
  const body = (await response.json()) as any;
  expect(body.status, JSON.stringify(body)).toBe('success');
  return body.data.result.map((series: any) => ({ metric: series.metric, points: new Map(series.values.map(([t, v]: [number, string]) => [Math.round((now - t) / 60), Number(v)])) }));
}
const minutesAgo = (timestamp: string) => (now - Date.parse(timestamp) / 1000) / 60;
const between = (points: Map<number, number>, from: number, to: number) => [...points].filter(([ago]) => ago <= from && ago >= to).map(([, value]) => value);

beforeAll(async () => {
  sim = await startKubeSim({ scenario: 'incidents', observability: {} });
  now = Math.floor(Date.now() / 1000 / 60) * 60;
});
afterAll(() => sim?.close());

describe('the incident sandbox\'s series show each incident', () => {
  it('checkout: p99 steps from about 0.2 s to about 3.5 s at the rollout 20 minutes ago, where the old pods end and the new begin', async () => {
    const [p99] = await range('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="shop", app="checkout"}[5m])))');
    for (const value of between(p99!.points, 58, 22)) expect(value).toBeLessThan(0.3);
    for (const value of between(p99!.points, 14, 0)) expect(value).toBeGreaterThan(2.5);
    const running = await range('kube_pod_status_phase{namespace="shop", phase="Running"} == 1');
    const lifetimes = running.map(({ metric, points }) => ({ pod: metric['pod']!, first: Math.max(...points.keys()), last: Math.min(...points.keys()) }));
    const old = lifetimes.filter((entry) => entry.first >= 59);
    const fresh = lifetimes.filter((entry) => entry.first < 59);
    expect(old).toHaveLength(2);
    expect(fresh).toHaveLength(2);
    // the old ReplicaSet's pods stopped at the rollout; the new ones have existed only since then
    for (const entry of old) expect(entry.last).toBeGreaterThanOrEqual(19);
    for (const entry of old) expect(entry.last).toBeLessThanOrEqual(21);
    for (const entry of fresh) expect(entry.first).toBeGreaterThanOrEqual(19);
    for (const entry of fresh) expect(entry.first).toBeLessThanOrEqual(20);
    // and the objects say the same: the revisions' ReplicaSets were created then
    const sets = (await (await fetch(`${sim.url}/apis/apps/v1/namespaces/shop/replicasets`, { headers: { authorization: `Bearer ${sim.adminToken}` } })).json()) as any;
    const byRevision = Object.fromEntries(sets.items.map((set: any) => [set.metadata.annotations['deployment.kubernetes.io/revision'], set]));
    expect(minutesAgo(byRevision['1'].metadata.creationTimestamp)).toBeGreaterThan(59);
    expect(minutesAgo(byRevision['2'].metadata.creationTimestamp)).toBeGreaterThan(19);
    expect(minutesAgo(byRevision['2'].metadata.creationTimestamp)).toBeLessThan(21);
    expect(byRevision['1'].spec.replicas).toBe(0);
  });

  it('session-api: the cache container\'s memory climbs all hour, about 60 kB/s, still below its limit (no plateau: the leak is still climbing)', async () => {
    const [memory] = await range('container_memory_working_set_bytes{namespace="sessions", container="cache"}');
    const values = [...memory!.points].sort((a, b) => b[0] - a[0]).map(([, value]) => value);
    for (let index = 1; index < values.length; index++) expect(values[index]).toBeGreaterThanOrEqual(values[index - 1]!);
    const growth = values.at(-1)! - values[0]!;
    expect(growth / 3600).toBeGreaterThan(50_000);
    expect(growth / 3600).toBeLessThan(70_000);
    expect(values.at(-1)!).toBeLessThan(512 * 2 ** 20);
    expect(values.at(-1)!).toBeGreaterThan(values.at(-2)!);
  });

  it('web-canary: 25 % errors from when it was deployed 15 minutes ago; the stable web near zero all hour', async () => {
    const ratios = await range('sum by (app) (rate(http_requests_total{namespace="prod", code="500"}[5m])) / sum by (app) (rate(http_requests_total{namespace="prod"}[5m]))');
    const canary = ratios.find((series) => series.metric['app'] === 'web-canary')!;
    const stable = ratios.find((series) => series.metric['app'] === 'web')!;
    expect(Math.max(...canary.points.keys())).toBeLessThanOrEqual(15);
    expect(Math.max(...canary.points.keys())).toBeGreaterThanOrEqual(13);
    for (const value of canary.points.values()) expect(Math.abs(value - 0.25)).toBeLessThan(0.02);
    expect(Math.max(...stable.points.keys())).toBeGreaterThanOrEqual(55);
    for (const value of stable.points.values()) expect(value).toBeLessThan(0.01);
  });

  it('thumbnails: worker-a\'s CPU jumps by about 3 cores when the encoder arrives 10 minutes ago, and thumbnails\' p99 rises then', async () => {
    const [cpu] = await range('sum(rate(container_cpu_usage_seconds_total{node="worker-a"}[2m]))');
    for (const value of between(cpu!.points, 55, 12)) expect(value).toBeLessThan(1);
    for (const value of between(cpu!.points, 7, 0)) expect(value).toBeGreaterThan(2.5);
    const [p99] = await range('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="media", app="thumbnails"}[2m])))');
    const before = Math.max(...between(p99!.points, 55, 12));
    const after = Math.min(...between(p99!.points, 7, 0));
    expect(after).toBeGreaterThan(before * 2);
  });
});
