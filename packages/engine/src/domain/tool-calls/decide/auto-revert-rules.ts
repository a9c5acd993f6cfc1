/**
 * Issue 31 (6, 7): when an automatic revert may run on its own. Pure rules, shared by the decision (whether
 * `auto_revert: true` may be chosen by this person, what the card and the queue offer) and by the revert itself
 * (verify/auto-revert.ts checks them again when the revert is due).
 *
 * - Four-eyes: the inverse is a change of its own. When it would need someone other than the requester under the
 *   policy that applies (destructive, or a high risk such as SCALE_TO_ZERO, with APPROVAL_FOUR_EYES; or a cluster
 *   policy in `four_eyes` mode), choosing to run it automatically is a decision only someone other than the requester
 *   may make. Otherwise the inverse waits as an Undo for that other person.
 * - The inverse shown: an automatic revert runs the inverse the approver saw, against the state they saw it against.
 *   When its fresh preview changes other lines than the diff on the card (someone edited the object since), it is
 *   not run automatically; Undo proposes it with the new diff.
 */
import type { ApprovalPolicyName } from './conversation-access.ts';
import { fourEyesCause } from './decision-authority.ts';
import { decisionPolicyOf } from '../../clusters/cluster-policies.ts';
import { mergeRisks } from '@skyflo/safety';
import type { ToolCallInspector } from '../core/tool-call-inspector.ts';
import type { ApprovalPolicyApplied, RiskFlag } from '../../../platform/ports/index.ts';
import type { InverseCall } from '../core/baseline.ts';

/** APPROVAL_POLICY and APPROVAL_FOUR_EYES, as the agent service holds them. */
export interface EnvironmentPolicy {
  policy: ApprovalPolicyName;
  fourEyes: boolean;
}

/** The policy deciding the original call (clusters/cluster-policies.ts decisionPolicyOf). */
export interface RevertPolicy {
  /** APPROVAL_FOUR_EYES (destructive or high-risk calls need someone other than the requester) */
  fourEyes: boolean;
  /** a cluster policy in `four_eyes` mode applies ("cluster policy prod"): every decision needs another person */
  otherPersonRequired?: string | undefined;
}

/**
 * The policy that decided the original call: its cluster's (recorded with it), else the environment's. An unknown
 * environment is taken as four-eyes (fails closed: a destructive inverse chosen by its requester waits for Undo).
 */
export function revertPolicyOf(environment: EnvironmentPolicy | undefined, original: { policy?: ApprovalPolicyApplied | undefined }): RevertPolicy {
  const deciding = decisionPolicyOf(original.policy, environment ?? { policy: 'self', fourEyes: true });
  return { fourEyes: deciding.fourEyes, ...(deciding.otherPersonRequired ? { otherPersonRequired: deciding.otherPersonRequired } : {}) };
}

/** What the gate assesses of the inverse: its risks and whether it is destructive. */
export interface InverseFacts {
  destructive: boolean;
  risks: readonly Pick<RiskFlag, 'code' | 'severity'>[];
}

/**
 * Why the inverse, as a call of its own, would need a second person under `policy` (e.g. "APPROVAL_FOUR_EYES: the
 * inverse carries a high risk (SCALE_TO_ZERO)"), or undefined when its requester could approve it alone.
 */
export function inverseNeedsSecondPerson(policy: RevertPolicy, inverse: InverseFacts): string | undefined {
  if (policy.otherPersonRequired !== undefined) return `${policy.otherPersonRequired} is in four-eyes mode`;
  if (!policy.fourEyes) return undefined;
  if (!fourEyesCause(inverse)) return undefined;
  // both, when both hold: the approver reads what the inverse would do (SCALE_TO_ZERO), not only that it is destructive
  const high = [...new Set(inverse.risks.filter((risk) => risk.severity === 'high').map((risk) => risk.code))];
  const causes = [...(inverse.destructive ? ['is destructive'] : []), ...(high.length > 0 ? [`carries a high risk (${high.join(', ')})`] : [])];
  return `four-eyes (APPROVAL_FOUR_EYES): the inverse ${causes.join(' and ')}`;
}

/** What the card says when only someone other than the requester may approve with automatic revert, or undefined. */
export function secondPersonNote(policy: RevertPolicy, inverse: InverseFacts): string | undefined {
  const cause = inverseNeedsSecondPerson(policy, inverse);
  return cause ? `${cause[0]!.toUpperCase()}${cause.slice(1)}: only someone other than the requester may approve with automatic revert.` : undefined;
}

/**
 * Why `chosenBy` may not choose automatic revert for a call `requestedBy` asked for (the refusal's words, for a 403,
 * the card and the audit), or undefined when they may. Only the requester is ever refused: anyone else choosing it is
 * the second person.
 */
export function autoRevertRefusal(input: { policy: RevertPolicy; inverse: InverseFacts; chosenBy: string | undefined; requestedBy: string | undefined; inverseSummary?: string }): string | undefined {
  const cause = inverseNeedsSecondPerson(input.policy, input.inverse);
  if (!cause) return undefined;
  // fail closed: a choice whose author or requester is not known is treated as the requester's own
  if (input.chosenBy !== undefined && input.requestedBy !== undefined && input.chosenBy !== input.requestedBy) return undefined;
  const what = input.inverseSummary ? `the automatic revert (${input.inverseSummary})` : 'the automatic revert';
  return `Automatic revert needs a second person: ${cause}, so ${what} may only be chosen by someone other than the person who asked for the change. Approve without automatic revert, or ask another approver; if the change regresses, Undo proposes the inverse for someone else to approve.`;
}

/**
 * What a unified diff changes: its removed and its added lines, each sorted, without headers and hunk positions. Sorted
 * because the card's inverse diff is the change's own diff reversed (core/baseline.ts reverseUnifiedDiff),
 * which lists a hunk's lines in the change's order, while a fresh preview lists removals first.
 */
export function changedLines(diff: string): { removed: string[]; added: string[] } {
  const lines = diff.split('\n');
  return {
    removed: lines.filter((line) => line.startsWith('-') && !line.startsWith('--- ')).sort(),
    added: lines.filter((line) => line.startsWith('+') && !line.startsWith('+++ ')).sort(),
  };
}

/**
 * Whether the inverse's fresh preview differs from the diff shown on the card: other lines removed or added. No diff
 * on the card: nothing to compare (the approver saw none). No fresh preview when the card had one: differs (fails
 * closed: what the revert would do now cannot be shown).
 */
export function inverseDiffChanged(shown: string | undefined, fresh: string | undefined): boolean {
  if (shown === undefined) return false;
  if (fresh === undefined) return true;
  return JSON.stringify(changedLines(shown)) !== JSON.stringify(changedLines(fresh));
}

/** The risks of the inverse, as the gate assesses any call: the inspector's, merged with its preview's (fails closed). */
export function inverseRisks(inspector: ToolCallInspector, inverse: InverseCall, previewRisks: RiskFlag[]): RiskFlag[] {
  try {
    return mergeRisks(inspector.risks(inverse.tool, inverse.args), previewRisks);
  } catch (error) {
    return [{ code: 'RISK_CHECK_FAILED', message: `The risk check failed (${error instanceof Error ? error.message : String(error)}); review the arguments carefully.`, severity: 'high' }];
  }
}
