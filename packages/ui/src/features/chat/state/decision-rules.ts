/**
 * What a page may decide, read from the live timeline: the cards a batch decision covers, and why a card may not be
 * decided right now. Pure functions of the timeline, so the store's intents and the page agree on them.
 */
import { approvalNeedsPreview, hasFailedPreview } from '@skyflo/protocol';
import { decisionTargetOf, pendingApprovals, type DecisionTarget, type TimelineState } from './timeline.ts';

/**
 * The calls a batch decision covers: the cards on screen (previewed, awaiting a decision), each with the hashes of
 * the awaiting event it shows. A gated call that was never previewed is not among them: nobody saw what it does.
 */
export function decisionTargets(timeline: TimelineState): DecisionTarget[] {
  return pendingApprovals(timeline).map(decisionTargetOf);
}

/** the call is still waiting for a decision on this page */
export function isAwaitingDecision(timeline: TimelineState, callId: string): boolean {
  return pendingApprovals(timeline).some((tool) => tool.call_id === callId);
}

/**
 * Why `target` may not be decided from this page right now, or undefined when it may: the engine must have paused
 * (every call of the turn previewed), and the card must still show the same preview the user decides on.
 */
export function decisionRefusal(timeline: TimelineState, target: DecisionTarget, approve: boolean, withoutPreview = false): string | undefined {
  if (timeline.status === 'streaming') return 'The agent is still preparing this turn; decide once every proposed change is shown.';
  const shown = pendingApprovals(timeline).find((tool) => tool.call_id === target.call_id);
  if (!shown) return undefined; // decided meanwhile: nothing to send (the caller skips it)
  const current = decisionTargetOf(shown);
  if (current.args_hash !== target.args_hash || current.diff_hash !== target.diff_hash) return `The preview of ${shown.tool} changed after it was shown; read the card again and decide it there.`;
  if (approve && !target.args_hash) return `The preview of ${shown.tool} did not reach this page, so it cannot be approved from here; reload the page.`;
  // issue 73 item 6: the engine refuses it (PREVIEW_REQUIRED) however it is approved: its card says why and offers Deny
  if (approve && approvalNeedsPreview(shown)) return `${shown.tool} cannot be approved: its dry-run preview failed and its cluster enforces approvals (its card says why); deny it, or fix the cause and ask again.`;
  // the engine refuses it too (PREVIEW_NOT_ACKNOWLEDGED): only its card's "approve without a preview" approves it
  if (approve && !withoutPreview && hasFailedPreview(shown)) return `The dry-run preview of ${shown.tool} failed; approve it on its card, with "approve without a preview" ticked.`;
  return undefined;
}
