import { useQuery } from '@tanstack/react-query';
import { BarChart3 } from 'lucide-react';
import { useState } from 'react';
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { skyflo } from '../../lib/api.ts';
import { QueryError } from '../../components/unavailable.tsx';
import { EmptyState, PageHeader, Spinner } from '../../components/ui.tsx';

const ranges = [
  { id: '15m', label: '15 min', minutes: 15 },
  { id: '1h', label: '1 hour', minutes: 60 },
  { id: '24h', label: '24 hours', minutes: 1440 },
  { id: '7d', label: '7 days', days: 7 },
  { id: '30d', label: '30 days', days: 30 },
] as const;

function rangeQuery(id: (typeof ranges)[number]['id']): string {
  const range = ranges.find((item) => item.id === id)!;
  if ('days' in range) return `last_n_days=${range.days}`;
  const end = new Date();
  const start = new Date(end.getTime() - range.minutes * 60_000);
  return `start_datetime=${encodeURIComponent(start.toISOString())}&end_datetime=${encodeURIComponent(end.toISOString())}`;
}

const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);
const ms = (value: number | null) => (value === null ? '—' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`);
const money = (value: number | null) => (value === null ? '—' : `$${value.toFixed(value < 1 ? 4 : 2)}`);

function Card({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="rounded-lg border border-border bg-panel p-4">
      <p className="text-xs font-medium uppercase tracking-wide text-muted">{label}</p>
      <p className="mt-1 text-2xl font-semibold tabular-nums">{value}</p>
      {hint ? <p className="mt-0.5 text-xs text-muted">{hint}</p> : null}
    </div>
  );
}

function Chart({ title, children }: { title: string; children: React.ReactElement }) {
  return (
    <figure className="rounded-lg border border-border bg-panel p-4" aria-label={title}>
      <figcaption className="mb-2 text-sm font-medium">{title}</figcaption>
      <div className="h-56">
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

const axis = { stroke: 'var(--muted)', fontSize: 11 };

/**
 * Points, not curves: a bucket is a measured interval, and a smoothed curve between buckets (type "monotone") invents
 * values between them. Dots: a line needs two points, so a window whose data sits in one bucket (or buckets separated
 * by empty ones) would otherwise draw nothing while its card shows a number.
 */
const latencyDot = { r: 3 };

/** Dollar ticks; with no cost at all, one tick at $0 instead of recharts' default 0–4 scale for an all-zero series. */
function costAxis(buckets: readonly { cost: number }[]) {
  const hasCost = buckets.some((bucket) => bucket.cost > 0);
  return hasCost
    ? { tickFormatter: (value: number) => `$${value < 1 ? value.toFixed(value === 0 ? 0 : 4).replace(/0+$/, '') : value.toFixed(2)}` }
    : { domain: [0, 1] as [number, number], ticks: [0], tickFormatter: () => '$0' };
}

/** Usage and outcomes over a time window (the analytics endpoint of the governance contracts). */
export default function AnalyticsPage() {
  const [range, setRange] = useState<(typeof ranges)[number]['id']>('24h');
  const metrics = useQuery({ queryKey: ['analytics', range], queryFn: () => skyflo.analytics(rangeQuery(range)), retry: false });
  const data = metrics.data;
  const buckets = (data?.buckets ?? []).map((bucket) => ({ ...bucket, label: new Date(bucket.start).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) }));
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto max-w-6xl space-y-5 px-6 py-8">
        <PageHeader title="Analytics">
          <div role="radiogroup" aria-label="Time range" className="flex rounded-md border border-border bg-panel p-0.5">
            {ranges.map((item) => (
              <button
                key={item.id}
                type="button"
                role="radio"
                aria-checked={range === item.id}
                onClick={() => setRange(item.id)}
                className={`rounded px-2.5 py-1 text-xs font-medium ${range === item.id ? 'bg-accent text-accent-fg' : 'text-muted hover:text-fg'}`}
              >
                {item.label}
              </button>
            ))}
          </div>
        </PageHeader>
        {metrics.isPending ? <Spinner /> : null}
        {metrics.isError ? <QueryError error={metrics.error} what="analytics" /> : null}
        {data && data.summary.total_tokens === 0 && data.summary.conversations === 0 ? (
          <EmptyState icon={<BarChart3 className="h-8 w-8 text-muted" aria-hidden />} title="No activity in this window">
            Pick a longer range, or chat with Skyflo first.
          </EmptyState>
        ) : null}
        {data ? (
          <>
            <div className="grid grid-cols-2 gap-3 md:grid-cols-4" data-testid="analytics-cards">
              <Card label="Conversations" value={String(data.summary.conversations)} />
              <Card label="Tokens" value={data.summary.total_tokens.toLocaleString()} hint={`${data.summary.cached_tokens.toLocaleString()} cached`} />
              <Card label="Cost" value={money(data.summary.cost)} hint={`${money(data.summary.avg_cost_per_conversation)} per conversation`} />
              <Card label="Approval rate" value={percent(data.summary.approval_acceptance_rate)} hint={`${data.summary.approvals_approved} approved · ${data.summary.approvals_denied} denied`} />
              <Card label="Avg TTFT" value={ms(data.summary.avg_ttft_ms)} hint={`p95 ${ms(data.summary.p95_ttft_ms)}`} />
              <Card label="Avg response" value={ms(data.summary.avg_ttr_ms)} hint={`p95 ${ms(data.summary.p95_ttr_ms)}`} />
              <Card label="Cache hit rate" value={percent(data.summary.cache_hit_rate)} />
              <Card label="Tool calls" value={String(data.summary.tool_calls)} hint={`${data.summary.tool_errors} errors (${percent(data.summary.tool_error_rate)})`} />
            </div>
            {data.unpriced_models.length > 0 ? <p className="text-xs text-warn">No price known for {data.unpriced_models.join(', ')}: their cost counts as 0.</p> : null}
            <div className="grid gap-4 lg:grid-cols-2">
              <Chart title="Tokens">
                <AreaChart data={buckets}>
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
                  <XAxis dataKey="label" {...axis} />
                  <YAxis {...axis} />
                  <Tooltip contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }} />
                  <Legend />
                  <Area type="linear" dataKey="prompt_tokens" name="Prompt" stackId="t" stroke="#3b82f6" fill="#3b82f6" fillOpacity={0.35} />
                  <Area type="linear" dataKey="completion_tokens" name="Completion" stackId="t" stroke="#22c55e" fill="#22c55e" fillOpacity={0.35} />
                </AreaChart>
              </Chart>
              <Chart title="Cost (USD)">
                <BarChart data={buckets}>
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
                  <XAxis dataKey="label" {...axis} />
                  <YAxis {...axis} {...costAxis(buckets)} width={64} />
                  <Tooltip contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }} formatter={(value) => money(Number(value))} />
                  <Bar dataKey="cost" name="Cost" fill="#a855f7" />
                </BarChart>
              </Chart>
              <Chart title="Latency (ms)">
                <LineChart data={buckets}>
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
                  <XAxis dataKey="label" {...axis} />
                  <YAxis {...axis} />
                  <Tooltip contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }} />
                  <Legend />
                  <Line type="linear" dataKey="avg_ttft_ms" name="Avg TTFT" stroke="#f59e0b" dot={latencyDot} />
                  <Line type="linear" dataKey="avg_ttr_ms" name="Avg response" stroke="#06b6d4" dot={latencyDot} />
                </LineChart>
              </Chart>
              <Chart title="Tool calls by tool">
                <BarChart data={data.tools} layout="vertical">
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
                  <XAxis type="number" {...axis} />
                  <YAxis type="category" dataKey="tool" width={110} {...axis} />
                  <Tooltip contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }} />
                  <Legend />
                  <Bar dataKey="calls" name="Calls" fill="#3b82f6" />
                  <Bar dataKey="errors" name="Errors" fill="#ef4444" />
                </BarChart>
              </Chart>
            </div>
          </>
        ) : null}
      </div>
    </div>
  );
}
