import { AlertOctagon, Ban, Hourglass, ShieldAlert, ShieldQuestion } from 'lucide-react';
import { lazy, Suspense, useRef, useState, type KeyboardEvent } from 'react';
import { Link } from 'react-router-dom';
import { Badge, Button, Kbd, Spinner } from '../../../components/ui.tsx';
import { useMe } from '../../../lib/session.tsx';
import { autoRevertBlocked } from '../../../lib/auto-revert-offer.ts';
import { useDecisionRight } from '../../../lib/pending-approvals.tsx';
import { previewRequiredWords } from '../../../lib/decision-rights.ts';
import { useChatStore } from '../state/chat-store.ts';
import { decisionTargetOf, type DecisionTarget, type ToolView } from '../state/timeline.ts';
import { decisionOfKey } from './card-keys.ts';
import { approvalNeedsPreview, hasFailedPreview } from '@skyflo/protocol';
import { ApprovalCluster, ApprovalTarget } from '../../../components/clusters/approval-cluster.tsx';
import { ArgsView } from './tool-card.tsx';
import { AutoRevertOption } from '../../../components/auto-revert-option.tsx';
import { UndoOfBanner } from './undo-approval.tsx';
import type { VerifiableTool } from './verification-labels.ts';

const DiffView = lazy(() => import('../../../components/diff-view.tsx'));

function isTextField(target: EventTarget | null): boolean {
  // the automatic-revert checkbox is not a text field: A on it (after ticking it) approves like anywhere in the card
  return (target instanceof HTMLInputElement && target.type !== 'checkbox') || target instanceof HTMLTextAreaElement || (target instanceof HTMLElement && target.isContentEditable);
}

/**
 * What the approver decides on: the exact (resolved) arguments the approval is bound to, the engine's dry-run diff,
 * the risks and the policy's reason. The card never takes the focus (it may appear while the user types a message);
 * A / D decide only once the user clicked or tabbed into it (card-keys.ts). Every decision is bound to the hashes of
 * the awaiting event this card renders. `locked` says why nothing can be decided yet (the agent is still previewing
 * the turn's other changes, or another decision is being sent). Someone who may not decide the call
 * (APPROVAL_POLICY=approver for a member, four-eyes for the requester) sees who must instead of buttons the engine
 * would refuse, and the page follows the call until it is decided.
 */
export function ApprovalCard({ tool, locked, onDecide }: { tool: ToolView; locked?: string; onDecide(target: DecisionTarget, approve: boolean, reason?: string, autoRevert?: boolean, withoutPreview?: boolean): void }) {
  const [reason, setReason] = useState('');
  const { undo, undo_of: undoOf } = tool as VerifiableTool;
  // Ticked for the preview it was ticked on: a new preview of the call (other args or diff) starts unticked again.
  const preview = `${tool.args_hash ?? ''}:${tool.diff_hash ?? ''}`;
  const [autoRevertFor, setAutoRevertFor] = useState<string | undefined>(undefined);
  const me = useMe().data?.id;
  // four-eyes: an inverse needing a second person is not the requester's to run automatically (issue 31)
  const autoRevertRefused = autoRevertBlocked(undo, tool.requested_by?.id, me);
  const autoRevert = undo !== undefined && autoRevertFor === preview && autoRevertRefused === undefined;
  // Issue 31 item 10: a call whose dry run failed is approved only with "approve without a preview" ticked (audited)…
  // Issue 73 item 6: …except where its cluster enforces approvals: nobody approves it there (its risk says why).
  const notApprovable = approvalNeedsPreview(tool);
  const offerWithoutPreview = hasFailedPreview(tool) && !notApprovable;
  const [withoutPreviewFor, setWithoutPreviewFor] = useState<string | undefined>(undefined);
  const withoutPreview = offerWithoutPreview && withoutPreviewFor === preview;
  const card = useRef<HTMLElement>(null);
  /** Event.timeStamp of the gesture that moved the user into the card; undefined while they did not */
  const armedAt = useRef<number | undefined>(undefined);
  const [armed, setArmed] = useState(false);
  const arm = (at: number) => {
    armedAt.current = at;
    setArmed(true);
  };
  const conversationId = useChatStore((state) => state.conversationId) ?? undefined;
  const right = useDecisionRight(conversationId, tool.call_id, () => void useChatStore.getState().followDecision(tool.call_id));
  const busy = locked !== undefined;
  const previewMissing = !tool.args_hash;
  const needsAcknowledgement = offerWithoutPreview && !withoutPreview;
  // Why Approve is not offered, though Deny is: nobody can approve the call as it is (the queue's deny-only, with the
  // engine's words; the card's own PREVIEW_REQUIRED risk when the queue has not said so yet).
  const approveRefusal = notApprovable
    ? previewRequiredWords
    : right.kind === 'deny-only'
      ? right.reason
      : undefined;
  const mayDecide = right.kind === 'can' || right.kind === 'deny-only';
  const mayApprove = right.kind === 'can' && approveRefusal === undefined;
  const keysOnlyHint = locked === undefined && (!mayApprove || (!previewMissing && !needsAcknowledgement));
  const decide = (approve: boolean) => {
    if (busy || !mayDecide || (approve && (!mayApprove || previewMissing || needsAcknowledgement))) return;
    onDecide(decisionTargetOf(tool), approve, reason.trim() || undefined, approve && autoRevert ? true : undefined, approve && withoutPreview ? true : undefined);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    const decision = decisionOfKey(
      {
        key: event.key,
        repeat: event.repeat,
        isComposing: event.nativeEvent.isComposing,
        keyCode: event.keyCode,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        timeStamp: event.timeStamp,
        inTextField: isTextField(event.target),
        inCard: event.target instanceof Node && !!card.current?.contains(event.target),
      },
      { armedAt: armedAt.current },
    );
    if (!decision) return;
    event.preventDefault();
    decide(decision === 'approve');
  };
  const high = tool.risks?.some((risk) => risk.severity === 'high');
  return (
    <section
      ref={card}
      tabIndex={0}
      aria-label={`Approval needed: ${tool.title}`}
      data-testid="approval-card"
      data-armed={armed ? 'true' : 'false'}
      onPointerDownCapture={(event) => arm(event.timeStamp)}
      onKeyUp={(event) => {
        // a Tab's keydown fires where the focus was, its keyup where the Tab moved it: here
        if (event.key === 'Tab') arm(event.timeStamp);
      }}
      onBlur={(event) => {
        if (event.relatedTarget instanceof Node && card.current?.contains(event.relatedTarget)) return;
        armedAt.current = undefined;
        setArmed(false);
      }}
      onKeyDown={onKeyDown}
      className={`my-3 rounded-lg border-2 bg-panel shadow-sm outline-none focus-visible:ring-1 focus-visible:ring-accent ${tool.destructive || high ? 'border-danger/60' : 'border-warn/60'}`}
    >
      <header className="flex flex-wrap items-center gap-2 border-b border-border px-4 py-3">
        <ShieldQuestion className="h-5 w-5 text-warn" aria-hidden />
        <h3 className="font-semibold">{tool.title}</h3>
        <code className="font-mono text-xs text-muted">{tool.tool}</code>
        <span className="ml-auto flex gap-1.5">
          {tool.destructive ? (
            <Badge tone="danger">
              <AlertOctagon className="h-3 w-3" aria-hidden /> Destructive
            </Badge>
          ) : null}
          <Badge tone="warn">Awaiting approval</Badge>
        </span>
      </header>
      {/* where this change lands, in large type: the cluster the approval is bound to and the namespace */}
      <ApprovalCluster tool={tool} />
      {undoOf ? <UndoOfBanner callId={undoOf} /> : null}
      <div className="space-y-3 px-4 pt-3">
        {tool.policy_reason ? <p className="text-sm text-muted">{tool.policy_reason}</p> : null}
        {tool.requested_by ? <p className="text-xs text-muted">Requested by {tool.requested_by.name || tool.requested_by.email || tool.requested_by.id}</p> : null}
        {tool.risks && tool.risks.length > 0 ? (
          <ul className="space-y-1" aria-label="Risks">
            {tool.risks.map((risk) => (
              <li key={risk.code} className={`flex items-start gap-2 rounded-md px-2 py-1.5 text-sm ${risk.severity === 'high' ? 'bg-danger/10 text-danger' : 'bg-warn/10 text-warn'}`}>
                <ShieldAlert className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />
                <span>
                  <strong className="font-mono text-xs">{risk.code}</strong> {risk.message}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
        <div>
          <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-muted">Exact arguments</h4>
          <ArgsView args={tool.args} />
          {tool.resolution && tool.resolution.length > 0 ? (
            <ul className="mt-1 list-disc pl-5 text-xs text-muted">
              {tool.resolution.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          ) : null}
        </div>
        {tool.diff ? (
          <Suspense fallback={<Spinner label="Loading diff" />}>
            <DiffView diff={tool.diff} />
          </Suspense>
        ) : tool.preview_error ? (
          // the whole error, wrapped at its line breaks and inside long tokens (a phone's width)
          <p className="whitespace-pre-wrap break-words text-sm text-warn" data-testid="preview-error">
            No dry-run preview: {tool.preview_error}
          </p>
        ) : null}
        {offerWithoutPreview && mayApprove ? (
          <label className="flex items-start gap-2 rounded-md border border-danger/40 bg-danger/5 px-2 py-1.5 text-sm">
            <input type="checkbox" className="mt-0.5" checked={withoutPreview} disabled={busy} onChange={(event) => setWithoutPreviewFor(event.target.checked ? preview : undefined)} />
            <span>
              <strong>Approve without a preview</strong> <span className="text-muted">— nobody has seen what this call would change; your approval says so in the audit trail.</span>
            </span>
          </label>
        ) : null}
        {undo && mayApprove ? <AutoRevertOption undo={undo} checked={autoRevert} disabled={busy} blocked={autoRevertRefused} onChange={(checked) => setAutoRevertFor(checked ? preview : undefined)} /> : null}
        {/* in the card, not in its sticky footer: on a phone the footer keeps to what decides (Deny) */}
        {approveRefusal !== undefined && mayDecide ? (
          <div role="status" data-testid="approval-not-approvable" className="flex items-start gap-2 rounded-md border border-danger/40 bg-danger/5 px-2 py-1.5">
            <Ban className="mt-0.5 h-4 w-4 shrink-0 text-danger" aria-hidden />
            <div className="min-w-0">
              <p className="text-sm font-medium">Cannot be approved</p>
              <p className="break-words text-sm text-muted">{approveRefusal}</p>
              {right.kind === 'deny-only' && right.breakGlass && conversationId ? (
                <p className="mt-1 text-sm">
                  As an admin you may break the freeze for this one call, with a reason and your passkey:{' '}
                  <Link className="font-medium text-accent underline" to={`/approvals?call=${encodeURIComponent(tool.call_id)}&conversation=${encodeURIComponent(conversationId)}`}>
                    Break glass on the Approvals page
                  </Link>
                </p>
              ) : null}
            </div>
          </div>
        ) : null}
        {right.kind === 'cannot' ? (
          <div role="status" data-testid="approval-waiting" className="sticky bottom-0 -mx-4 flex items-start gap-2 border-t border-border bg-panel px-4 py-3">
            <Hourglass className="mt-0.5 h-4 w-4 shrink-0 text-warn" aria-hidden />
            <div>
              <p className="text-sm font-medium">Waiting for an approver</p>
              <p className="text-xs text-muted">{right.reason} This page updates when it is decided.</p>
            </div>
          </div>
        ) : right.kind === 'unknown' ? (
          <div className="sticky bottom-0 -mx-4 border-t border-border bg-panel px-4 py-3">
            <Spinner label="Checking who may decide…" />
          </div>
        ) : (
          <div className="sticky bottom-0 -mx-4 border-t border-border bg-panel px-4 py-2">
            <ApprovalTarget tool={tool} />
            <div className="flex flex-wrap items-center gap-2">
              <input
                aria-label="Reason (optional)"
                placeholder="Reason (optional)"
                value={reason}
                onChange={(event) => setReason(event.target.value)}
                className="h-9 min-w-48 flex-1 rounded-md border border-border bg-panel px-3 text-sm"
              />
              <Button variant="danger" disabled={busy} onClick={() => decide(false)} aria-keyshortcuts={armed ? 'd' : undefined}>
                Deny <Kbd>D</Kbd>
              </Button>
              {mayApprove ? (
                <Button variant="primary" disabled={busy || previewMissing || needsAcknowledgement} onClick={() => decide(true)} aria-keyshortcuts={armed ? 'a' : undefined}>
                  {autoRevert ? 'Approve with automatic revert' : 'Approve'} <Kbd>A</Kbd>
                </Button>
              ) : null}
            </div>
            {/* a hint that only names keys is not shown on a touch screen without a mouse or trackpad (a phone) */}
            <p className={`mt-1 text-xs text-muted ${keysOnlyHint ? 'not-any-pointer-fine:hidden' : ''}`} data-testid="approval-hint">
              {locked ??
                (!mayApprove
                  ? armed
                    ? 'D denies.'
                    : 'Click or Tab into this card to deny it with D.'
                  : previewMissing
                  ? 'The preview of this call did not reach this page; reload it to approve.'
                  : needsAcknowledgement
                    ? 'The dry-run preview failed: tick "Approve without a preview" to approve, or deny.'
                    : armed
                    ? `A approves${autoRevert ? ' with automatic revert' : ''}, D denies.`
                    : 'Click or Tab into this card to decide with A / D.')}
            </p>
          </div>
        )}
      </div>
    </section>
  );
}
