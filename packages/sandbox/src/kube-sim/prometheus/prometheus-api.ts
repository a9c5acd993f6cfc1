/**
 * Prometheus's HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/) over kube-sim's series:
 * /api/v1/query, /query_range, /series, /labels, /label/<name>/values, /alerts, /rules. Answers use Prometheus's
 * envelope ({status, data} or {status: "error", errorType, error}) and status codes (400 bad_data, 422 execution).
 * Parameters come from the query string or a form-encoded POST body, as Prometheus takes them.
 */
import { createAlertEvaluator, formatValue } from './alert-rules.ts';
import { parseDuration, parsePromQL, PromQLError, type Expr, type Matcher } from './promql-ast.ts';
import { evaluate, labelKey, type Value } from './promql-eval.ts';
import type { Labels, SeriesSource, SimSeries } from './series-model.ts';

export interface ApiAnswer {
  code: number;
  body: unknown;
}

/** Prometheus refuses range queries with more points than this per series. */
const maxPoints = 11_000;

const success = (data: unknown): ApiAnswer => ({ code: 200, body: { status: 'success', data } });
const failure = (code: number, errorType: string, error: string): ApiAnswer => ({ code, body: { status: 'error', errorType, error } });

class BadData extends Error {}

/** An RFC 3339 date or unix seconds (with a fraction), as Prometheus accepts `time`, `start`, `end`. */
export function parseTime(text: string | null, name: string, fallback?: number): number {
  if (text === null || text === '') {
    if (fallback !== undefined) return fallback;
    throw new BadData(`invalid parameter "${name}": missing`);
  }
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new BadData(`invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`);
  return parsed / 1000;
}

function parseStep(text: string | null): number {
  if (!text) throw new BadData('invalid parameter "step": missing');
  try {
    const step = parseDuration(text);
    if (!(step > 0)) throw new BadData('zero or negative query resolution step widths are not accepted. Try a positive integer');
    return step;
  } catch (error) {
    if (error instanceof BadData) throw error;
    throw new BadData(`invalid parameter "step": cannot parse "${text}" to a valid duration`);
  }
}

function parseQuery(text: string | null): Expr {
  if (!text) throw new BadData('invalid parameter "query": missing');
  try {
    return parsePromQL(text);
  } catch (error) {
    throw new BadData(`invalid parameter "query": ${(error as Error).message}`);
  }
}

const round3 = (t: number) => Math.round(t * 1000) / 1000;

/** topk, bottomk and sort answer in their own order; every other vector is listed by labels, for stable answers. */
const ordered = (expr: Expr) => (expr.type === 'aggregate' && (expr.op === 'topk' || expr.op === 'bottomk')) || (expr.type === 'call' && (expr.fn === 'sort' || expr.fn === 'sort_desc'));

function instantResult(value: Value, t: number, keepOrder: boolean): { resultType: string; result: unknown } {
  const ts = round3(t);
  switch (value.kind) {
    case 'scalar':
      return { resultType: 'scalar', result: [ts, formatValue(value.value)] };
    case 'string':
      return { resultType: 'string', result: [ts, value.value] };
    case 'vector':
      return { resultType: 'vector', result: (keepOrder ? value.samples : sortByLabels(value.samples)).map((sample) => ({ metric: sample.labels, value: [ts, formatValue(sample.value)] })) };
    case 'matrix':
      return { resultType: 'matrix', result: sortByLabels(value.series).map((entry) => ({ metric: entry.labels, values: entry.points.map(([time, v]) => [round3(time), formatValue(v)]) })) };
  }
}

function sortByLabels<T extends { labels: Labels }>(items: T[]): T[] {
  return [...items].sort((a, b) => (labelKey(a.labels) < labelKey(b.labels) ? -1 : 1));
}

function compile(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    throw new BadData(`invalid regular expression "${pattern}"`);
  }
}

/** `match[]` selectors of /series and /labels: each must be a plain vector selector. */
function selectorMatchers(params: URLSearchParams): Matcher[][] {
  return params.getAll('match[]').map((text) => {
    const expr = parseQuery(text);
    if (expr.type !== 'selector') throw new BadData(`invalid parameter "match[]": ${text} is not a vector selector`);
    return expr.matchers;
  });
}

export function createPrometheusApi(options: { source: SeriesSource; now: () => Date }) {
  const alerts = createAlertEvaluator();
  const nowSeconds = () => options.now().getTime() / 1000;

  const matching = (series: SimSeries[], selectors: Matcher[][], start: number, end: number): SimSeries[] => {
    const inWindow = series.filter((candidate) => candidate.start <= end && (candidate.end === undefined || candidate.end >= start));
    if (selectors.length === 0) return inWindow;
    const keys = new Set<string>();
    // /series lists series that existed anywhere in the window, not only at its end: labels are matched directly
    for (const matchers of selectors) {
      const regexes = new Map(matchers.filter((matcher) => matcher.type === '=~' || matcher.type === '!~').map((matcher) => [matcher.value, compile(matcher.value)]));
      for (const candidate of inWindow) {
        const ok = matchers.every((matcher) => {
          const label = candidate.labels[matcher.name] ?? '';
          if (matcher.type === '=') return label === matcher.value;
          if (matcher.type === '!=') return label !== matcher.value;
          return regexes.get(matcher.value)!.test(label) === (matcher.type === '=~');
        });
        if (ok) keys.add(labelKey(candidate.labels));
      }
    }
    return inWindow.filter((candidate) => keys.has(labelKey(candidate.labels)));
  };

  function handle(path: string, params: URLSearchParams): ApiAnswer {
    const series = options.source.series();
    const now = nowSeconds();
    switch (path) {
      case '/api/v1/query': {
        const expr = parseQuery(params.get('query'));
        const t = parseTime(params.get('time'), 'time', now);
        return success(instantResult(evaluate(expr, t, series), t, ordered(expr)));
      }
      case '/api/v1/query_range': {
        const expr = parseQuery(params.get('query'));
        const start = parseTime(params.get('start'), 'start');
        const end = parseTime(params.get('end'), 'end');
        if (end < start) throw new BadData('invalid parameter "end": end timestamp must not be before start time');
        const step = parseStep(params.get('step'));
        if ((end - start) / step > maxPoints) throw new BadData('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
        const byLabels = new Map<string, { metric: Labels; values: Array<[number, string]> }>();
        for (let t = start; t <= end + 1e-9; t += step) {
          const value = evaluate(expr, t, series);
          if (value.kind === 'matrix' || value.kind === 'string') throw new BadData(`invalid expression type "${value.kind === 'matrix' ? 'range vector' : 'string'}" for range query, must be Scalar or instant Vector`);
          const samples = value.kind === 'scalar' ? [{ labels: {}, value: value.value }] : value.samples;
          for (const sample of samples) {
            const key = labelKey(sample.labels);
            const entry = byLabels.get(key) ?? { metric: sample.labels, values: [] };
            entry.values.push([round3(t), formatValue(sample.value)]);
            byLabels.set(key, entry);
          }
        }
        const result = [...byLabels.values()].sort((a, b) => (labelKey(a.metric) < labelKey(b.metric) ? -1 : 1));
        return success({ resultType: 'matrix', result });
      }
      case '/api/v1/series': {
        if (params.getAll('match[]').length === 0) throw new BadData('no match[] parameter provided');
        const start = parseTime(params.get('start'), 'start', now - 300);
        const end = parseTime(params.get('end'), 'end', now);
        const unique = new Map(matching(series, selectorMatchers(params), start, end).map((candidate) => [labelKey(candidate.labels), candidate.labels]));
        return success([...unique.values()].sort((a, b) => (labelKey(a) < labelKey(b) ? -1 : 1)));
      }
      case '/api/v1/labels': {
        const start = parseTime(params.get('start'), 'start', now - 300);
        const end = parseTime(params.get('end'), 'end', now);
        const names = new Set(matching(series, selectorMatchers(params), start, end).flatMap((candidate) => Object.keys(candidate.labels)));
        return success([...names].sort());
      }
      case '/api/v1/alerts':
        return success({ alerts: alerts.evaluate(series, options.now()).flatMap((entry) => entry.alerts) });
      case '/api/v1/rules': {
        const evaluated = alerts.evaluate(series, options.now());
        const type = params.get('type');
        const rules =
          type === 'record'
            ? []
            : evaluated.map(({ rule, alerts: firing }) => ({
                state: firing.length > 0 ? 'firing' : 'inactive',
                name: rule.name,
                query: rule.query,
                duration: 0,
                labels: rule.labels,
                annotations: rule.annotations,
                alerts: firing,
                health: 'ok',
                evaluationTime: 0,
                lastEvaluation: options.now().toISOString(),
                type: 'alerting',
              }));
        return success({ groups: [{ name: 'kube-sim', file: 'kube-sim/built-in.rules.yaml', rules, interval: 30, evaluationTime: 0, lastEvaluation: options.now().toISOString() }] });
      }
      default: {
        const label = /^\/api\/v1\/label\/([^/]+)\/values$/.exec(path);
        if (!label) return failure(404, 'not_found', `no such endpoint: ${path}`);
        const name = decodeURIComponent(label[1]!);
        const start = parseTime(params.get('start'), 'start', now - 300);
        const end = parseTime(params.get('end'), 'end', now);
        const values = new Set(matching(series, selectorMatchers(params), start, end).flatMap((candidate) => (candidate.labels[name] !== undefined ? [candidate.labels[name]!] : [])));
        return success([...values].sort());
      }
    }
  }

  return {
    /** Answers one API request; never throws (a bad query is a 400, an evaluation failure a 422). */
    answer(path: string, params: URLSearchParams): ApiAnswer {
      try {
        return handle(path, params);
      } catch (error) {
        if (error instanceof BadData) return failure(400, 'bad_data', error.message);
        if (error instanceof PromQLError) return failure(422, 'execution', error.message);
        return failure(500, 'internal', (error as Error).message);
      }
    },
  };
}
