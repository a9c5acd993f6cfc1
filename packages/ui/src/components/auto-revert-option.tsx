/**
 * The "Approve with automatic revert" choice, shown on the chat's approval card and in the approvals queue.
 */
import { RotateCcw } from 'lucide-react';
import { lazy, Suspense } from 'react';
import type { UndoProposal } from '@skyflo/protocol';
import { Spinner } from './ui.tsx';

const DiffView = lazy(() => import('./diff-view.tsx'));

/**
 * "Approve with automatic revert": the inverse the engine recorded for this call (its one-line summary and its
 * diff) on the same card, and a checkbox that is never ticked by itself. Ticked, an approval sends auto_revert: if the
 * engine's verification ends `regressed`, it runs exactly this inverse without asking again.
 */
export function AutoRevertOption({ undo, checked, disabled, blocked, onChange }: { undo: UndoProposal; checked: boolean; disabled?: boolean; /** why this user may not choose it (four-eyes) */ blocked?: string | undefined; onChange(checked: boolean): void }) {
  return (
    <div className={`rounded-md border px-3 py-2 ${checked ? 'border-warn/60 bg-warn/10' : 'border-border bg-panel-2'}`} data-testid="auto-revert">
      <label className="flex items-start gap-2 text-sm">
        <input
          type="checkbox"
          className="mt-0.5 h-4 w-4 shrink-0 accent-accent"
          checked={checked && !blocked}
          disabled={disabled || blocked !== undefined}
          onChange={(event) => onChange(event.target.checked)}
          data-testid="auto-revert-checkbox"
        />
        <span>
          <span className="flex items-center gap-1 font-medium">
            <RotateCcw className="h-3.5 w-3.5" aria-hidden /> Approve with automatic revert
          </span>
          <span className="block text-xs text-muted">If the engine's verification finds this change regressed, it runs this inverse without asking again:</span>
        </span>
      </label>
      {blocked ? (
        <p className="mt-1 pl-6 text-xs text-warn" data-testid="auto-revert-blocked">
          {blocked}
        </p>
      ) : null}
      <p className="mt-1 pl-6 text-sm" data-testid="auto-revert-summary">
        <code className="font-mono text-xs text-muted">{undo.tool}</code> {undo.summary}
      </p>
      {undo.diff ? (
        <div className="mt-2 pl-6" data-testid="auto-revert-diff">
          <Suspense fallback={<Spinner label="Loading the inverse's diff" />}>
            <DiffView diff={undo.diff} caption="The inverse's dry-run diff (after this change → after the revert)" label="The inverse's dry-run diff" testId="inverse-diff-view" />
          </Suspense>
        </div>
      ) : (
        <p className="mt-1 pl-6 text-xs text-muted">The inverse has no dry-run diff.</p>
      )}
    </div>
  );
}
