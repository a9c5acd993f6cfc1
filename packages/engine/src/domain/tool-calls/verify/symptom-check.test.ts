import type { TimelineEntry } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { checkSymptom, longestWindow, symptomQueryIn } from './symptom-check.ts';

const toolEntry = (calls: Array<{ tool: string; query?: string; status?: 'completed' | 'error' }>): TimelineEntry => ({
  id: 'a',
  type: 'assistant',
  content: '',
  timestamp: 0,
  segments: calls.map((call, index) => {
    const args: Record<string, unknown> = call.query ? { query: call.query } : {};
    return { kind: 'tool' as const, id: `c${index}`, toolExecution: { call_id: `c${index}`, tool: call.tool, title: call.tool, args, status: call.status ?? 'completed', timestamp: 0 } };
  }),
});

describe('the symptom a verification re-asks', () => {
  it.each([
    ['a latency quantile', 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))', true],
    ['an error ratio', 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))', true],
    ['memory', 'container_memory_working_set_bytes{pod="x"}', false],
    ['replicas', 'kube_deployment_status_replicas_available', false],
  ])('%s is %s a symptom query', (_, query, expected) => {
    expect(symptomQueryIn([toolEntry([{ tool: 'prometheus_query_range', query }])]) === query).toBe(expected);
  });

  it('is the newest one that answered, whichever PromQL tool ran it', () => {
    const timeline = [
      toolEntry([{ tool: 'prometheus_query', query: 'histogram_quantile(0.5, x_seconds_bucket)' }]),
      toolEntry([{ tool: 'prometheus_query_range', query: 'histogram_quantile(0.99, x_seconds_bucket)' }, { tool: 'prometheus_query', query: 'histogram_quantile(0.9, broken', status: 'error' }, { tool: 'k8s_get' }]),
    ];
    expect(symptomQueryIn(timeline)).toBe('histogram_quantile(0.99, x_seconds_bucket)');
    expect(symptomQueryIn([toolEntry([{ tool: 'k8s_get' }])])).toBeUndefined();
  });

  it('reads a query\'s longest window', () => {
    expect(longestWindow('rate(a[5m]) / rate(b[30s])')).toBe(300);
    expect(longestWindow('max_over_time(x[1h:1m])')).toBe(3600);
    expect(longestWindow('up')).toBe(0);
  });

  it('reports before and after per series, with the caveat of a window that still holds the time before', async () => {
    const asked: Array<Record<string, unknown>> = [];
    const tools = {
      async callTool(input: { name: string; args: Record<string, unknown> }) {
        asked.push(input.args);
        const before = input.args['time'] === '1000';
        return { isError: false, text: '', structured: { result_type: 'vector', result: [{ metric: { app: 'checkout' }, value: [0, before ? '3.56' : '0.193'] }] } };
      },
    };
    const symptom = await checkSymptom(tools as never, { query: 'histogram_quantile(0.99, sum by (le, app) (rate(x_seconds_bucket[5m])))', sources: { prometheus: { url: 'http://prom' } }, before: 1000, now: 1060 });
    expect(asked.map((args) => args['time'])).toEqual(['1000', '1060']);
    expect(symptom!.evidence.text).toBe(`{app="checkout"}: before 3.56 → now 0.193\nThe query's 300s window still holds 240s from before the change: ask again after ${new Date(1300 * 1000).toISOString()} for a reading of the change alone.`);
    expect(symptom!.summary).toBe('the symptom read 3.56 before the change and 0.193 now (its window still holds readings from before)');
  });

  it('says when the symptom could not be re-queried, instead of saying nothing', async () => {
    const tools = { callTool: async () => ({ isError: true, text: 'Prometheus at http://prom did not answer within 15 s.', structured: {} }) };
    const symptom = await checkSymptom(tools as never, { query: 'histogram_quantile(0.99, x_seconds_bucket)', sources: { prometheus: { url: 'http://prom' } }, before: 1000, now: 2000 });
    expect(symptom!.evidence.text).toBe('The symptom could not be re-queried: Prometheus at http://prom did not answer within 15 s.');
  });
});
