/**
 * Verify, then undo (issue 21) as the Command Center words it, as plain functions (node tests read them without JSX):
 * what a tool card says about the engine's verification of an executed change, whether it offers Undo, and how an
 * approval card names the call it undoes.
 */
import type { UndoProposal, VerificationEvidence, VerificationOutcome } from '@skyflo/protocol';
import type { Entry, ToolView } from '../state/timeline.ts';
import { target } from '../../../lib/tool-card-labels.ts';

/** The verification a tool card shows: the latest `tool.verification` of its call, as the timeline fold keeps it. */
export interface ToolVerificationView {
  outcome: VerificationOutcome;
  summary: string;
  evidence?: VerificationEvidence[];
  controller?: string;
  undo_of?: string;
  auto_revert_call_id?: string;
}

/** A tool call with what the fold adds for verify/undo (all optional: an older engine sends none of it). */
export type VerifiableTool = ToolView & {
  verification?: ToolVerificationView;
  /** an executed change whose before-state was recorded: Undo may propose its inverse */
  undo_available?: boolean;
  /** the inverse the approval card shows (what Undo and automatic revert would run) */
  undo?: UndoProposal;
  /** this call is the undo of that call */
  undo_of?: string;
  /** approved with automatic revert */
  auto_revert?: boolean;
};

export type Tone = 'neutral' | 'ok' | 'warn' | 'danger' | 'accent';

export interface VerificationLabel {
  /** a one-glyph mark that reads without colour (✓ ✗ ↺ ⏱ – ■); empty while verifying (a spinner shows) */
  mark: string;
  /** "Verified", "Regressed", "Reverted by HorizontalPodAutoscaler shop/web", … */
  text: string;
  tone: Tone;
}

/** How a verification outcome reads on the card. */
export function verificationLabel(verification: Pick<ToolVerificationView, 'outcome' | 'controller'>): VerificationLabel {
  switch (verification.outcome) {
    case 'verifying':
      return { mark: '', text: 'Verifying…', tone: 'accent' };
    case 'verified':
      return { mark: '✓', text: 'Verified', tone: 'ok' };
    case 'regressed':
      return { mark: '✗', text: 'Regressed', tone: 'danger' };
    case 'reverted_by_controller':
      return { mark: '↺', text: `Reverted by ${verification.controller ?? 'a controller'}`, tone: 'warn' };
    case 'timed_out':
      return { mark: '⏱', text: 'Timed out', tone: 'warn' };
    case 'not_applicable':
      return { mark: '–', text: 'Not checked', tone: 'neutral' };
    case 'stopped':
      return { mark: '■', text: 'Ended by the emergency stop', tone: 'warn' };
  }
}

/** Lines of one evidence read shown before "… N more lines" (the full text is a click away, never the page's height). */
export const EVIDENCE_LINES = 30;

/** One read's text cut to `maxLines` lines (and each line to 400 characters), and how many lines were left out. */
export function boundedEvidence(text: string, maxLines = EVIDENCE_LINES): { text: string; hidden: number } {
  const lines = text.replace(/\n$/, '').split('\n');
  const shown = lines.slice(0, maxLines).map((line) => (line.length > 400 ? `${line.slice(0, 399)}…` : line));
  return { text: shown.join('\n'), hidden: Math.max(0, lines.length - shown.length) };
}

function tools(entries: readonly Entry[]): VerifiableTool[] {
  const found: VerifiableTool[] = [];
  for (const entry of entries) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) if (segment.kind === 'tool') found.push(segment.tool as VerifiableTool);
  }
  return found;
}

/** "Set image (k8s_set_image deployment shop/web)" for a call of this conversation; the bare id when it is not shown here. */
export function describeCall(entries: readonly Entry[], callId: string): string {
  const tool = tools(entries).find((item) => item.call_id === callId);
  if (!tool) return callId;
  const where = target(tool.args);
  return `${tool.title} (${tool.tool}${where ? ` ${where}` : ''})`;
}

/**
 * What the card's Undo offers for `tool`: `available` (an executed change with a recorded before-state and no undo
 * under way), `proposed` (an undo of it waits or runs in this conversation: decide that card), `undone` (its undo
 * ran), `already_back` (a controller set it back, as its verification saw: nothing to undo), or none. A denied or
 * failed undo makes it available again.
 */
export function undoState(entries: readonly Entry[], tool: VerifiableTool): 'available' | 'proposed' | 'undone' | 'already_back' | undefined {
  if (tool.status !== 'completed' || tool.undo_available !== true) return undefined;
  const undos = tools(entries).filter((item) => item.undo_of === tool.call_id && item.status !== 'denied' && item.status !== 'error');
  if (undos.some((item) => item.status === 'completed')) return 'undone';
  if (undos.length > 0) return 'proposed';
  // Issue 37 item 8: the verification read the live object and found a controller had already set the changed
  // fields back: there is nothing to undo, and an Undo would only propose an empty change.
  return tool.verification?.outcome === 'reverted_by_controller' ? 'already_back' : 'available';
}

/** The change whose verification started `callId` as its automatic revert, or undefined when it is not one. */
export function revertedBy(entries: readonly Entry[], callId: string): string | undefined {
  return tools(entries).find((item) => item.verification?.auto_revert_call_id === callId)?.call_id;
}
