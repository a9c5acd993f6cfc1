import type { AuditListResponse, AuditRecord, AuditVerifyResponse } from '@skyflo/protocol';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { Download, ShieldCheck } from 'lucide-react';
import { lazy, Suspense, useState, type FormEvent } from 'react';
import { api, API_BASE } from '../../lib/api.ts';
import { QueryError } from '../../components/unavailable.tsx';
import { Badge, Button, EmptyState, ErrorNote, Input, PageHeader, Spinner } from '../../components/ui.tsx';

const DiffView = lazy(() => import('../../components/diff-view.tsx'));

interface Filters {
  action?: string;
  tool?: string;
  from?: string;
  to?: string;
}

function queryString(filters: Filters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(extra);
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, key === 'from' || key === 'to' ? new Date(value).toISOString() : value);
  return params.toString();
}

/** The append-only audit trail (admins): filter, open a record (with its diff), export, verify the hash chain. */
export default function AuditPage() {
  const [filters, setFilters] = useState<Filters>({});
  const [open, setOpen] = useState<AuditRecord>();
  const records = useInfiniteQuery({
    queryKey: ['audit', filters],
    queryFn: ({ pageParam }) => api<AuditListResponse>(`/audit?${queryString(filters, { limit: '50', ...(pageParam ? { cursor: pageParam } : {}) })}`),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => (page.pagination.has_more ? page.pagination.next_cursor : undefined),
    retry: false,
  });
  const verify = useMutation({ mutationFn: () => api<AuditVerifyResponse>('/audit/verify') });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setFilters({ action: String(form.get('action') || ''), tool: String(form.get('tool') || ''), from: String(form.get('from') || ''), to: String(form.get('to') || '') });
  }
  const items = records.data?.pages.flatMap((page) => page.data) ?? [];
  const diff = open && typeof open.details['diff'] === 'string' ? (open.details['diff'] as string) : undefined;

  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto max-w-6xl space-y-4 px-6 py-8">
        <PageHeader title="Audit">
          <div className="flex gap-2">
            <a className="inline-flex h-8 items-center gap-1 rounded-md border border-border px-2.5 text-sm hover:bg-panel-2" href={`${API_BASE}/audit/export?${queryString(filters, { format: 'jsonl' })}`}>
              <Download className="h-4 w-4" aria-hidden /> JSONL
            </a>
            <a className="inline-flex h-8 items-center gap-1 rounded-md border border-border px-2.5 text-sm hover:bg-panel-2" href={`${API_BASE}/audit/export?${queryString(filters, { format: 'csv' })}`}>
              <Download className="h-4 w-4" aria-hidden /> CSV
            </a>
            <Button size="sm" variant="primary" onClick={() => verify.mutate()} disabled={verify.isPending}>
              <ShieldCheck className="h-4 w-4" aria-hidden /> {verify.isPending ? 'Verifying…' : 'Verify chain'}
            </Button>
          </div>
        </PageHeader>
        {verify.data ? (
          <div role="status" data-testid="verify-result" className={`rounded-md border px-3 py-2 text-sm ${verify.data.ok ? 'border-ok/40 bg-ok/10 text-ok' : 'border-danger/40 bg-danger/10 text-danger'}`}>
            {verify.data.ok
              ? `Chain intact: ${verify.data.records_checked} records verified${verify.data.head_hash ? `, head ${verify.data.head_hash.slice(0, 12)}…` : '.'}`
              : `Chain broken at record #${verify.data.broken_at?.sequence}: ${verify.data.broken_at?.reason}`}
          </div>
        ) : null}
        {verify.isError ? <ErrorNote>{verify.error.message}</ErrorNote> : null}
        <form onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label="Filter audit records">
          <label className="text-xs text-muted">
            Action
            <Input name="action" placeholder="tool.approved" className="mt-1 w-44" />
          </label>
          <label className="text-xs text-muted">
            Tool
            <Input name="tool" placeholder="k8s_scale" className="mt-1 w-40" />
          </label>
          <label className="text-xs text-muted">
            From
            <Input name="from" type="datetime-local" className="mt-1 w-52" />
          </label>
          <label className="text-xs text-muted">
            To
            <Input name="to" type="datetime-local" className="mt-1 w-52" />
          </label>
          <Button type="submit">Filter</Button>
        </form>
        {records.isPending ? <Spinner /> : null}
        {records.isError ? <QueryError error={records.error} what="the audit trail" /> : null}
        {records.isSuccess && items.length === 0 ? <EmptyState title="No audit records match" /> : null}
        {items.length > 0 ? (
          <div className="grid items-start gap-4 lg:grid-cols-[1fr_24rem]">
            <table className="w-full text-sm" data-testid="audit-table">
              <thead>
                <tr className="border-b border-border text-left text-xs uppercase tracking-wide text-muted">
                  <th className="py-2 font-medium">#</th>
                  <th className="py-2 font-medium">When</th>
                  <th className="py-2 font-medium">Who</th>
                  <th className="py-2 font-medium">Action</th>
                  <th className="py-2 font-medium">Tool</th>
                </tr>
              </thead>
              <tbody>
                {items.map((record) => (
                  <tr key={record.id} className={`cursor-pointer border-b border-border/60 hover:bg-panel-2 ${open?.id === record.id ? 'bg-panel-2' : ''}`} onClick={() => setOpen(record)}>
                    <td className="py-1.5 font-mono text-xs text-muted">{record.sequence}</td>
                    <td className="py-1.5 text-xs">{new Date(record.at).toLocaleString()}</td>
                    <td className="py-1.5 text-xs">{record.actor_email ?? record.actor_id ?? 'system'}</td>
                    <td className="py-1.5">
                      <button type="button" className="text-left text-accent hover:underline" onClick={() => setOpen(record)}>
                        {record.action}
                      </button>
                    </td>
                    <td className="py-1.5 font-mono text-xs">{record.tool ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <aside aria-label="Audit record" className="space-y-2">
              {open ? (
                <div className="rounded-lg border border-border bg-panel p-3">
                  <p className="text-sm font-semibold">
                    #{open.sequence} {open.action}
                  </p>
                  <p className="text-xs text-muted">{new Date(open.at).toLocaleString()} · {open.ip ?? 'no address'}</p>
                  <p className="mt-1 break-all font-mono text-[11px] text-muted">hash {open.hash}</p>
                  {diff ? (
                    <div className="mt-2">
                      <Suspense fallback={<Spinner label="Loading diff" />}>
                        <DiffView diff={diff} />
                      </Suspense>
                    </div>
                  ) : null}
                  <pre tabIndex={0} className="mt-2 max-h-80 overflow-auto rounded-md bg-panel-2 p-2 font-mono text-xs">{JSON.stringify(open.details, null, 2)}</pre>
                </div>
              ) : (
                <p className="text-sm text-muted">Select a record to see its details.</p>
              )}
            </aside>
          </div>
        ) : null}
        {records.hasNextPage ? (
          <Button onClick={() => void records.fetchNextPage()} disabled={records.isFetchingNextPage}>
            Load more
          </Button>
        ) : null}
        {items.some((record) => record.action.includes('denied')) ? <Badge tone="danger">Includes denials</Badge> : null}
      </div>
    </div>
  );
}
