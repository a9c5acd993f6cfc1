/**
 * The observability tools on the incident sandbox (issue 78 items 3 and 6): checkout rolled out a slower build 20
 * minutes ago. Per pod, the old pods' latency series say they ended at the rollout and the new pods' that they began
 * there (they used to read as four live series); the range query names the rollout (a new ReplicaSet, from
 * kube_replicaset_created) in the text and gives the chart a marker at it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withEngineObservabilitySources } from '../../src/tools/observability/data-sources.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
const ask = (tool: string, input: Record<string, unknown>) => harness.call(tool, input, withEngineObservabilitySources(harness.deps, { prometheus: { url: harness.sim.observability!.url } }));

beforeAll(async () => {
  harness = await startKubeHarness({ scenario: 'incidents', settings: {}, observability: {} });
});
afterAll(() => harness?.close());

describe('the tools on the incident sandbox', () => {
  it('per pod, the old checkout pods ended at the rollout and the new ones began there; the rollout is named and marked', async () => {
    const result = await ask('prometheus_query_range', { query: 'histogram_quantile(0.99, sum by (le, pod) (rate(http_request_duration_seconds_bucket{namespace="shop", app="checkout"}[5m])))', start: '1h', step: '60s' });
    expect(result.isError).toBeFalsy();
    const lines = result.text.split('\n');
    expect(lines[0]).toBe('4 series (2 ended before the range end), highest peak first:');
    // Measured from the rollout this answer names, not from the clock: where a series begins depends on the scrape
    // phase and the step grid (up to a few minutes after the rollout), and how long after the sandbox started the
    // query ran depends on how busy the machine is.
    const rolloutLine = lines.find((line) => line.startsWith('Rollouts in this range: ')) ?? '';
    const rollouts = [...rolloutLine.matchAll(/new ReplicaSet checkout-[a-z0-9]+ at ((?:\d{4}-\d\d-\d\dT)?\d\d:\d\d:\d\d)Z/g)].map((match) => match[1]!);
    const range = /^\(range (\S+) \.\. (\S+), step 60s\)$/.exec(lines.find((line) => line.startsWith('(range ')) ?? '');
    expect(range).not.toBeNull();
    const rangeStart = Date.parse(range![1]!);
    const rangeEnd = Date.parse(range![2]!);
    const at = (clock: string) => {
      // a range across midnight (UTC) names each time with its date; one inside a day names the clock time only
      if (clock.includes('T')) return Date.parse(`${clock}Z`);
      // a clock time of the range's own day(s): the one within the range
      const day = new Date(rangeEnd).toISOString().slice(0, 10);
      const sameDay = Date.parse(`${day}T${clock}Z`);
      return sameDay > rangeEnd ? sameDay - 86_400_000 : sameDay;
    };
    const rolloutAt = at(rollouts.at(-1)!);
    const minutes = (ms: number) => ms / 60_000;
    // a rate over [5m] keeps answering for up to five minutes after the pod's last scrape, as on Prometheus
    const ended = lines.flatMap((line) => {
      const match = / — .*ended ((?:\d{4}-\d\d-\d\dT)?\d\d:\d\d:\d\d)Z \((\d+)m\d*s? before the range end; no value since\)/.exec(line);
      return match ? [{ at: at(match[1]!), said: Number(match[2]) }] : [];
    });
    const began = lines.flatMap((line) => {
      const match = /— began ((?:\d{4}-\d\d-\d\dT)?\d\d:\d\d:\d\d)Z \((\d+)m\d*s? after the range start\)/.exec(line);
      return match && at(match[1]!) >= rolloutAt ? [{ at: at(match[1]!), said: Number(match[2]) }] : [];
    });
    expect(ended).toHaveLength(2);
    expect(began).toHaveLength(2);
    for (const series of ended) {
      expect(minutes(series.at - rolloutAt)).toBeGreaterThanOrEqual(0);
      expect(minutes(series.at - rolloutAt)).toBeLessThanOrEqual(7);
      expect(series.said).toBe(Math.floor(minutes(rangeEnd - series.at)));
    }
    for (const series of began) {
      expect(minutes(series.at - rolloutAt)).toBeLessThanOrEqual(4);
      expect(series.said).toBe(Math.floor(minutes(series.at - rangeStart)));
    }
    // the new pods are the slow ones: highest peak first
    expect(lines[1]).toMatch(/ — began /);
    expect(lines[1]).toMatch(/  last 3\.\d+ at /);
    const rollout = lines.find((line) => line.startsWith('Rollouts in this range: '));
    expect(rollout).toMatch(/shop\/checkout: new ReplicaSet checkout-[a-z0-9]+ at (?:\d{4}-\d\d-\d\dT)?\d\d:\d\d:\d\dZ/);
    const markers = result.structured?.['markers'] as Array<{ at: number; label: string }>;
    // the chart's marker is the rollout the text names; the sandbox rolled it out 20 minutes before it started
    const recent = markers.filter((marker) => marker.at * 1000 > rangeEnd - 30 * 60_000);
    expect(recent).toHaveLength(1);
    expect(Math.floor(recent[0]!.at) * 1000).toBe(rolloutAt);
    expect(minutes(rangeEnd - rolloutAt)).toBeGreaterThan(19);
  });

  it('names no rollout for a query about another namespace that had none', async () => {
    const result = await ask('prometheus_query_range', { query: 'sum(container_memory_working_set_bytes{namespace="sessions", container="cache"})', start: '30m', step: '60s' });
    expect(result.text).not.toMatch(/Rollouts in this range/);
    expect(result.structured?.['markers']).toBeUndefined();
  });
});
