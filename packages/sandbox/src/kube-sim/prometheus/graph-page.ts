/**
 * A minimal page at /graph taking Prometheus' own graph parameters (g0.expr, g0.range_input, g0.end_input,
 * g0.step_input), so a chart's "Open in Prometheus" link works against kube-sim in the sandbox: the query, its range,
 * the series drawn as lines (server-side SVG, no script) with a legend, and the query's error when it has one. It
 * renders what the query API answers for the same range; it is not Prometheus' UI.
 */
import type { ApiAnswer } from './prometheus-api.ts';

const width = 960;
const height = 320;
const palette = ['#3b82f6', '#ef4444', '#10b981', '#f59e0b', '#8b5cf6', '#ec4899', '#14b8a6', '#f97316', '#6366f1', '#84cc16'];
const maxDrawn = 10;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** "3600s", "1h", "30m" → seconds (Prometheus' range_input); 3600 when absent or unreadable. */
function rangeSeconds(text: string | null): number {
  const match = /^([0-9]+)(s|m|h|d|w)?$/.exec(text ?? '');
  if (!match) return 3600;
  return Number(match[1]) * ({ s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as Record<string, number>)[match[2] ?? 's']!;
}

const label = (metric: Record<string, string>) => {
  const { __name__: name, ...rest } = metric;
  const pairs = Object.entries(rest).map(([key, value]) => `${key}="${value}"`);
  return `${name ?? ''}{${pairs.join(', ')}}`;
};

/** The page for `params`; `query` answers a range query as the API does. */
export function renderGraphPage(params: URLSearchParams, now: number, query: (params: URLSearchParams) => ApiAnswer): string {
  const expr = params.get('g0.expr') ?? '';
  const range = rangeSeconds(params.get('g0.range_input'));
  const endInput = params.get('g0.end_input');
  const end = endInput && !Number.isNaN(Date.parse(endInput)) ? Date.parse(endInput) / 1000 : now;
  const step = Math.max(1, Number(params.get('g0.step_input')) || Math.ceil(range / 250));
  let body: string;
  if (!expr) {
    body = '<p>No query: open this page from a chart\'s "Open in Prometheus" link, or add ?g0.expr=… to the address.</p>';
  } else {
    const answer = query(new URLSearchParams({ query: expr, start: String(end - range), end: String(end), step: String(step) }));
    const data = answer.body as { status?: string; error?: string; data?: { result?: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
    body = data.status === 'success' ? chart(data.data?.result ?? [], end - range, end) : `<p class="error">Error: ${escape(String(data.error ?? `HTTP ${answer.code}`))}</p>`;
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kube-sim: ${escape(expr || 'graph')}</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5rem;color:#111}code{background:#f3f4f6;padding:.2rem .4rem;border-radius:4px;word-break:break-all}
.error{color:#b91c1c}ul{list-style:none;padding:0}li{margin:.2rem 0;font-family:monospace;font-size:12px}i{display:inline-block;width:.8rem;height:.8rem;margin-right:.4rem;vertical-align:middle}</style></head>
<body><h1>kube-sim Prometheus API</h1>
<p><code>${escape(expr)}</code></p>
<p>${new Date((end - range) * 1000).toISOString()} to ${new Date(end * 1000).toISOString()}, step ${step}s</p>
${body}
</body></html>`;
}

function chart(result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>, start: number, end: number): string {
  const drawn = result.slice(0, maxDrawn);
  const values = drawn.flatMap((series) => series.values.map(([, value]) => Number(value)).filter(Number.isFinite));
  if (values.length === 0) return '<p>No data points in this range.</p>';
  const low = Math.min(0, ...values);
  const high = Math.max(...values) || 1;
  const x = (t: number) => ((t - start) / Math.max(1, end - start)) * width;
  const y = (value: number) => height - ((value - low) / Math.max(Number.EPSILON, high - low)) * height;
  const lines = drawn.map((series, index) => {
    // a NaN or a missing step breaks the line, as Prometheus' graph does
    const segments: string[][] = [[]];
    for (const [t, text] of series.values) {
      const value = Number(text);
      if (!Number.isFinite(value)) segments.push([]);
      else segments.at(-1)!.push(`${x(t).toFixed(1)},${y(value).toFixed(1)}`);
    }
    return segments
      .filter((points) => points.length > 0)
      .map((points) => `<polyline fill="none" stroke="${palette[index % palette.length]}" stroke-width="1.5" points="${points.join(' ')}"/>`)
      .join('');
  });
  const legend = drawn.map((series, index) => `<li><i style="background:${palette[index % palette.length]}"></i>${escape(label(series.metric))}</li>`).join('');
  return `<svg role="img" aria-label="series" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px;border:1px solid #e5e7eb">${lines.join('')}</svg>
<p>max ${high}, min ${low}${result.length > maxDrawn ? `; ${result.length - maxDrawn} more series not drawn` : ''}</p>
<ul>${legend}</ul>`;
}
