import { Ban, ThumbsUp } from 'lucide-react';
import { lazy, Suspense, useState } from 'react';
import { RelativeTime } from '../../../components/relative-time.tsx';
import { Spinner } from '../../../components/ui.tsx';
import { useChatStore } from '../state/chat-store.ts';
import type { ToolView } from '../state/timeline.ts';
import { describeCall, revertedBy } from './verification-labels.ts';

const DiffView = lazy(() => import('../../../components/diff-view.tsx'));

const isUserId = (value: string) => /^[0-9a-f-]{36}$/i.test(value);

/** Whether `tool` went through a human decision this card should keep showing. */
export function wasDecided(tool: ToolView): boolean {
  return tool.requires_approval === true && (tool.decided_by !== undefined || tool.decided_at !== undefined || tool.status === 'approved' || tool.status === 'denied');
}

/**
 * What stays on a decided call's card: approved or denied, by whom (their email), when (relative; the exact time on
 * hover), why (the reason), and the diff that was decided on (collapsed), so the conversation is its own record.
 */
export function DecisionNote({ tool }: { tool: ToolView }) {
  const [showDiff, setShowDiff] = useState(false);
  const denied = tool.status === 'denied';
  const who = tool.decided_by_email ?? (tool.decided_by && !isUserId(tool.decided_by) ? tool.decided_by : undefined);
  const Icon = denied ? Ban : ThumbsUp;
  // the engine's automatic revert of a regressed change: approved with that change, not by --approve-all
  const reverts = useChatStore((state) => {
    const of = tool.automatic ? revertedBy(state.timeline.entries, tool.call_id) : undefined;
    return of ? describeCall(state.timeline.entries, of) : undefined;
  });
  return (
    <div className="border-t border-border px-3 py-2 text-xs" data-testid="decision-note" data-decision={denied ? 'denied' : 'approved'}>
      <p className="flex flex-wrap items-center gap-x-1.5 gap-y-0.5">
        <Icon className={`h-3.5 w-3.5 shrink-0 ${denied ? 'text-danger' : 'text-accent'}`} aria-hidden />
        <span className="font-medium">{denied ? 'Denied' : 'Approved'}</span>
        {reverts ? (
          <span className="text-warn" data-testid="automatic-revert-of">
            automatically: the automatic revert of {reverts}, approved with it
          </span>
        ) : tool.automatic ? (
          <span className="text-muted">automatically (--approve-all)</span>
        ) : null}
        {(tool as { auto_revert?: boolean }).auto_revert && !denied ? <span className="text-warn" data-testid="decided-auto-revert">with automatic revert</span> : null}
        {who ? (
          <span>
            by <span data-testid="decided-by">{who}</span>
          </span>
        ) : null}
        {tool.decided_at !== undefined ? (
          <span className="text-muted">
            · <RelativeTime at={tool.decided_at} />
          </span>
        ) : null}
      </p>
      {tool.reason ? (
        <p className="mt-1 text-muted">
          Reason: <q data-testid="decision-reason">{tool.reason}</q>
        </p>
      ) : null}
      {tool.diff ? (
        <div className="mt-1">
          <button type="button" className="text-accent underline" aria-expanded={showDiff} onClick={() => setShowDiff(!showDiff)}>
            {showDiff ? 'Hide' : 'Show'} the diff that was {denied ? 'denied' : 'approved'}
          </button>
          {showDiff ? (
            <div className="mt-2">
              <Suspense fallback={<Spinner label="Loading diff" />}>
                <DiffView diff={tool.diff} />
              </Suspense>
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
