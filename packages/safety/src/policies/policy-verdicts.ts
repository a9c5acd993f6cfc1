/**
 * Which policies match a call, and what they ask together (issue 76): pure, so the gate, the decision rules and
 * "what would this have done" agree. Several policies combine to the strictest: any `deny` refuses; the largest
 * `require_approvers` wins; `require_role: admin` beats `approver`; every `warn` is shown.
 */
import type { PolicyEffect, PolicyVerdict, RiskFlag } from '@skyflo/protocol';
import { evaluateExpression, type PolicyInputName } from './cel-expression.ts';

export interface EnabledPolicy {
  name: string;
  version: number;
  expression: string;
  effect: PolicyEffect;
  message: string;
}

export interface Judgement {
  verdicts: PolicyVerdict[];
  /** policies whose expression failed on this call (a field it lacks): not matched, but shown on the card */
  errors: Array<{ name: string; version: number; message: string }>;
}

export function judge(policies: readonly EnabledPolicy[], input: Record<PolicyInputName, unknown>): Judgement {
  const verdicts: PolicyVerdict[] = [];
  const errors: Judgement['errors'] = [];
  for (const policy of policies) {
    const outcome = evaluateExpression(policy.expression, input);
    if (!outcome.ok) errors.push({ name: policy.name, version: policy.version, message: outcome.message });
    else if (outcome.matched) verdicts.push({ name: policy.name, version: policy.version, effect: policy.effect, message: policy.message });
  }
  return { verdicts, errors };
}

/** What the matched policies ask of a decision, combined to the strictest. */
export interface PolicyDemands {
  /** the first `deny` that matched */
  denied?: PolicyVerdict;
  /** distinct approvers (other than the requester) needed; 0: none beyond the usual rules */
  approvers: number;
  approversBy?: PolicyVerdict;
  passkeyBy?: PolicyVerdict;
  role?: { role: 'approver' | 'admin'; by: PolicyVerdict };
}

export function demandsOf(verdicts: readonly PolicyVerdict[] | undefined): PolicyDemands {
  const demands: PolicyDemands = { approvers: 0 };
  for (const verdict of verdicts ?? []) {
    const effect = verdict.effect;
    if (effect === 'deny') demands.denied ??= verdict;
    else if (effect === 'require_passkey') demands.passkeyBy ??= verdict;
    else if (typeof effect === 'object' && 'require_approvers' in effect) {
      if (effect.require_approvers > demands.approvers) [demands.approvers, demands.approversBy] = [effect.require_approvers, verdict];
    } else if (typeof effect === 'object' && 'require_role' in effect) {
      if (!demands.role || (effect.require_role === 'admin' && demands.role.role !== 'admin')) demands.role = { role: effect.require_role, by: verdict };
    }
  }
  return demands;
}

/** An effect in words: "deny", "require 2 approvers", "require the admin role". */
export function effectText(effect: PolicyEffect): string {
  if (effect === 'deny') return 'deny';
  if (effect === 'warn') return 'warn';
  if (effect === 'require_passkey') return "require the approver's passkey";
  if ('require_approvers' in effect) return `require ${effect.require_approvers} approver${effect.require_approvers === 1 ? '' : 's'} other than the requester`;
  return `require the ${effect.require_role} role`;
}

const named = (verdict: Pick<PolicyVerdict, 'name' | 'version'>) => `Policy "${verdict.name}" (v${verdict.version})`;

/**
 * The card shows each matched policy (and each that could not be evaluated) as a risk flag: the card, the queue and
 * the terminal already list flags. Medium, never high: a policy asks what it asks, it does not also turn on four-eyes.
 */
export function policyRiskFlags(judgement: Judgement): RiskFlag[] {
  return [
    ...judgement.verdicts.map((verdict) => ({
      code: verdict.effect === 'warn' ? 'POLICY_WARNING' : 'POLICY_MATCHED',
      severity: 'medium' as const,
      message: `${named(verdict)}: ${effectText(verdict.effect)}${verdict.message ? ` — ${verdict.message}` : ''}`,
    })),
    ...judgement.errors.map((error) => ({ code: 'POLICY_ERROR', severity: 'medium' as const, message: `${named(error)} could not be evaluated on this call (${error.message}); it did not apply.` })),
  ];
}

/** The refusal text of a denied call: what the model reads and the card shows. */
export function deniedText(tool: string, verdict: PolicyVerdict): string {
  const message = verdict.message.trim().replace(/[.!]$/, '');
  return `Not executed: ${named(verdict)} denies this ${tool} call${message ? `: ${message}` : ''}. Nobody was asked to approve it and nothing was changed.`;
}
