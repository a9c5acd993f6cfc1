import { describe, expect, it } from 'vitest';
import { chartOf } from './gate-tools.ts';

const structured = { query: 'up', start: 1000, end: 1600, step: 60, series: [{ metric: { app: 'checkout' }, values: [[1000, '1']] }], prometheus_url: 'http://prometheus.example:9090' };

describe('chartOf', () => {
  it('links the chart to the Prometheus it ran on and the Grafana the engine has configured in front of it', () => {
    expect(chartOf('prometheus_query_range', structured, 'https://grafana.example.com')).toMatchObject({ query: 'up', source_url: 'http://prometheus.example:9090', grafana_url: 'https://grafana.example.com' });
    expect(chartOf('prometheus_query_range', structured)).not.toHaveProperty('grafana_url');
  });

  it('never takes a Grafana link from the tool: only an admin configures where users are sent', () => {
    expect(chartOf('prometheus_query_range', { ...structured, grafana_url: 'https://attacker.example' })).not.toHaveProperty('grafana_url');
    expect(chartOf('prometheus_query_range', { ...structured, grafana_url: 'https://attacker.example' }, 'https://grafana.example.com')?.grafana_url).toBe('https://grafana.example.com');
  });

  it('carries what the data source warned about the answer to the card (a partial response is not a whole one)', () => {
    expect(chartOf('prometheus_query_range', { ...structured, warnings: ['partial response: store 10.0.0.3:10901 unavailable'], native_histograms: 2 })).toMatchObject({ warnings: ['partial response: store 10.0.0.3:10901 unavailable'], native_histograms: 2 });
  });

  it('draws only prometheus_query_range results', () => {
    expect(chartOf('prometheus_query', structured, 'https://grafana.example.com')).toBeUndefined();
  });
});
