import type { UndoProposal } from '@skyflo/protocol';

/**
 * Issue 31: why the signed-in user may not approve with automatic revert, or undefined when they may. The engine says
 * on the call's `undo` when its inverse would need a second person (four-eyes: it is destructive or high-risk); then
 * only someone other than the requester may choose it. Unknown who is looking or who asked: the reason is shown
 * rather than a choice the engine may refuse.
 */
export function autoRevertBlocked(undo: Pick<UndoProposal, 'second_person_required'> | undefined, requestedBy: string | undefined, me: string | undefined): string | undefined {
  const reason = undo?.second_person_required;
  if (!reason) return undefined;
  return me === undefined || requestedBy === undefined || me === requestedBy ? reason : undefined;
}
