/**
 * Loki's log query API (https://grafana.com/docs/loki/latest/reference/loki-http-api/) over the pod logs kube-sim's
 * kubelet writes: GET/POST /loki/api/v1/query_range, /loki/api/v1/labels, /loki/api/v1/label/<name>/values. The LogQL
 * subset is a stream selector with matchers and line filters (|=, !=, |~, !~), parsed with Grafana's own grammar
 * (@grafana/lezer-logql); anything else (parsers, metric queries) is refused by name. Streams are labelled like
 * Promtail's Kubernetes discovery: namespace, pod, container, app, node. A deleted pod's logs stay queryable (the
 * newest `maxDeletedPods`), as they stay in a real Loki: that is what it is asked for once the pod is gone. With a
 * `tenant`, every request must name it in X-Scope-OrgID, as a multi-tenant Loki asks (401 "no org id" without one;
 * another tenant's logs are not there).
 */
import { parser } from '@grafana/lezer-logql';
import type { SyntaxNode } from '@lezer/common';
import type { KubeObject, SimCluster } from '../cluster-types.ts';
import type { ContainerLogs, LogLine } from '../runtime/container-logs.ts';
import type { ApiAnswer } from '../prometheus/prometheus-api.ts';
import { labelKey } from '../prometheus/promql-eval.ts';

type Matcher = { name: string; op: '=' | '!=' | '=~' | '!~'; value: string };
type LineFilter = { op: '|=' | '!=' | '|~' | '!~'; value: string };
export interface LogQuery {
  matchers: Matcher[];
  filters: LineFilter[];
}

class BadQuery extends Error {}

const unquote = (text: string) => (text.startsWith('`') ? text.slice(1, -1) : (JSON.parse(text) as string));
const collect = (node: SyntaxNode, name: string): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  const walk = (current: SyntaxNode) => {
    for (let child = current.firstChild; child; child = child.nextSibling) {
      if (child.name === name) out.push(child);
      else walk(child);
    }
  };
  walk(node);
  return out;
};

/** `{namespace="prod", app=~"check.*"} |= "error" != "debug"` → matchers and line filters. */
export function parseLogQL(query: string): LogQuery {
  const tree = parser.parse(query);
  let bad: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && bad === undefined) bad = node.from;
    },
  });
  if (bad !== undefined) throw new BadQuery(`parse error at char ${bad + 1}: ${JSON.stringify(query.slice(bad, bad + 10) || 'end of input')}`);
  const text = (node: SyntaxNode) => query.slice(node.from, node.to);
  const top = tree.topNode;
  if (!top.getChild('Expr')?.getChild('LogExpr')) throw new BadQuery('only log queries (a stream selector and line filters) are supported by kube-sim; metric queries are not');
  for (const unsupported of ['LabelParser', 'JsonExpressionParser', 'LogfmtParser', 'LabelFilter', 'LineFormatExpr', 'LabelFormatExpr', 'DropLabelsExpr', 'KeepLabelsExpr', 'DecolorizeExpr']) {
    if (collect(top, unsupported).length > 0) throw new BadQuery(`${unsupported} stages are not supported by kube-sim's LogQL subset (stream selector and line filters only)`);
  }
  const matchers = collect(top, 'Matcher').map((node): Matcher => {
    const [name, op, value] = [node.firstChild!, node.firstChild!.nextSibling!, node.lastChild!];
    return { name: text(name), op: text(op) as Matcher['op'], value: unquote(text(value)) };
  });
  if (!matchers.some((matcher) => (matcher.op === '=' || matcher.op === '=~') && matcher.value !== '')) {
    throw new BadQuery('queries require at least one regexp or equality matcher that does not have an empty-compatible value');
  }
  const filters = collect(top, 'LineFilter').map((node): LineFilter => {
    const filter = node.getChild('Filter')!;
    const value = node.getChild('String');
    if (!value) throw new BadQuery(`line filter "${text(node)}" is not supported by kube-sim (a quoted string only)`);
    return { op: text(filter) as LineFilter['op'], value: unquote(text(value)) };
  });
  return { matchers, filters };
}

function compile(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    throw new BadQuery(`invalid regular expression "${pattern}"`);
  }
}

/** Loki takes nanosecond integers, unix seconds with a fraction, or RFC 3339; returns nanoseconds as a bigint. */
function parseTime(text: string | null, fallback: bigint): bigint {
  if (!text) return fallback;
  if (/^[0-9]{16,}$/.test(text)) return BigInt(text);
  if (/^[0-9]+(\.[0-9]+)?$/.test(text)) return BigInt(Math.round(Number(text) * 1e9));
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new BadQuery(`invalid time "${text}"`);
  return BigInt(parsed) * 1_000_000n;
}

const maxDeletedPods = 200;

interface LogStream {
  labels: Record<string, string>;
  lines: LogLine[];
}

export function createLokiApi(options: { cluster: SimCluster; logs: ContainerLogs; now: () => Date; tenant?: string }) {
  // the logs of deleted pods, read when they are deleted (the kubelet's copy goes with the pod)
  const deleted: LogStream[][] = [];
  const unsubscribe = options.cluster.store.subscribe((change) => {
    if (change.type !== 'DELETED' || change.resource.resource !== 'pods' || change.resource.group !== '') return;
    deleted.push(streamsOf(change.object).map((stream) => ({ ...stream, lines: [...stream.lines] })));
    if (deleted.length > maxDeletedPods) deleted.shift();
  });
  const streamsOf = (pod: KubeObject): LogStream[] =>
    (pod.spec?.containers ?? []).map((container: any) => ({
      labels: {
        namespace: pod.metadata.namespace ?? '',
        pod: pod.metadata.name ?? '',
        container: String(container.name),
        app: pod.metadata.labels?.['app'] ?? pod.metadata.labels?.['app.kubernetes.io/name'] ?? pod.metadata.name ?? '',
        ...(pod.spec?.nodeName ? { node: String(pod.spec.nodeName) } : {}),
        job: `${pod.metadata.namespace}/${container.name}`,
      } as Record<string, string>,
      lines: options.logs.instances(pod.metadata.uid ?? '', String(container.name)).flatMap((instance) => instance.lines),
    }));
  const allStreams = () => {
    const pods = options.cluster.registry.byResource('', 'pods');
    return [...deleted.flat(), ...(pods ? options.cluster.store.list(pods).flatMap(streamsOf) : [])];
  };
  const selectorMatches = (labels: Record<string, string>, matchers: Matcher[]) =>
    matchers.every((matcher) => {
      const value = labels[matcher.name] ?? '';
      if (matcher.op === '=') return value === matcher.value;
      if (matcher.op === '!=') return value !== matcher.value;
      const matched = compile(`^(?:${matcher.value})$`).test(value);
      return matcher.op === '=~' ? matched : !matched;
    });

  function queryRange(params: URLSearchParams): ApiAnswer {
    const query = params.get('query');
    if (!query) throw new BadQuery('query parameter is required');
    const { matchers, filters } = parseLogQL(query);
    const nowNs = BigInt(options.now().getTime()) * 1_000_000n;
    const end = parseTime(params.get('end'), nowNs);
    const start = parseTime(params.get('start'), end - 3_600_000_000_000n);
    const limit = Math.min(5000, Number(params.get('limit') ?? 100) || 100);
    const forward = params.get('direction') === 'forward';
    const tests = filters.map((filter) => {
      if (filter.op === '|=') return (line: string) => line.includes(filter.value);
      if (filter.op === '!=') return (line: string) => !line.includes(filter.value);
      const regex = compile(filter.value);
      return filter.op === '|~' ? (line: string) => regex.test(line) : (line: string) => !regex.test(line);
    });
    const entries: Array<{ key: string; labels: Record<string, string>; ns: bigint; line: string }> = [];
    for (const stream of allStreams()) {
      if (!selectorMatches(stream.labels, matchers)) continue;
      const key = labelKey(stream.labels);
      for (const line of stream.lines) {
        const ns = BigInt(line.time.getTime()) * 1_000_000n;
        if (ns < start || ns > end || !tests.every((test) => test(line.text))) continue;
        entries.push({ key, labels: stream.labels, ns, line: line.text });
      }
    }
    // the limit keeps the newest lines (backward, Loki's default) or the oldest (forward)
    entries.sort((a, b) => (a.ns === b.ns ? 0 : (a.ns < b.ns) === forward ? -1 : 1));
    const kept = entries.slice(0, limit);
    const streams = new Map<string, { stream: Record<string, string>; values: Array<[string, string]> }>();
    for (const entry of kept) {
      const stream = streams.get(entry.key) ?? { stream: entry.labels, values: [] };
      stream.values.push([entry.ns.toString(), entry.line]);
      streams.set(entry.key, stream);
    }
    return {
      code: 200,
      body: { status: 'success', data: { resultType: 'streams', result: [...streams.values()], stats: { summary: { totalEntriesReturned: kept.length } } } },
    };
  }

  const empty = (path: string): ApiAnswer =>
    path === '/loki/api/v1/query_range' ? { code: 200, body: { status: 'success', data: { resultType: 'streams', result: [], stats: { summary: { totalEntriesReturned: 0 } } } } } : { code: 200, body: { status: 'success', data: [] } };

  return {
    close: unsubscribe,
    /** `orgId`: the request's X-Scope-OrgID header */
    answer(path: string, params: URLSearchParams, orgId?: string): ApiAnswer {
      if (options.tenant !== undefined) {
        if (!orgId) return { code: 401, body: 'no org id\n' };
        // another tenant's logs are not this one's: nothing to find, as on a multi-tenant Loki
        if (orgId !== options.tenant) return empty(path);
      }
      try {
        if (path === '/loki/api/v1/query_range') return queryRange(params);
        if (path === '/loki/api/v1/labels') return { code: 200, body: { status: 'success', data: [...new Set(allStreams().flatMap((stream) => Object.keys(stream.labels)))].sort() } };
        const label = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(path);
        if (label) {
          const name = decodeURIComponent(label[1]!);
          const values = new Set(allStreams().flatMap((stream) => (stream.labels[name] !== undefined ? [stream.labels[name]!] : [])));
          return { code: 200, body: { status: 'success', data: [...values].sort() } };
        }
        return { code: 404, body: `404 page not found: ${path}` };
      } catch (error) {
        // Loki answers a bad query with 400 and the message as plain text
        if (error instanceof BadQuery) return { code: 400, body: error.message };
        return { code: 500, body: (error as Error).message };
      }
    },
  };
}
