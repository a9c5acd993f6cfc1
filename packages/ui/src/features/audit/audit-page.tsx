import { knownAuditActions, type AuditRecord } from '@skyflo/protocol';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Download, ShieldCheck } from 'lucide-react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMe } from '../../lib/session.tsx';
import { API_BASE, skyflo } from '../../lib/api.ts';
import { QueryError } from '../../components/unavailable.tsx';
import { Badge, Button, EmptyState, ErrorNote, Input, PageHeader, Spinner } from '../../components/ui.tsx';
import { actorOf, AuditRecordPanel, ConversationLink } from './audit-record-panel.tsx';
import { useChainVerify } from './use-chain-verify.ts';

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
  const me = useMe();
  if (me.data && me.data.role !== 'admin') {
    // Members and approvers: no buttons they cannot use, no requests bound to fail.
    return (
      <div className="h-full overflow-y-auto">
        <div className="mx-auto max-w-6xl space-y-4 px-3 py-6 sm:px-6 sm:py-8">
          <PageHeader title="Audit" />
          <ErrorNote>Only admins can see this page.</ErrorNote>
        </div>
      </div>
    );
  }
  return <AdminAuditPage />;
}

function AdminAuditPage() {
  const [filters, setFilters] = useState<Filters>({});
  const [open, setOpen] = useState<AuditRecord>();
  const records = useInfiniteQuery({
    queryKey: ['audit', filters],
    queryFn: ({ pageParam }) => skyflo.audit(queryString(filters, { limit: '50', ...(pageParam ? { cursor: pageParam } : {}) })),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => (page.pagination.has_more ? page.pagination.next_cursor : undefined),
    retry: false,
  });
  const verify = useChainVerify();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setFilters({ action: String(form.get('action') || ''), tool: String(form.get('tool') || ''), from: String(form.get('from') || ''), to: String(form.get('to') || '') });
  }
  const items = records.data?.pages.flatMap((page) => page.data) ?? [];
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    // Below the lg breakpoint the record opens under the table: bring it into view, or a tap seems to do nothing.
    if (open && panel.current && !window.matchMedia('(min-width: 1024px)').matches) panel.current.scrollIntoView({ block: 'start' });
  }, [open]);

  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto max-w-6xl space-y-4 px-3 py-6 sm:px-6 sm:py-8">
        <PageHeader title="Audit">
          <div className="flex flex-wrap justify-end gap-2">
            <a className="inline-flex h-8 items-center gap-1 rounded-md border border-border px-2.5 text-sm hover:bg-panel-2" href={`${API_BASE}/audit/export?${queryString(filters, { format: 'jsonl' })}`}>
              <Download className="h-4 w-4" aria-hidden /> JSONL
            </a>
            <a className="inline-flex h-8 items-center gap-1 rounded-md border border-border px-2.5 text-sm hover:bg-panel-2" href={`${API_BASE}/audit/export?${queryString(filters, { format: 'csv' })}`}>
              <Download className="h-4 w-4" aria-hidden /> CSV
            </a>
            <Button size="sm" variant="primary" onClick={() => verify.start()} disabled={verify.running}>
              <ShieldCheck className="h-4 w-4" aria-hidden /> {verify.running ? 'Verifying…' : 'Verify chain'}
            </Button>
          </div>
        </PageHeader>
        {verify.running && verify.progress ? (
          <div role="status" data-testid="verify-progress" className="rounded-md border border-border px-3 py-2 text-sm text-muted">
            Verifying… {verify.progress.checked.toLocaleString()} records checked
            {verify.progress.head ? ` (up to #${verify.progress.sequence.toLocaleString()} of #${verify.progress.head.toLocaleString()})` : ''}
          </div>
        ) : null}
        {verify.report ? (
          <div role="status" data-testid="verify-result" className={`rounded-md border px-3 py-2 text-sm ${verify.report.ok ? 'border-ok/40 bg-ok/10 text-ok' : 'border-danger/40 bg-danger/10 text-danger'}`}>
            {verify.report.ok
              ? `Chain intact: ${verify.report.records_checked} records verified${verify.report.head_hash ? `, head ${verify.report.head_hash.slice(0, 12)}…` : '.'}`
              : verify.report.broken_at
                ? `Chain broken at record #${verify.report.broken_at.sequence}: ${verify.report.broken_at.reason}`
                : `${verify.report.not_written_by_engine?.count ?? 0} record(s) not written by the engine, first #${verify.report.not_written_by_engine?.records[0]?.sequence}: ${verify.report.not_written_by_engine?.records[0]?.reason}`}
          </div>
        ) : null}
        {verify.error ? (
          <ErrorNote>
            {verify.error}
            {verify.checkpoint && verify.progress ? (
              <Button size="sm" variant="ghost" className="ml-2" onClick={() => verify.resume()}>
                Resume after record #{verify.progress.sequence.toLocaleString()}
              </Button>
            ) : null}
          </ErrorNote>
        ) : null}
        <form onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label="Filter audit records">
          <label className="text-xs text-muted">
            Action
            <Input name="action" list="audit-actions" placeholder="approval.approved" autoComplete="off" className="mt-1 w-44" />
          </label>
          <datalist id="audit-actions" data-testid="audit-actions">
            {knownAuditActions.map((action) => (
              <option key={action} value={action} />
            ))}
          </datalist>
          <label className="text-xs text-muted">
            Tool
            <Input name="tool" placeholder="k8s_scale" className="mt-1 w-40" />
          </label>
          <label className="text-xs text-muted">
            From
            <Input name="from" type="datetime-local" className="mt-1 w-full max-w-52 sm:w-52" />
          </label>
          <label className="text-xs text-muted">
            To
            <Input name="to" type="datetime-local" className="mt-1 w-full max-w-52 sm:w-52" />
          </label>
          <Button type="submit">Filter</Button>
        </form>
        {records.isPending ? <Spinner /> : null}
        {records.isError ? <QueryError error={records.error} what="the audit trail" /> : null}
        {records.isSuccess && items.length === 0 ? <EmptyState title="No audit records match" /> : null}
        {items.length > 0 ? (
          <div className="grid items-start gap-4 lg:grid-cols-[minmax(0,1fr)_24rem]">
            {/* On a phone the table scrolls inside its own box instead of pushing the page sideways. */}
            <div className="min-w-0 overflow-x-auto" data-testid="audit-table-scroller">
              <table className="w-full text-sm" data-testid="audit-table">
                <thead>
                  <tr className="border-b border-border text-left text-xs uppercase tracking-wide text-muted">
                    <th className="hidden py-2 pr-2 font-medium sm:table-cell">#</th>
                    <th className="py-2 pr-2 font-medium">When</th>
                    <th className="py-2 pr-2 font-medium">Who</th>
                    <th className="py-2 pr-2 font-medium">Action</th>
                    <th className="hidden py-2 pr-2 font-medium md:table-cell">Tool</th>
                    <th className="hidden py-2 font-medium md:table-cell">Conversation</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((record) => (
                    <tr key={record.id} className={`cursor-pointer border-b border-border/60 align-top hover:bg-panel-2 ${open?.id === record.id ? 'bg-panel-2' : ''}`} onClick={() => setOpen(record)}>
                      <td className="hidden py-1.5 pr-2 font-mono text-xs text-muted sm:table-cell">{record.sequence}</td>
                      <td className="py-1.5 pr-2 text-xs">{new Date(record.at).toLocaleString()}</td>
                      <td className="max-w-[10rem] break-words py-1.5 pr-2 text-xs" title={record.actor_id ?? undefined}>
                        {actorOf(record)}
                      </td>
                      <td className="py-1.5 pr-2">
                        <button type="button" className="break-words text-left text-accent hover:underline" onClick={() => setOpen(record)}>
                          {record.action}
                        </button>
                      </td>
                      <td className="hidden py-1.5 pr-2 font-mono text-xs md:table-cell">{record.tool ?? ''}</td>
                      <td className="hidden max-w-[14rem] truncate py-1.5 text-xs md:table-cell" onClick={(event) => event.stopPropagation()}>
                        <ConversationLink record={record} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <aside ref={panel} aria-label="Audit record" className="min-w-0 space-y-2">
              {open ? <AuditRecordPanel record={open} /> : <p className="text-sm text-muted">Select a record to see its details.</p>}
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
