/**
 * The Undo's exact arguments (issue 21): an Undo is proposed as a new call (`undo_of`, undo/propose-undo.ts), and the
 * gate runs it with the inverse sealed with the undone call's before-state, not the arguments in the model's history
 * (propose/preview-and-request.ts).
 */
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import type { ApprovalStore } from '../../../platform/ports/index.ts';
import { openBefore } from './baseline.ts';

/** The exact inverse recorded with `undoOf`'s before-state, when it is for `tool` and can still be opened. */
export async function sealedInverseArgs(deps: { approvals: ApprovalStore; secretBox: SecretBox }, conversationId: string, undoOf: string, tool: string): Promise<Record<string, unknown> | undefined> {
  const original = await deps.approvals.get(conversationId, undoOf);
  const inverse = original ? openBefore(deps.secretBox, conversationId, undoOf, original.beforeSealed)?.inverse : undefined;
  return inverse && inverse.tool === tool ? inverse.args : undefined;
}
