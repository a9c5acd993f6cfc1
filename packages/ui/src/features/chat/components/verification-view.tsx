import { ChevronRight, Loader2, RotateCcw, Undo2 } from 'lucide-react';
import { useState } from 'react';
import { Button } from '../../../components/ui.tsx';
import { useChatStore } from '../state/chat-store.ts';
import type { ToolView } from '../state/timeline.ts';
import { boundedEvidence, describeCall, undoState, verificationLabel, type Tone, type ToolVerificationView, type VerifiableTool } from './verification-labels.ts';

const toneText: Record<Tone, string> = { neutral: 'text-muted', ok: 'text-ok', warn: 'text-warn', danger: 'text-danger', accent: 'text-accent' };
const toneBox: Record<Tone, string> = { neutral: 'bg-panel-2', ok: 'bg-ok/10', warn: 'bg-warn/10', danger: 'bg-danger/10', accent: 'bg-accent/10' };

function EvidenceRead({ read, text }: { read: string; text: string }) {
  const [all, setAll] = useState(false);
  const bounded = boundedEvidence(text);
  return (
    <li className="space-y-1" data-testid="verification-evidence-read">
      <p className="font-mono text-xs font-medium">{read}</p>
      <pre tabIndex={0} aria-label={`What ${read} saw`} className="max-h-80 overflow-auto rounded-md border border-border bg-panel-2 p-2 font-mono text-xs leading-5">
        {all ? text : bounded.text}
      </pre>
      {bounded.hidden > 0 ? (
        <button type="button" className="text-xs text-accent underline" onClick={() => setAll(!all)}>
          {all ? 'Show less' : `… ${bounded.hidden} more lines`}
        </button>
      ) : null}
    </li>
  );
}

/**
 * The engine's verification of an executed change, live on its tool card: a spinner while it watches, then the
 * outcome with its one-line summary and, on demand, the reads it made and what they saw (already redacted by the
 * engine). Open by itself when the change regressed: that is what the reader has to see.
 */
export function VerificationView({ verification, describe }: { verification: ToolVerificationView; describe?: (callId: string) => string }) {
  const label = verificationLabel(verification);
  const evidence = verification.evidence ?? [];
  // open by itself once the outcome is `regressed` (the card mounted while verifying), until the reader toggles it
  const [toggled, setOpen] = useState<boolean | undefined>(undefined);
  const open = toggled ?? verification.outcome === 'regressed';
  return (
    <div className={`border-t border-border px-3 py-2 text-sm ${toneBox[label.tone]}`} data-testid="verification" data-outcome={verification.outcome} role="status" aria-live="polite">
      <p className="flex flex-wrap items-center gap-x-2 gap-y-0.5">
        {verification.outcome === 'verifying' ? <Loader2 className="h-4 w-4 shrink-0 animate-spin text-accent" aria-hidden /> : <span className={`w-4 text-center font-semibold ${toneText[label.tone]}`} aria-hidden>{label.mark}</span>}
        <span className={`font-medium ${toneText[label.tone]}`} data-testid="verification-label">
          {label.text}
        </span>
        {verification.summary ? (
          <span className="min-w-0 text-muted" data-testid="verification-summary">
            {verification.summary}
          </span>
        ) : null}
      </p>
      {verification.undo_of ? (
        <p className="mt-1 flex items-center gap-1 text-xs text-muted">
          <Undo2 className="h-3.5 w-3.5" aria-hidden /> Verification of the undo of {describe ? describe(verification.undo_of) : verification.undo_of}
        </p>
      ) : null}
      {verification.auto_revert_call_id ? (
        <p className="mt-1 flex items-center gap-1 text-xs font-medium text-warn" data-testid="auto-revert-note">
          <RotateCcw className="h-3.5 w-3.5" aria-hidden /> Approved with automatic revert: the engine is running the recorded inverse ({verification.auto_revert_call_id}) without asking again.
        </p>
      ) : null}
      {evidence.length > 0 ? (
        <div className="mt-1">
          <button type="button" aria-expanded={open} onClick={() => setOpen(!open)} className="inline-flex items-center gap-1 text-xs font-medium text-accent">
            <ChevronRight className={`h-3.5 w-3.5 transition-transform ${open ? 'rotate-90' : ''}`} aria-hidden />
            Evidence: {evidence.length} read{evidence.length === 1 ? '' : 's'}
          </button>
          {open ? (
            <ul className="mt-2 space-y-2" aria-label="Verification evidence">
              {evidence.map((item, index) => (
                <EvidenceRead key={`${index}:${item.read}`} read={item.read} text={item.text} />
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

/** The card's Undo: proposes the inverse as a new approval card in this conversation (it is decided like any other). */
export function UndoAction({ state, disabled, onUndo, controller }: { state: 'available' | 'proposed' | 'undone' | 'already_back'; disabled?: string; onUndo(): void; controller?: string | undefined }) {
  if (state === 'already_back') return <p className="border-t border-border px-3 py-2 text-xs text-muted" data-testid="undo-already-back">Already back: {controller ?? 'a controller'} set the change back, so there is nothing to undo.</p>;
  if (state === 'proposed') return <p className="border-t border-border px-3 py-2 text-xs text-muted" data-testid="undo-proposed">Undo proposed: decide it on its card below.</p>;
  if (state === 'undone') return <p className="border-t border-border px-3 py-2 text-xs text-muted" data-testid="undo-done">Undone: its inverse ran (see the card below).</p>;
  return (
    <div className="flex items-center gap-2 border-t border-border px-3 py-2">
      <Button size="sm" variant="secondary" disabled={disabled !== undefined} title={disabled ?? 'Propose the inverse of this change as a new call to approve'} onClick={onUndo} data-testid="undo-button">
        <Undo2 className="h-3.5 w-3.5" aria-hidden /> Undo
      </Button>
      <span className="text-xs text-muted">{disabled ?? 'Proposes the inverse with its own diff; nothing changes until it is approved.'}</span>
    </div>
  );
}

/** What a tool card adds under its header for verify/undo: the verification (live) and Undo. */
export function VerifyAndUndo({ tool }: { tool: ToolView }) {
  const item = tool as VerifiableTool;
  const verification = item.verification;
  const undo = useChatStore((state) => undoState(state.timeline.entries, item));
  // a verification of an undo (or automatic revert) says which change it undid
  const undoOf = verification?.undo_of ?? item.undo_of;
  const undoneCall = useChatStore((state) => (undoOf ? describeCall(state.timeline.entries, undoOf) : undefined));
  const disabled = useChatStore((state) =>
    state.undoing
      ? 'Proposing the undo…'
      : state.timeline.status === 'streaming' || state.following
        ? 'The agent is working; Undo once this run has ended.'
        : state.deciding || state.batch
          ? 'A decision is being sent.'
          : undefined,
  );
  if (!verification && !undo) return null;
  return (
    <>
      {verification ? <VerificationView verification={undoOf ? { ...verification, undo_of: undoOf } : verification} describe={undoneCall ? () => undoneCall : undefined} /> : null}
      {undo ? <UndoAction state={undo} disabled={disabled} controller={verification?.controller} onUndo={() => void useChatStore.getState().undo(item.call_id)} /> : null}
    </>
  );
}
