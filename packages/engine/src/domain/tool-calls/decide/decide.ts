/**
 * Deciding one proposed tool call: ONE ordered list of small pure rules, the first refusal wins. Both questions about
 * a decision ask it — POST /agent/approvals/:call_id (agent/prepare-decision.ts) to refuse a
 * decision, and GET /approvals/pending to say `can_decide` and `cannot_decide_reason` — so the queue can never offer a
 * call the decision then refuses (issue 31 item 15: an approver limited to cluster alpha was offered a call on beta).
 *
 * The caller gathers the facts (storage reads, the paused turn, the decider's scope, the API token) and asks once;
 * nothing here reads storage or knows HTTP. A refusal carries the status and code the API answers with.
 */
import { policyApproversRule, policyRoleRule } from './policy-rules.ts';
import { emergencyStopRule, freezeRule } from './stop-rules.ts';
import { accessRule, clusterStaleRule, existsRule, requesterRule, statusRule } from './call-record-rules.ts';
import { clusterScopeRule, passkeyRule, roleAndFourEyesRule, tokenScopeRule, unverifiedClickerRule } from './decider-rules.ts';
import { argsHashRule, autoRevertAvailableRule, autoRevertFourEyesRule, diffHashRule, orderRule, previewAcknowledgedRule, previewRequiredRule, requestShapeRule } from './request-rules.ts';
import type { DecideRule, DecisionFacts, DecisionRefusal } from './rule-facts.ts';

// The rules live beside this list, grouped by what they read (the call, the decider, the request); the list and its
// order stay here, where one reading shows which refusal wins.
export { askedBy, decideScope, type DecidedCall, type DecideRule, type DecisionFacts, type DecisionRefusal, type DecisionRequest } from './rule-facts.ts';
export { accessRule, clusterStaleRule, existsRule, requesterRule, statusRule } from './call-record-rules.ts';
export { clusterScopeRule, passkeyRule, roleAndFourEyesRule, tokenScopeRule, unverifiedClickerRule } from './decider-rules.ts';
export { argsHashRule, autoRevertAvailableRule, autoRevertFourEyesRule, diffHashRule, orderRule, previewAcknowledgedRule, previewRequiredRule, requestShapeRule } from './request-rules.ts';

/** The order is the contract: the first refusal is the one the API answers with and the pending list shows. */
export const decideRules: readonly DecideRule[] = [
  requestShapeRule,
  accessRule,
  existsRule,
  requesterRule,
  statusRule,
  // issue 76: nothing is approved while the emergency stop is on (stop-rules.ts)
  emergencyStopRule,
  freezeRule,
  clusterStaleRule,
  roleAndFourEyesRule,
  // issue 76: what the policies that matched the call ask (policy-rules.ts)
  policyRoleRule,
  policyApproversRule,
  clusterScopeRule,
  passkeyRule,
  tokenScopeRule,
  unverifiedClickerRule,
  argsHashRule,
  diffHashRule,
  orderRule,
  previewRequiredRule,
  previewAcknowledgedRule,
  autoRevertAvailableRule,
  autoRevertFourEyesRule,
];

/**
 * Issue 76 item 6: may this person approve the frozen call with a break-glass (a reason and their passkey)? What the
 * passkey options of a frozen call ask (an admin's browser signs for a break-glass), with the queue's facts.
 */
export function mayBreakGlass(facts: DecisionFacts): boolean {
  if (!facts.freeze || !facts.call) return false;
  return decide({ ...facts, request: { approve: true, argsHash: facts.call.argsHash, diffHash: facts.call.diffHash, withoutPreview: true, webauthn: true, breakGlass: { reason: 'may break glass?' } } }) === undefined;
}

/** The first refusal, or undefined when the decision may go ahead. A rule that throws refuses (fail closed). */
export function decide(facts: DecisionFacts, rules: readonly DecideRule[] = decideRules): DecisionRefusal | undefined {
  for (const rule of rules) {
    let refusal: DecisionRefusal | undefined;
    try {
      refusal = rule(facts);
    } catch (error) {
      refusal = { status: 403, code: 'DECISION_CHECK_FAILED', reason: `The decision check failed (${error instanceof Error ? error.message : String(error)}), so the decision was refused.` };
    }
    if (refusal) return refusal;
  }
  return undefined;
}
