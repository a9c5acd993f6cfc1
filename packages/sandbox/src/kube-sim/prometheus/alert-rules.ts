/**
 * kube-sim's built-in alerting rules (a trimmed kube-prometheus set), evaluated on demand by /api/v1/alerts and
 * /api/v1/rules with the same evaluator as queries. `activeAt` is when this server first saw the alert firing.
 */
import { parsePromQL } from './promql-ast.ts';
import { evaluate, labelKey } from './promql-eval.ts';
import type { Labels, SimSeries } from './series-model.ts';

export interface AlertRule {
  name: string;
  query: string;
  labels: Labels;
  annotations: Record<string, string>;
}

export const builtInRules: AlertRule[] = [
  {
    name: 'KubePodCrashLooping',
    query: 'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1',
    labels: { severity: 'warning' },
    annotations: { summary: 'Pod is crash looping.', description: 'Pod {{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is in waiting state (reason: "CrashLoopBackOff").' },
  },
  {
    name: 'KubeContainerImagePullFailing',
    query: 'kube_pod_container_status_waiting_reason{reason=~"ErrImagePull|ImagePullBackOff"} > 0',
    labels: { severity: 'warning' },
    annotations: { summary: 'Container image cannot be pulled.', description: 'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} cannot pull its image ({{ $labels.reason }}).' },
  },
  {
    name: 'KubeDeploymentReplicasMismatch',
    query: 'kube_deployment_spec_replicas != kube_deployment_status_replicas_available',
    labels: { severity: 'warning' },
    annotations: { summary: 'Deployment has not matched the expected number of replicas.', description: 'Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has {{ $value }} replicas wanted but not all available.' },
  },
  {
    name: 'HighErrorRate',
    query: 'sum by (namespace, app) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (namespace, app) (rate(http_requests_total[5m])) > 0.05',
    labels: { severity: 'critical' },
    annotations: { summary: 'More than 5% of requests fail.', description: '{{ $labels.namespace }}/{{ $labels.app }} answers {{ $value }} of its requests with 5xx.' },
  },
  {
    name: 'HighRequestLatency',
    query: 'histogram_quantile(0.99, sum by (namespace, app, le) (rate(http_request_duration_seconds_bucket[5m]))) > 1',
    labels: { severity: 'warning' },
    annotations: { summary: 'p99 latency above 1s.', description: '{{ $labels.namespace }}/{{ $labels.app }} p99 latency is {{ $value }}s.' },
  },
  {
    name: 'ContainerMemoryNearLimit',
    query: 'container_memory_working_set_bytes / container_spec_memory_limit_bytes > 0.9',
    labels: { severity: 'warning' },
    annotations: { summary: 'Container memory near its limit.', description: 'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value }} of its memory limit.' },
  },
];

export interface FiringAlert {
  labels: Labels;
  annotations: Record<string, string>;
  state: 'firing';
  activeAt: string;
  value: string;
}

const render = (template: string, labels: Labels, value: number) =>
  template.replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? '').replace(/\{\{\s*\$value\s*\}\}/g, formatValue(value));

/** Prometheus's float formatting on the wire: shortest round-trip, NaN and ±Inf spelled its way. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function createAlertEvaluator() {
  const firstSeen = new Map<string, string>();
  return {
    /** every rule with the alerts it fires now */
    evaluate(series: SimSeries[], now: Date): Array<{ rule: AlertRule; alerts: FiringAlert[] }> {
      const t = now.getTime() / 1000;
      return builtInRules.map((rule) => {
        const result = evaluate(parsePromQL(rule.query), t, series);
        const samples = result.kind === 'vector' ? result.samples : [];
        const alerts = samples.map((sample): FiringAlert => {
          const { __name__: _, ...rest } = sample.labels;
          const labels = { alertname: rule.name, ...rest, ...rule.labels };
          const key = labelKey(labels);
          if (!firstSeen.has(key)) firstSeen.set(key, now.toISOString());
          const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([name, text]) => [name, render(text, rest, sample.value)]));
          return { labels, annotations, state: 'firing', activeAt: firstSeen.get(key)!, value: formatValue(sample.value) };
        });
        return { rule, alerts };
      });
    },
  };
}
