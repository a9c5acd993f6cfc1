/**
 * Verify, then undo (issue 21) in the terminal, as pure functions of the events: the line under an executed change
 * that says what the engine's verification found (✓ verified, ✗ regressed, ↺ reverted by <controller>, ⏱ timed out,
 * – not checked), the evidence under an outcome that needs it (bounded: a few reads, a few lines each), and which
 * executed change `/undo` takes by default.
 */
import type { AgentEventOf, VerificationEvidence, VerificationOutcome } from '@skyflo/protocol';
import type { Palette } from './colors.ts';

export type VerificationEvent = AgentEventOf<'tool.verification'>;
/** What the lines read of a verification: the live event has it, and so does a stored call's record (a resumed conversation). */
export type VerificationFacts = Pick<VerificationEvent, 'tool' | 'outcome' | 'summary' | 'evidence' | 'controller' | 'undo_of' | 'auto_revert_call_id'>;

const marks: Record<Exclude<VerificationOutcome, 'verifying'>, { mark: string; word: string; color: keyof Pick<Palette, 'green' | 'red' | 'yellow' | 'dim'> }> = {
  verified: { mark: '✓', word: 'verified', color: 'green' },
  regressed: { mark: '✗', word: 'regressed', color: 'red' },
  reverted_by_controller: { mark: '↺', word: 'reverted by', color: 'yellow' },
  timed_out: { mark: '⏱', word: 'timed out', color: 'yellow' },
  not_applicable: { mark: '–', word: 'not checked', color: 'dim' },
  stopped: { mark: '■', word: 'ended by the emergency stop', color: 'yellow' },
};

function cut(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, Math.max(1, max - 1))}…` : line;
}

/**
 * What the live spinner says while the engine verifies a change (one line, cut to `width`): "verifying k8s_scale: up
 * to 120 s". An older engine's summary was only "Verifying <tool>…": said once, not "verifying k8s_scale: Verifying
 * k8s_scale…" (on a phone's 44 columns the repeat pushed everything else off the line).
 */
export function verifyingLabel(event: VerificationFacts, width: number): string {
  const repeatsTool = event.summary.replace(/…$/, '').trim().toLowerCase() === `verifying ${event.tool}`.toLowerCase();
  const summary = event.summary && !repeatsTool ? `: ${event.summary}` : '…';
  return cut(`verifying ${event.tool}${event.undo_of ? ' (the undo)' : ''}${summary}`, Math.max(20, width - 4));
}

/** The outcome line under the tool line: "  ↳ ✗ regressed: new pods of shop/web cannot pull web:9.9". */
export function verificationLine(event: VerificationFacts, palette: Palette, width = 100): string {
  if (event.outcome === 'verifying') return `  ${palette.dim('↳ …')} ${palette.dim(verifyingLabel(event, width - 6))}`;
  const { mark, word, color } = marks[event.outcome];
  const head = event.outcome === 'reverted_by_controller' ? `${word} ${event.controller ?? 'a controller'}` : word;
  const what = event.undo_of ? ` ${palette.dim(`(undo of ${event.undo_of})`)}` : '';
  const summary = event.summary ? `: ${cut(event.summary, Math.max(20, width - head.length - 10))}` : '';
  return `  ${palette.dim('↳')} ${palette[color](`${mark} ${head}`)}${summary}${what}`;
}

/** Outcomes whose evidence is shown under the line (a verified or unchecked change needs none). */
export function showsEvidence(outcome: VerificationOutcome): boolean {
  return outcome === 'regressed' || outcome === 'reverted_by_controller' || outcome === 'timed_out' || outcome === 'stopped';
}

/** The reads the verification made and what they saw: at most `maxReads` reads of `maxLines` lines, each cut to the width. */
export function evidenceLines(evidence: readonly VerificationEvidence[], palette: Palette, input: { width?: number; maxReads?: number; maxLines?: number } = {}): string[] {
  const width = Math.max(40, input.width ?? 100);
  const maxReads = input.maxReads ?? 3;
  const maxLines = input.maxLines ?? 6;
  const bar = palette.dim('    │');
  const lines: string[] = [];
  for (const item of evidence.slice(0, maxReads)) {
    lines.push(`${bar} ${palette.bold(cut(item.read, width - 8))}`);
    const text = item.text.replace(/\n$/, '').split('\n');
    for (const line of text.slice(0, maxLines)) lines.push(`${bar}   ${cut(line, width - 10)}`);
    if (text.length > maxLines) lines.push(`${bar}   ${palette.dim(`… ${text.length - maxLines} more line${text.length - maxLines === 1 ? '' : 's'}`)}`);
  }
  if (evidence.length > maxReads) lines.push(`${bar} ${palette.dim(`… ${evidence.length - maxReads} more read${evidence.length - maxReads === 1 ? '' : 's'} (the web UI shows them all)`)}`);
  return lines;
}

/** Everything printed for a final verification event: the outcome line, its evidence, and what happens next. */
export function verificationBlock(event: VerificationFacts, palette: Palette, input: { width?: number; undoAvailable?: boolean; resumed?: boolean } = {}): string {
  // the outcome's summary whole (the caller wraps the block to the terminal): on a phone's 44 columns, cut to the
  // width it lost what regressed ("1 new pod(s) of deployme…" for "…: CrashLoopBackOff"); the evidence stays cut
  const lines = [verificationLine(event, palette, Number.POSITIVE_INFINITY)];
  if (showsEvidence(event.outcome)) lines.push(...evidenceLines(event.evidence ?? [], palette, { width: input.width ?? 100 }));
  // resumed: a conversation's history, where the revert is past (its own call is listed with the others)
  const revert = input.resumed ? 'the engine ran the recorded inverse' : 'the engine runs the recorded inverse now';
  if (event.auto_revert_call_id) lines.push(`    ${palette.yellow(`↺ automatic revert (approved with the change): ${revert} (${event.auto_revert_call_id}), without asking again`)}`);
  else if (event.outcome === 'regressed' && input.undoAvailable) lines.push(`    ${palette.dim('/undo proposes its inverse (shown, then decided like any change)')}`);
  return lines.join('\n');
}

/** A stored tool call, as much of it as `/undo` reads. */
export interface UndoableCall {
  call_id: string;
  tool: string;
  status: string;
  undo_available?: boolean;
  undo_of?: string;
  /** the engine's verification of it: `reverted_by_controller` means it is already back (nothing to undo) */
  verification?: { outcome?: string };
}

/** The calls an undo was proposed for (a denied or failed undo leaves its call undoable): /undo has nothing to offer there. */
export function undoneCalls(calls: readonly UndoableCall[]): Set<string> {
  return new Set(calls.filter((call) => call.undo_of && call.status !== 'denied' && call.status !== 'error').map((call) => call.undo_of!));
}

/**
 * The executed change `/undo` takes without an argument: the last completed call with a recorded before-state that
 * no undo has been proposed for (a denied or failed undo leaves it undoable), or undefined.
 */
export function lastUndoable(calls: readonly UndoableCall[]): UndoableCall | undefined {
  const undone = undoneCalls(calls);
  // issue 37 item 8: a change a controller already set back has nothing to undo
  return calls.findLast((call) => call.status === 'completed' && call.undo_available === true && !undone.has(call.call_id) && call.verification?.outcome !== 'reverted_by_controller');
}
