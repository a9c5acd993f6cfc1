/**
 * kube-sim's series in the Prometheus text exposition format (version 0.0.4), served at /metrics on the observability
 * listener, so a real Prometheus can scrape the simulated cluster and the observability tools can be tested against
 * the real query engine too, not only against kube-sim's. Every series alive at the scrape is written with its value
 * then; a pod's series stop appearing when the pod is deleted, and the scraping Prometheus marks them stale, as it
 * would for a real pod. The series carry their own `job` label (kube-state-metrics, kubelet, the app): scrape with
 * `honor_labels: true` to keep them.
 */
import { formatValue } from './alert-rules.ts';
import type { Labels, SimSeries } from './series-model.ts';

export const expositionContentType = 'text/plain; version=0.0.4; charset=utf-8';

const help: Record<string, string> = {
  container_cpu_usage_seconds_total: 'Cumulative CPU time consumed in seconds.',
  container_memory_working_set_bytes: 'Current working set in bytes.',
  container_spec_memory_limit_bytes: 'Memory limit for the container in bytes.',
  http_requests_total: 'HTTP requests served, by status code.',
  http_request_duration_seconds: 'HTTP request latency in seconds.',
  kube_pod_status_phase: 'The pod\'s current phase.',
  kube_pod_container_status_restarts_total: 'The number of container restarts per container.',
  kube_pod_container_status_ready: 'Whether the container\'s readiness check succeeded.',
  kube_pod_container_status_waiting_reason: 'The reason the container is in a waiting state.',
};

const histogramSuffixes = ['_bucket', '_sum', '_count'] as const;

/** The family a series belongs to: histograms' _bucket/_sum/_count share their base name. */
function familyOf(name: string, histograms: Set<string>): { family: string; type: 'counter' | 'gauge' | 'histogram' } {
  for (const suffix of histogramSuffixes) {
    if (name.endsWith(suffix) && histograms.has(name.slice(0, -suffix.length))) return { family: name.slice(0, -suffix.length), type: 'histogram' };
  }
  return { family: name, type: name.endsWith('_total') ? 'counter' : 'gauge' };
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function sampleLine(labels: Labels, value: number): string {
  const { __name__: name, ...rest } = labels;
  const pairs = Object.keys(rest)
    .sort()
    .map((key) => `${key}="${escapeLabel(rest[key]!)}"`);
  return `${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`;
}

/** The series alive at `now` (unix seconds), one family after another, as a Prometheus scrape reads them. */
export function renderExposition(series: SimSeries[], now: number): string {
  const alive = series.filter((entry) => entry.labels['__name__'] && entry.start <= now && (entry.end === undefined || entry.end >= now));
  const histograms = new Set(alive.map((entry) => entry.labels['__name__']!).filter((name) => name.endsWith('_bucket')).map((name) => name.slice(0, -'_bucket'.length)));
  const families = new Map<string, { type: string; lines: string[] }>();
  for (const entry of alive) {
    const { family, type } = familyOf(entry.labels['__name__']!, histograms);
    const group = families.get(family) ?? { type, lines: [] };
    group.lines.push(sampleLine(entry.labels, entry.value(now)));
    families.set(family, group);
  }
  const out: string[] = [];
  for (const family of [...families.keys()].sort()) {
    const { type, lines } = families.get(family)!;
    out.push(`# HELP ${family} ${help[family] ?? 'Simulated by kube-sim from the cluster\'s objects.'}`, `# TYPE ${family} ${type}`, ...lines.sort());
  }
  return `${out.join('\n')}\n`;
}
