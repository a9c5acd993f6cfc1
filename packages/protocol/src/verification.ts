/**
 * Verify, then undo (issue 21): the contract between the engine, the Command Center and `skyflo chat`.
 *
 * After an approved mutating call executes, the engine (not the model) verifies what it changed and streams
 * `tool.verification` — first with outcome `verifying` (the card shows a spinner), then once with the final outcome.
 * Before executing, the engine records the call's before-state; the inverse call that would restore it is shown on the
 * approval card (`undo`) so an approver can opt into automatic revert having seen it.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

/**
 * - `verifying`: in progress (the only non-final value)
 * - `verified`: the change reached its desired state and held
 * - `regressed`: the change made things worse (new pods crash-loop, cannot pull, stay Pending, OOMKilled, Warning events)
 * - `reverted_by_controller`: a controller (HPA, Argo CD/Flux self-heal, an operator) set the changed fields back
 * - `timed_out`: no verdict within the object's progress deadline, capped by VERIFY_TIMEOUT_SECONDS
 * - `not_applicable`: nothing the engine can check (e.g. a repo add)
 * - `stopped`: ended by the emergency stop before a verdict (the change was made; nobody checked how it went)
 */
export const verificationOutcomeSchema = deferred(() => z.enum(['verifying', 'verified', 'regressed', 'reverted_by_controller', 'timed_out', 'not_applicable', 'stopped']));
export type VerificationOutcome = z.infer<typeof verificationOutcomeSchema>;
export const finalVerificationOutcomes = ['verified', 'regressed', 'reverted_by_controller', 'timed_out', 'not_applicable', 'stopped'] as const;

/** One read the verification made, and what it saw (redacted like every tool output). */
export const verificationEvidenceSchema = deferred(() => z.object({
  /** what was read, e.g. "pods -n shop -l app=web" or "events for deployment shop/web" */
  read: z.string(),
  text: z.string(),
}));
export type VerificationEvidence = z.infer<typeof verificationEvidenceSchema>;

/** The inverse of a call, proposed from its recorded before-state (shown on the approval card and by Undo). */
export const undoProposalSchema = deferred(() => z.object({
  tool: z.string(),
  /** the inverse call's arguments as shown (redacted) */
  args: z.record(z.string(), z.unknown()),
  /** one line: "scale deployment shop/web back to 3 replicas", "helm rollback web to revision 4" */
  summary: z.string(),
  /** the inverse's preview (dry-run diff) against the state the change will leave, when it has one */
  diff: z.string().optional(),
  /**
   * Why the inverse would need a second person (four-eyes: it is destructive or carries a high risk), when it would:
   * then only someone other than the call's requester (`requested_by`) may approve with automatic revert; the
   * requester's card disables the checkbox with this reason and the engine refuses or withholds it (issue 31)
   */
  second_person_required: z.string().optional(),
}));
export type UndoProposal = z.infer<typeof undoProposalSchema>;

export const verificationEventFields = {
  call_id: z.string(),
  tool: z.string(),
  outcome: verificationOutcomeSchema,
  /** one line: "3/3 replicas of shop/web ready on image web:2.1", "HPA shop/web set replicas back to 3" */
  summary: z.string(),
  evidence: z.array(verificationEvidenceSchema).default([]),
  /** the controller that reverted the change (outcome reverted_by_controller), e.g. "HorizontalPodAutoscaler shop/web" */
  controller: z.string().optional(),
  /** milliseconds since the epoch */
  started_at: z.number().optional(),
  finished_at: z.number().optional(),
  /** this verification is of an undo (or automatic revert) of another call */
  undo_of: z.string().optional(),
  /** the approver chose automatic revert and the outcome was `regressed`: the engine now runs this inverse call */
  auto_revert_call_id: z.string().optional(),
};

export const undoRequestSchema = deferred(() => z.object({ conversation_id: z.uuid('conversation_id must be a UUID') }));
export type UndoRequest = z.infer<typeof undoRequestSchema>;
