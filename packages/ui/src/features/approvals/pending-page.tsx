import { approvalNeedsPreview, hasFailedPreview, type PendingApproval } from '@skyflo/protocol';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { Ban, CheckCircle2, Hourglass, RotateCcw, ShieldCheck, XCircle } from 'lucide-react';
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { signApproval } from '../../lib/passkeys.ts';
import { Badge, Button, EmptyState, ErrorNote, PageHeader, Spinner } from '../../components/ui.tsx';
import { target } from '../../lib/tool-card-labels.ts';
import { AutoRevertOption } from '../../components/auto-revert-option.tsx';
import { ApprovalCluster, ApprovalTarget } from '../../components/clusters/approval-cluster.tsx';
import { useMe } from '../../lib/session.tsx';
import { autoRevertBlocked } from '../../lib/auto-revert-offer.ts';
import { decidePending, type DecisionOutcome } from './decide.ts';
import { cannotDecideReason, previewRequiredWords } from '../../lib/decision-rights.ts';
import { fetchPendingApprovals, pendingApprovalsKey } from '../../lib/pending-approvals.tsx';

const DiffView = lazy(() => import('../../components/diff-view.tsx'));

/** A decision made on this page; the call leaves the list, the outcome stays until the page is left. */
interface Decided {
  item: PendingApproval;
  approve: boolean;
  /** approved with automatic revert */
  autoRevert?: boolean;
  outcome: DecisionOutcome;
}

const conversationName = (item: PendingApproval) => item.conversation_title || 'an untitled conversation';

/** How many calls the queue shows per page (the engine's most). */
const QUEUE_PAGE = 100;

/**
 * Calls waiting for a decision across conversations: an approver's work queue with APPROVAL_POLICY=approver, where
 * they approve or deny in place (the run then continues in its conversation, on the engine). Oldest first, a page at a
 * time with the queue's length (issue 79: a long queue hid every call after the 200th). A link to one call
 * (`?call=…&conversation=…`) shows that call first, whatever page it is on.
 */
export default function PendingApprovalsPage() {
  const queryClient = useQueryClient();
  const pending = useInfiniteQuery({
    queryKey: [...pendingApprovalsKey, 'queue'],
    queryFn: ({ pageParam }) => fetchPendingApprovals({ limit: QUEUE_PAGE, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    refetchInterval: 10_000,
  });
  const [search] = useSearchParams();
  const linkedConversation = search.get('conversation') ?? undefined;
  const linked = useQuery({
    queryKey: [...pendingApprovalsKey, 'conversation', linkedConversation],
    queryFn: () => fetchPendingApprovals({ conversation_id: linkedConversation!, limit: 200 }),
    enabled: linkedConversation !== undefined && /^[0-9a-f-]{36}$/i.test(linkedConversation),
    refetchInterval: 10_000,
  });
  const [decided, setDecided] = useState<Decided[]>([]);
  const decidedIds = new Set(decided.map((entry) => entry.item.call_id));
  const linkedCall = search.get('call');
  const first = (linked.data?.data ?? []).filter((item) => item.call_id === linkedCall);
  const queued = pending.data?.pages.flatMap((page) => page.data) ?? [];
  const key = (item: PendingApproval) => `${item.conversation_id}:${item.call_id}`;
  const firstKeys = new Set(first.map(key));
  const waiting = [...first, ...queued.filter((item) => !firstKeys.has(key(item)))].filter((item) => !decidedIds.has(item.call_id));
  const total = pending.data?.pages[0]?.total;
  const onDecided = (entry: Decided) => {
    setDecided((current) => [entry, ...current.filter((other) => other.item.call_id !== entry.item.call_id)]);
    void queryClient.invalidateQueries({ queryKey: pendingApprovalsKey });
  };
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto max-w-4xl px-6 py-8">
        {/* no global "Policy:" here (issue 37 item 7): a cluster policy may override APPROVAL_POLICY, so each call
            says the policy that decides it */}
        <PageHeader title="Pending approvals" />
        {total !== undefined && total > 0 ? (
          <p data-testid="pending-total" className="-mt-2 mb-4 text-sm text-muted">
            {total.toLocaleString()} {total === 1 ? 'call waits' : 'calls wait'} for a decision{queued.length < total ? `; the oldest ${queued.length.toLocaleString()} are shown` : ''}.
          </p>
        ) : null}
        <div role="status" aria-live="polite">
          {decided.length > 0 ? (
            <section aria-label="Decided here" className="mb-6">
              <h2 className="mb-2 text-xs font-semibold uppercase tracking-wide text-muted">Decided here</h2>
              <ul className="space-y-2">
                {decided.map((entry) => (
                  <DecidedItem key={entry.item.call_id} entry={entry} />
                ))}
              </ul>
            </section>
          ) : null}
        </div>
        {pending.isPending ? <Spinner /> : null}
        {pending.isError ? <ErrorNote>{pending.error.message}</ErrorNote> : null}
        {pending.data && waiting.length === 0 ? (
          <EmptyState icon={<ShieldCheck className="h-8 w-8 text-ok" aria-hidden />} title="Nothing is waiting for a decision">
            Changes the agent proposes appear here until someone approves or denies them.
          </EmptyState>
        ) : null}
        <ul className="space-y-4" aria-label="Waiting for a decision">
          {pending.data
            ? waiting.map((item) => <PendingItem key={key(item)} item={item} onDecided={onDecided} />)
            : null}
        </ul>
        {pending.hasNextPage ? (
          <div className="mt-4">
            <Button size="sm" variant="ghost" className="w-full" disabled={pending.isFetchingNextPage} onClick={() => void pending.fetchNextPage()}>
              {pending.isFetchingNextPage ? 'Loading…' : `Show the next ${Math.min(QUEUE_PAGE, (total ?? 0) - queued.length).toLocaleString()}`}
            </Button>
          </div>
        ) : null}
      </div>
    </div>
  );
}

function PendingItem({ item, onDecided }: { item: PendingApproval; onDecided(entry: Decided): void }) {
  const [reason, setReason] = useState('');
  const [sending, setSending] = useState<'approve' | 'deny'>();
  const [refusal, setRefusal] = useState<string>();
  // As on the chat's card: ticked for the preview it was ticked on; a new preview of the call (the queue refetches)
  // starts unticked again, and it is offered only when the engine recorded an inverse (`undo`).
  const preview = `${item.args_hash}:${item.diff_hash ?? ''}`;
  const [autoRevertFor, setAutoRevertFor] = useState<string | undefined>(undefined);
  const me = useMe().data?.id;
  // four-eyes: an inverse needing a second person is not the requester's to run automatically (issue 31)
  const autoRevertRefused = autoRevertBlocked(item.undo, item.requested_by.id, me);
  const autoRevert = item.undo !== undefined && autoRevertFor === preview && autoRevertRefused === undefined;
  // Issue 31 item 10: a call whose dry run failed is approved only with "approve without a preview" ticked (audited)…
  // Issue 73 item 6: …except where its cluster enforces approvals: nobody approves it there (its risk says why).
  const previewFailed = hasFailedPreview(item) && !approvalNeedsPreview(item);
  const [withoutPreviewFor, setWithoutPreviewFor] = useState<string | undefined>(undefined);
  const withoutPreview = previewFailed && withoutPreviewFor === preview;
  // Nobody can approve it as it is (no preview on an enforcing cluster, a stale cluster), but this person may deny it
  // (the engine's can_deny): the reason is shown, and Deny, with no Approve and nothing that would only matter to one.
  const mayApprove = item.can_decide && !approvalNeedsPreview(item);
  const denyOnly = !mayApprove && (item.can_decide || item.can_deny === true);
  const where = target(item.args);
  const subject = `${item.tool}${where ? ` on ${where}` : ''}`;
  // Issue 35: the call's cluster asks for the approver's passkey: Approve signs the call's facts with it first.
  const passkey = item.passkey_required === true;
  // Opened from a link to this call (Slack's button on a passkey call, a refusal's "approve it in the Command Center")
  const [search] = useSearchParams();
  const focused = search.get('call') === item.call_id;
  const self = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (focused) self.current?.scrollIntoView({ block: 'start' });
  }, [focused]);
  // Issue 76 item 6: a change freeze holds the call and this admin may break the glass: a reason, then their passkey.
  const breakGlass = item.can_break_glass === true;
  const decide = async (approve: boolean, breakingGlass = false) => {
    if (breakingGlass && !reason.trim()) return setRefusal('Breaking the freeze needs a reason: say why this change cannot wait (it is audited and announced to the team), then press Break glass again.');
    setSending(approve ? 'approve' : 'deny');
    setRefusal(undefined);
    let webauthn;
    if (approve && (passkey || breakingGlass)) {
      try {
        webauthn = await signApproval(item.call_id, item.conversation_id);
      } catch (error) {
        setSending(undefined);
        return setRefusal(error instanceof Error ? error.message : String(error));
      }
    }
    const withRevert = approve && autoRevert;
    const outcome = await decidePending(item, approve, reason.trim() || undefined, withRevert || undefined, (approve && (withoutPreview || (breakingGlass && previewFailed))) || undefined, webauthn, breakingGlass ? { reason: reason.trim() } : undefined);
    setSending(undefined);
    // A refusal (four-eyes, a changed call, already decided…) leaves the call where it was: say why on it.
    if (outcome.kind === 'failed' && !outcome.decided) setRefusal(outcome.message);
    else onDecided({ item, approve, ...(withRevert ? { autoRevert: true } : {}), outcome });
  };
  return (
    <li ref={self} className={`rounded-lg border bg-panel p-4 ${focused ? 'border-accent' : 'border-border'}`} data-testid="pending-approval" aria-label={`${subject} in ${conversationName(item)}`}>
      {passkey && mayApprove ? (
        <p className="mb-2 text-sm text-muted" data-testid="passkey-required">
          This change needs your passkey: approving signs exactly this call (its arguments, preview and cluster).
        </p>
      ) : null}
      {/* the cluster and namespace in large type, as on the chat's card: an approver deciding from the queue must not
          approve in prod believing it is staging */}
      <div className="-mx-4 -mt-4 mb-3 overflow-hidden rounded-t-lg">
        <ApprovalCluster tool={item} />
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <code className="font-mono text-sm font-semibold">{item.tool}</code>
        {where ? <span className="text-xs text-muted">{where}</span> : null}
        {item.destructive ? <Badge tone="danger">Destructive</Badge> : null}
        {item.stale_reason ? <Badge tone="danger">Stale</Badge> : denyOnly ? <Badge tone="danger">Cannot be approved</Badge> : !item.can_decide ? <Badge>You cannot decide this one</Badge> : null}
        <span className="ml-auto text-xs text-muted">{new Date(item.requested_at).toLocaleString()}</span>
      </div>
      <p className="mt-1 text-sm text-muted">
        In{' '}
        <Link className="text-accent underline" to={`/chat/${item.conversation_id}`}>
          {conversationName(item)}
        </Link>
        {item.requested_by.email ? ` · requested by ${item.requested_by.name ? `${item.requested_by.name} (${item.requested_by.email})` : item.requested_by.email}` : item.requested_by.name ? ` · requested by ${item.requested_by.name}` : ''}
      </p>
      <p className="mt-1 text-xs text-muted" data-testid="effective-policy">
        Policy: <strong>{policyWords(item.effective_policy)}</strong>
      </p>
      {item.policy_reason ? <p className="mt-1 text-sm">{item.policy_reason}</p> : null}
      {item.risks.map((risk) => (
        <p key={risk.code} className="mt-1 break-words text-sm text-danger">
          <strong className="font-mono text-xs">{risk.code}</strong> {risk.message}
        </p>
      ))}
      <pre tabIndex={0} aria-label="Arguments" className="mt-2 overflow-auto rounded-md border border-border bg-panel-2 p-3 font-mono text-xs">
        {JSON.stringify(item.args, null, 2)}
      </pre>
      {item.diff ? (
        <div className="mt-2">
          <Suspense fallback={<Spinner label="Loading diff" />}>
            <DiffView diff={item.diff} />
          </Suspense>
        </div>
      ) : null}
      {previewFailed && mayApprove ? (
        <label className="mt-3 flex items-start gap-2 rounded-md border border-danger/40 bg-danger/5 px-2 py-1.5 text-sm">
          <input type="checkbox" className="mt-0.5" checked={withoutPreview} disabled={sending !== undefined} onChange={(event) => setWithoutPreviewFor(event.target.checked ? preview : undefined)} />
          <span>
            <strong>Approve without a preview</strong> <span className="text-muted">— nobody has seen what this call would change; your approval says so in the audit trail.</span>
          </span>
        </label>
      ) : null}
      {item.undo && mayApprove ? (
        <div className="mt-3">
          <AutoRevertOption undo={item.undo} checked={autoRevert} disabled={sending !== undefined} blocked={autoRevertRefused} onChange={(checked) => setAutoRevertFor(checked ? preview : undefined)} />
        </div>
      ) : null}
      {refusal ? (
        <div className="mt-3">
          <ErrorNote>Not decided: {refusal}</ErrorNote>
        </div>
      ) : null}
      {denyOnly ? (
        <p className="mt-3 flex items-start gap-2 text-sm" data-testid="cannot-approve">
          <Ban className="mt-0.5 h-4 w-4 shrink-0 text-danger" aria-hidden />
          <span className="min-w-0 break-words">{approvalNeedsPreview(item) ? previewRequiredWords : cannotDecideReason(item)}</span>
        </p>
      ) : null}
      {breakGlass && denyOnly ? (
        <p className="mt-2 text-sm" data-testid="break-glass">
          As an admin you may break the freeze for this one call: give a reason, then press <strong>Break glass</strong> and confirm with your passkey. It is audited and announced to the team.
        </p>
      ) : null}
      {mayApprove || denyOnly ? (
        <>
          <div className="mt-3">
            {/* by the buttons, what and where once more: a long diff has scrolled the cluster line away */}
            <ApprovalTarget tool={item} />
          </div>
          <div role="group" className="flex flex-wrap items-center gap-2" aria-label={`Decide ${subject}`}>
            <input
              aria-label={breakGlass ? `Reason for ${item.tool} (required to break glass)` : `Reason for ${item.tool} (optional)`}
              placeholder={breakGlass ? 'Reason (required to break glass)' : 'Reason (optional)'}
              value={reason}
              disabled={sending !== undefined}
              onChange={(event) => setReason(event.target.value)}
              className="h-9 min-w-48 flex-1 rounded-md border border-border bg-panel px-3 text-sm"
            />
            <Button type="button" variant="danger" disabled={sending !== undefined} aria-label={`Deny ${subject}`} onClick={() => void decide(false)}>
              {sending === 'deny' ? 'Denying…' : 'Deny'}
            </Button>
            {breakGlass ? (
              <Button type="button" variant="danger" disabled={sending !== undefined} aria-label={`Break glass: approve ${subject} during the freeze with your passkey`} onClick={() => void decide(true, true)}>
                {sending === 'approve' ? 'Waiting for your passkey…' : 'Break glass'}
              </Button>
            ) : null}
            {mayApprove ? (
              <Button type="button" variant="primary" disabled={sending !== undefined || (previewFailed && !withoutPreview)} aria-label={`Approve ${subject}${autoRevert ? ' with automatic revert' : ''}${passkey ? ' with your passkey' : ''}`} onClick={() => void decide(true)}>
                {sending === 'approve' ? (passkey ? 'Waiting for your passkey…' : 'Approving…') : `${autoRevert ? 'Approve with automatic revert' : 'Approve'}${passkey ? ' with passkey' : ''}`}
              </Button>
            ) : null}
          </div>
        </>
      ) : (
        <p className="mt-3 flex items-start gap-2 text-sm" data-testid="cannot-decide">
          <Hourglass className="mt-0.5 h-4 w-4 shrink-0 text-warn" aria-hidden />
          <span>{cannotDecideReason(item)}</span>
        </p>
      )}
      <p className="mt-3">
        <Link to={`/chat/${item.conversation_id}`} className="text-sm font-medium text-accent underline">
          Open the conversation
        </Link>
      </p>
    </li>
  );
}

/** The policy that decides this call, as the card says it: "approver (cluster policy beta) · four-eyes". */
function policyWords(policy: PendingApproval['effective_policy']): string {
  const mode = policy.mode === 'four_eyes' ? 'four-eyes' : policy.mode;
  return `${mode} (${policy.source})${policy.four_eyes ? ' · four-eyes for destructive calls' : ''}`;
}

function DecidedItem({ entry }: { entry: Decided }) {
  const { item, approve, autoRevert, outcome } = entry;
  const link = (
    <Link className="text-accent underline" to={`/chat/${item.conversation_id}`}>
      {conversationName(item)}
    </Link>
  );
  const verb = approve ? (autoRevert ? 'Approved with automatic revert' : 'Approved') : 'Denied';
  const failed = outcome.kind === 'failed';
  const Icon = failed ? XCircle : approve ? CheckCircle2 : Ban;
  // The buttons that had focus are gone with the item: keyboard users continue from its outcome.
  const self = useRef<HTMLLIElement>(null);
  useEffect(() => self.current?.focus({ preventScroll: true }), []);
  return (
    <li
      ref={self}
      tabIndex={-1}
      className={`flex items-start gap-2 rounded-lg border bg-panel px-4 py-3 text-sm outline-none focus-visible:ring-1 focus-visible:ring-accent ${failed ? 'border-danger/50' : 'border-border'}`}
      data-testid="decided-approval"
    >
      <Icon className={`mt-0.5 h-4 w-4 shrink-0 ${failed ? 'text-danger' : approve ? 'text-ok' : 'text-danger'}`} aria-hidden />
      <p>
        <code className="font-mono font-semibold">{item.tool}</code>
        {target(item.args) ? <span className="text-muted"> ({target(item.args)})</span> : null}:{' '}
        {outcome.kind === 'failed' ? (
          <>
            {verb} by you, but it did not run: <span className="text-danger">{outcome.message}</span> See {link}.
          </>
        ) : (
          <>
            {verb} by you — the run continues in {link}.
          </>
        )}
        {autoRevert && item.undo && !failed ? (
          <span className="mt-1 flex items-start gap-1 text-muted" data-testid="decided-auto-revert">
            <RotateCcw className="mt-0.5 h-3.5 w-3.5 shrink-0" aria-hidden />
            <span>
              If the engine's verification finds it regressed, it runs <code className="font-mono text-xs">{item.undo.tool}</code> {item.undo.summary} without asking again.
            </span>
          </span>
        ) : null}
      </p>
    </li>
  );
}
