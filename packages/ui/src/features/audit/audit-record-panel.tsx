import type { AuditRecord } from '@skyflo/protocol';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { skyflo } from '../../lib/api.ts';
import { Link } from 'react-router-dom';
import { Spinner } from '../../components/ui.tsx';

const DiffView = lazy(() => import('../../components/diff-view.tsx'));

/** The conversation a record belongs to: the column, or details.conversation_id (approval records keep it there). */
export function conversationIdOf(record: AuditRecord): string | null {
  const fromDetails = record.details['conversation_id'];
  return record.conversation_id ?? (typeof fromDetails === 'string' ? fromDetails : null);
}

/** Who did it, in words: the member's email (a removed member's id), or the engine itself. */
export function actorOf(record: AuditRecord): string {
  if (record.actor_email) return record.actor_email;
  return record.actor_id ? 'removed member' : 'system';
}

/** A link to the conversation by its title (ids are for machines); a deleted one says so. */
export function ConversationLink({ record }: { record: AuditRecord }) {
  const id = conversationIdOf(record);
  if (!id) return null;
  return (
    <Link to={`/chat/${id}`} className="text-accent hover:underline" title={id}>
      {record.conversation_title === undefined ? 'Open the conversation' : (record.conversation_title ?? 'Untitled or deleted conversation')}
    </Link>
  );
}

/** A hash is for comparing, not reading: its first 12 characters, the whole of it on hover and for copying. */
function ShortHash({ label, value }: { label: string; value: string | null }) {
  if (!value) return null;
  return (
    <span className="font-mono text-[11px] text-muted" title={value}>
      {label} {value.slice(0, 12)}…
    </span>
  );
}

/** Member ids → e-mails (the audit is for admins, who may list the team): details name people by id. */
function useMemberEmails(): Map<string, string> | undefined {
  const members = useQuery({ queryKey: ['team'], queryFn: () => skyflo.members(), retry: false });
  return members.data ? new Map(members.data.map((member) => [member.id, member.email])) : undefined;
}

/** The details as shown: `requested_by` (a user id) as the member's e-mail, which a reader recognises. */
function readableDetails(details: Record<string, unknown>, emails: Map<string, string> | undefined): Record<string, unknown> {
  const requestedBy = details['requested_by'];
  if (typeof requestedBy !== 'string' || !emails?.has(requestedBy)) return details;
  return { ...details, requested_by: emails.get(requestedBy) };
}

/** One record: who, what, where (linked), the change itself for approvals and proposals, then the raw details. */
export function AuditRecordPanel({ record }: { record: AuditRecord }) {
  const emails = useMemberEmails();
  const requestedBy = typeof record.details['requested_by'] === 'string' ? (record.details['requested_by'] as string) : undefined;
  const diff = typeof record.details['diff'] === 'string' ? (record.details['diff'] as string) : (record.approved_diff ?? undefined);
  const reason = typeof record.details['reason'] === 'string' ? (record.details['reason'] as string) : undefined;
  return (
    <div className="min-w-0 rounded-lg border border-border bg-panel p-3" data-testid="audit-record">
      <div data-testid="audit-record-summary">
      <p className="text-sm font-semibold">
        #{record.sequence} {record.action}
      </p>
      <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-2 gap-y-0.5 text-xs">
        <dt className="text-muted">When</dt>
        <dd>{new Date(record.at).toLocaleString()}</dd>
        <dt className="text-muted">Who</dt>
        <dd className="break-all" title={record.actor_id ?? undefined}>
          {actorOf(record)}
        </dd>
        {requestedBy ? (
          <>
            <dt className="text-muted">Requested by</dt>
            <dd className="break-all" title={requestedBy} data-testid="audit-requested-by">
              {emails ? (emails.get(requestedBy) ?? 'removed member') : '…'}
            </dd>
          </>
        ) : null}
        {conversationIdOf(record) ? (
          <>
            <dt className="text-muted">Conversation</dt>
            <dd className="break-words">
              <ConversationLink record={record} />
            </dd>
          </>
        ) : null}
        {record.tool ? (
          <>
            <dt className="text-muted">Tool</dt>
            <dd className="font-mono">{record.tool}</dd>
          </>
        ) : null}
        {reason ? (
          <>
            <dt className="text-muted">Reason</dt>
            <dd className="break-words">{reason}</dd>
          </>
        ) : null}
        <dt className="text-muted">From</dt>
        <dd>{record.ip ?? 'no address'}</dd>
      </dl>
      <p className="mt-1 flex flex-wrap gap-x-3">
        <ShortHash label="hash" value={record.hash} />
        <ShortHash label="prev" value={record.prev_hash} />
      </p>
      </div>
      {diff ? (
        <div className="mt-2" data-testid="audit-record-diff">
          <p className="mb-1 text-xs font-medium text-muted">{record.action.startsWith('approval.') ? 'The change that was decided' : 'The proposed change'}</p>
          <Suspense fallback={<Spinner label="Loading diff" />}>
            <DiffView diff={diff} />
          </Suspense>
        </div>
      ) : null}
      <p className="mt-2 text-xs font-medium text-muted">Details</p>
      {/* wrapped, not scrolled sideways: a long argument or diff line stays readable in the side panel and on a phone */}
      <pre tabIndex={0} className="mt-1 max-h-80 overflow-y-auto whitespace-pre-wrap break-words rounded-md bg-panel-2 p-2 font-mono text-xs [overflow-wrap:anywhere]" data-testid="audit-record-json">
        {JSON.stringify(readableDetails(record.details, emails), null, 2)}
      </pre>
    </div>
  );
}
