/**
 * Where a rollout happened inside a range query's window, for the chart's markers and the model's summary (issue 78
 * item 6): the ReplicaSets created in the window, read from kube-state-metrics' kube_replicaset_created (creation
 * time, unix seconds) and kube_replicaset_owner (their Deployment) through the same Prometheus. A step in a latency
 * chart next to "checkout: new ReplicaSet checkout-76f5c4f9cc at 11:20:29Z" is what an on-call person looks for.
 * Only the namespaces (and Deployments) the query is about are looked at; a source without kube-state-metrics gives
 * no markers, and a failed lookup gives none rather than failing the query.
 */
import { parsePrometheusValue } from '@skyflo/protocol';
import type { ToolDeps } from '../../deps/deps.ts';
import type { ToolCallContext } from '../../contract/tool-definition.ts';
import { querySource } from './data-sources.ts';
import type { RangeSeries } from './summarise-series.ts';

export interface RolloutMarker {
  /** unix seconds */
  at: number;
  label: string;
}

const maxMarkers = 10;
const kubernetesName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The values of `label` the query names (`label="x"`) or its series carry. */
function valuesOf(label: string, query: string, series: RangeSeries[]): string[] {
  const named = [...query.matchAll(new RegExp(`\\b${label}\\s*=\\s*"([^"]+)"`, 'g'))].map((match) => match[1]!);
  const carried = series.map((entry) => entry.metric?.[label]).filter((value): value is string => typeof value === 'string');
  return [...new Set([...named, ...carried])].filter((value) => kubernetesName.test(value));
}

export async function rolloutMarkers(input: { query: string; series: RangeSeries[]; start: number; end: number }, deps: ToolDeps, context: ToolCallContext): Promise<RolloutMarker[]> {
  const namespaces = valuesOf('namespace', input.query, input.series).slice(0, 20);
  if (namespaces.length === 0) return [];
  const owners = new Set([...valuesOf('deployment', input.query, input.series), ...valuesOf('app', input.query, input.series)]);
  const selector = `namespace=~"${namespaces.join('|')}"`;
  const instant = async (promql: string) => {
    try {
      const answer = await querySource('prometheus', '/api/v1/query', new URLSearchParams({ query: promql, time: String(input.end) }), deps, context);
      return answer.ok && Array.isArray(answer.json.data?.result) ? (answer.json.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>) : [];
    } catch {
      return [];
    }
  };
  const [created, ownership] = await Promise.all([instant(`kube_replicaset_created{${selector}}`), instant(`kube_replicaset_owner{${selector}, owner_kind="Deployment"}`)]);
  const ownerOf = new Map(ownership.map((sample) => [`${sample.metric['namespace']}/${sample.metric['replicaset']}`, sample.metric['owner_name'] ?? '']));
  const markers: RolloutMarker[] = [];
  for (const sample of created) {
    const at = parsePrometheusValue(String(sample.value?.[1]));
    const namespace = sample.metric['namespace'] ?? '';
    const replicaSet = sample.metric['replicaset'] ?? '';
    const owner = ownerOf.get(`${namespace}/${replicaSet}`);
    if (!Number.isFinite(at) || at < input.start || at > input.end || !owner) continue;
    if (owners.size > 0 && !owners.has(owner)) continue;
    markers.push({ at, label: `${namespace}/${owner}: new ReplicaSet ${replicaSet}` });
  }
  return markers.sort((a, b) => a.at - b.at).slice(-maxMarkers);
}
