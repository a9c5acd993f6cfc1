import { AlertOctagon, Hourglass, ShieldAlert, ShieldQuestion } from 'lucide-react';
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { Badge, Button, Kbd, Spinner } from '../../../components/ui.tsx';
import { useDecisionRight } from '../../approvals/pending-query.tsx';
import { useChatStore } from '../state/chat-store.ts';
import type { ToolView } from '../state/timeline.ts';
import { ArgsView } from './tool-card.tsx';

const DiffView = lazy(() => import('../../../components/diff-view.tsx'));

/**
 * What the approver decides on: the exact (resolved) arguments the approval is bound to, the engine's dry-run diff,
 * the risks and the policy's reason. A / D decide while the card has focus; the reason is optional.
 * Someone who may not decide the call (APPROVAL_POLICY=approver for a member, four-eyes for the requester) sees
 * who must instead of buttons the engine would refuse, and the page follows the call until it is decided.
 */
export function ApprovalCard({ tool, busy, onDecide, autoFocus }: { tool: ToolView; busy: boolean; onDecide(approve: boolean, reason?: string): void; autoFocus?: boolean }) {
  const [reason, setReason] = useState('');
  const card = useRef<HTMLElement>(null);
  useEffect(() => {
    if (autoFocus) card.current?.focus({ preventScroll: true });
  }, [autoFocus]);
  const right = useDecisionRight(tool.call_id, () => void useChatStore.getState().followDecision(tool.call_id));
  const decide = (approve: boolean) => !busy && right.kind === 'can' && onDecide(approve, reason.trim() || undefined);
  const high = tool.risks?.some((risk) => risk.severity === 'high');
  return (
    <section
      ref={card}
      tabIndex={-1}
      aria-label={`Approval needed: ${tool.title}`}
      data-testid="approval-card"
      onKeyDown={(event) => {
        if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement || event.metaKey || event.ctrlKey || event.altKey) return;
        if (event.key === 'a') decide(true);
        if (event.key === 'd') decide(false);
      }}
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
          <p className="text-sm text-warn">No dry-run preview: {tool.preview_error}</p>
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
          <div className="sticky bottom-0 -mx-4 flex flex-wrap items-center gap-2 border-t border-border bg-panel px-4 py-2">
            <input
              aria-label="Reason (optional)"
              placeholder="Reason (optional)"
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              className="h-9 min-w-48 flex-1 rounded-md border border-border bg-panel px-3 text-sm"
            />
            <Button variant="danger" disabled={busy} onClick={() => decide(false)} aria-keyshortcuts="d">
              Deny <Kbd>D</Kbd>
            </Button>
            <Button variant="primary" disabled={busy} onClick={() => decide(true)} aria-keyshortcuts="a">
              Approve <Kbd>A</Kbd>
            </Button>
          </div>
        )}
      </div>
    </section>
  );
}
