/**
 * Deciding one proposed tool call: ONE ordered list of small pure rules, the first refusal wins. Both questions about
 * a decision ask it — POST /agent/approvals/:call_id (agent/create-agent-service.ts prepareDecision) to refuse a
 * decision, and GET /approvals/pending to say `can_decide` and `cannot_decide_reason` — so the queue can never offer a
 * call the decision then refuses (issue 31 item 15: an approver limited to cluster alpha was offered a call on beta).
 *
 * The caller gathers the facts (storage reads, the paused turn, the decider's scope, the API token) and asks once;
 * nothing here reads storage or knows HTTP. A refusal carries the status and code the API answers with.
 */
import { approvalNeedsPreview, externalServerOf, isExternalToolName, hasFailedPreview, previewRequiredRiskCode, type ApiTokenScope, type MemberScope } from '@skyflo/protocol';
import { decisionRefusal as authorityRefusal, type ApprovalPolicyName } from './decision-authority.ts';
import { conversationAccess } from './conversation-access.ts';
import { policyApproversRule, policyRoleRule } from './policy-rules.ts';
import { emergencyStopRule, freezeRule } from './stop-rules.ts';
import type { FreezeHit } from '@skyflo/safety/freezes';
import type { EmergencyStopState } from '../../emergency-stop/emergency-stop.ts';
import { decisionPolicyOf } from '../../clusters/cluster-policies.ts';
import { clusterInScope, namespaceInScope } from '../../clusters/member-scope.ts';
import { staleReasonOf, type ConfiguredCluster } from '../../clusters/stale-binding.ts';
import type { ApprovalRecord, Role } from '../../../platform/ports/index.ts';


/** The scope an API token needs to approve or deny calls (a `chat` token only asks and reads). */
export const decideScope: ApiTokenScope = 'approvals:write';

/** What a decision request says; absent when the pending list asks "could this user approve the call?". */
export interface DecisionRequest {
  approve: boolean;
  argsHash?: string | undefined;
  diffHash?: string | undefined;
  autoRevert?: boolean | undefined;
  /** the approver ticked "approve without a preview" (a call whose dry-run preview failed) */
  withoutPreview?: boolean | undefined;
  /** issue 35: the request carries a passkey assertion (verified after the rules, before the decision is stored) */
  webauthn?: boolean | undefined;
  /** issue 35: the request carries a device key's signature of the call's facts (`skyflo chat`; verified after the rules) */
  deviceSignature?: boolean | undefined;
  /**
   * Issue 74 item 2: the channel the request came through names who clicked without authenticating it (Microsoft
   * Teams: the activity's `from` is a body field its channel token does not cover). Its value names the channel.
   */
  unverifiedClicker?: string | undefined;
  /** issue 76 item 6: an admin's break-glass approval during a change freeze (with their passkey; stop-rules.ts) */
  breakGlass?: { reason: string } | undefined;
}

/** The parts of a recorded call the rules read. */
export type DecidedCall = Pick<ApprovalRecord, 'callId' | 'tool' | 'status' | 'requestedBy' | 'requestedByAlert' | 'argsHash' | 'diffHash' | 'destructive' | 'risks' | 'cluster' | 'namespace' | 'namespaces' | 'clusterScopedWrites' | 'policy' | 'undo' | 'policyVerdicts' | 'coApprovals'>;

/**
 * Who asked for the call, as four-eyes reads it. Issue 37 item 9: a call an alert investigation proposed was asked
 * for by the alert, not by the owner of the alert token (who did not ask for it), so the token owner may approve it
 * like any other approver; the role rule still applies to them. Any other call: its recorded requester, else the
 * conversation's owner. The alert's id ("alert:<receiver>") can never equal a user's id (users are UUIDs).
 */
export function askedBy(call: Pick<DecidedCall, 'requestedBy' | 'requestedByAlert'>, conversationOwnerId: string | undefined): string | undefined {
  if (call.requestedByAlert !== undefined) return `alert:${call.requestedByAlert}`;
  return call.requestedBy ?? conversationOwnerId;
}

export interface DecisionFacts {
  conversationId: string;
  callId: string;
  /** APPROVAL_POLICY and APPROVAL_FOUR_EYES; a cluster policy recorded with the call overrides the policy */
  environment: { policy: ApprovalPolicyName; fourEyes: boolean };
  /** `apiToken`: present when the request was made with an API token (its scopes limit what it may do) */
  /** `email`: who a SkyfloFreeze's break-glass list may name (stop-rules.ts) */
  actor: { id: string; email?: string | undefined; role: Role; apiToken?: { name: string; scopes: readonly ApiTokenScope[] } | undefined };
  /**
   * the conversation's owner and the cluster it is pinned to (issue 74 item 8: a decider limited to clusters reaches
   * only conversations pinned inside their scope); undefined when the conversation does not exist
   */
  conversation: { ownerId: string; cluster?: string | undefined } | undefined;
  /** the recorded call; undefined when none was previewed under this id */
  call: DecidedCall | undefined;
  /** the decider's cluster/namespace scope (issue 22); undefined: not limited */
  deciderScope: MemberScope | undefined;
  request?: DecisionRequest | undefined;
  /** an earlier call of the same paused turn that still awaits a decision (approvals run in the model's order) */
  earlierAwaiting?: { callId: string; tool: string } | undefined;
  /**
   * Issue 31 item 6: whether the call's inverse would itself need someone other than the requester (four-eyes: it is
   * destructive or high-risk). Unknown (undefined) counts as yes: automatic revert must never run, unreviewed, a
   * change the requester could not have approved.
   */
  inverseNeedsSecondPerson?: boolean | undefined;
  /**
   * Issue 37 item 7: the clusters configured now (name and API server). A call bound to an API server not among them
   * is stale. Undefined (the MCP server is loading or could not be asked): nothing is called stale here, and the check
   * right before execution still refuses it.
   */
  configuredClusters?: ReadonlyArray<ConfiguredCluster> | undefined;
  /**
   * Issue 35: approving this call needs the approver's passkey (`required`: why, from the cluster's passkey policy),
   * and where to approve it with one (the Command Center's approval page of the call). Absent: no passkey needed.
   */
  passkey?: { required: string; approveAt: string } | undefined;
  /** issue 76: the emergency stop is on (nothing is approved until an admin lifts it) */
  emergencyStop?: EmergencyStopState | undefined;
  /** issue 76: a change freeze holds for the call's cluster and namespaces */
  freeze?: FreezeHit | undefined;
}

export interface DecisionRefusal {
  status: 400 | 403 | 404 | 409;
  code: string;
  reason: string;
}

export type DecideRule = (facts: DecisionFacts) => DecisionRefusal | undefined;

/** Who decides this call: the policy recorded with it, else the environment's. */
const decidingPolicy = (facts: DecisionFacts) => decisionPolicyOf(facts.call?.policy, facts.environment);
/** The pending list asks as if approving: the Approve button is what `can_decide` governs. */
const approving = (facts: DecisionFacts) => facts.request === undefined || facts.request.approve;

export const requestShapeRule: DecideRule = ({ request }) => {
  if (!request) return undefined;
  if (request.breakGlass && !request.approve) return { status: 400, code: 'BREAK_GLASS_NEEDS_APPROVAL', reason: 'break_glass is a way of approving during a change freeze: send it with approve: true (denying needs no break-glass).' };
  if (request.breakGlass && !/\S/.test(request.breakGlass.reason)) return { status: 400, code: 'BREAK_GLASS_REASON_REQUIRED', reason: 'break_glass.reason is required: say why this change cannot wait for the freeze to end (1 to 500 characters; it is audited and announced to the team).' };
  if (request.autoRevert && !request.approve) return { status: 400, code: 'AUTO_REVERT_NEEDS_APPROVAL', reason: 'auto_revert is a way of approving: send it with approve: true.' };
  // Approving needs proof the approver was shown the call: the args_hash of its tool.awaiting_approval event.
  if (request.approve && request.argsHash === undefined) {
    return { status: 400, code: 'ARGS_HASH_REQUIRED', reason: 'approve needs args_hash: the args_hash of the tool.awaiting_approval event the approver was shown' };
  }
  return undefined;
};

/** Who may reach the conversation, as conversation-access.ts says (scope included): what every rule below assumes. */
const reachOf = (facts: DecisionFacts) => ({ actorScope: facts.deciderScope, conversationCluster: facts.conversation?.cluster });

/** Refused access is reported as a missing conversation, so ids cannot be probed. */
export const accessRule: DecideRule = (facts) =>
  facts.conversation && conversationAccess({ policy: decidingPolicy(facts).policy, actor: facts.actor, conversationOwnerId: facts.conversation.ownerId, reach: reachOf(facts) }, 'act')
    ? undefined
    : { status: 404, code: 'CONVERSATION_NOT_FOUND', reason: `Conversation ${facts.conversationId} not found` };

/** A call that was never previewed has no record: it cannot be decided ahead of its preview. */
export const existsRule: DecideRule = ({ call, callId }) =>
  call
    ? undefined
    : { status: 404, code: 'APPROVAL_NOT_FOUND', reason: `No tool call ${callId} is waiting for approval in this conversation; only a call whose preview was shown (tool.awaiting_approval) can be decided.` };

/**
 * Defence in depth: the call was proposed in this conversation by its owner. Conversation ids are never reused, so
 * this fails only if rows were moved by hand; refuse rather than decide.
 */
export const requesterRule: DecideRule = ({ call, conversation, callId }) =>
  call?.requestedBy !== undefined && call.requestedBy !== conversation?.ownerId ? { status: 404, code: 'APPROVAL_NOT_FOUND', reason: `No tool call ${callId} is waiting for approval in this conversation.` } : undefined;

export const statusRule: DecideRule = ({ call, callId }) =>
  call && call.status !== 'awaiting' ? { status: 409, code: 'ALREADY_DECIDED', reason: `Tool call ${callId} was already ${call.status}; nothing was executed again.` } : undefined;

/**
 * Issue 37 item 7: a call bound to a cluster API server that is no longer configured cannot run as shown, so it is
 * not approved (the pending list shows it stale, not offered). Denying it stays open: that is how it leaves the queue.
 */
export const clusterStaleRule: DecideRule = (facts) => {
  if (!approving(facts) || !facts.call) return undefined;
  const stale = staleReasonOf(facts.call, facts.configuredClusters);
  return stale ? { status: 409, code: 'CLUSTER_STALE', reason: stale } : undefined;
};

/**
 * Issue 31 item 8: an API token decides only with `approvals:write`. A `chat` token (made for `skyflo chat` or an
 * eval) asks and reads; without this an approver's chat token, wherever it was pasted, approved changes.
 */
export const tokenScopeRule: DecideRule = ({ actor }) =>
  actor.apiToken && !actor.apiToken.scopes.includes(decideScope)
    ? {
        status: 403,
        code: 'TOKEN_SCOPE',
        reason: `API token "${actor.apiToken.name}" lacks the scope ${decideScope} needed to approve or deny calls (a chat token can ask and read, not decide); decide in the Command Center, or create a token with ${decideScope} in Settings → API tokens.`,
      }
    : undefined;

/** The role rule, four-eyes (APPROVAL_FOUR_EYES) and a cluster's four_eyes mode (decision-authority.ts). */
export const roleAndFourEyesRule: DecideRule = (facts) => {
  if (!facts.call || !facts.conversation) return undefined;
  const deciding = decidingPolicy(facts);
  const refusal = authorityRefusal({
    policy: deciding.policy,
    fourEyes: deciding.fourEyes,
    ...(deciding.otherPersonRequired ? { otherPersonRequired: deciding.otherPersonRequired } : {}),
    ...(deciding.policySource ? { policySource: deciding.policySource } : {}),
    actor: facts.actor,
    conversationOwnerId: facts.conversation.ownerId,
    reach: reachOf(facts),
    requestedBy: askedBy(facts.call, facts.conversation.ownerId)!,
    destructive: facts.call.destructive,
    risks: facts.call.risks,
  });
  if (!refusal) return undefined;
  return refusal.hidden ? { status: 404, code: 'CONVERSATION_NOT_FOUND', reason: `Conversation ${facts.conversationId} not found` } : { status: 403, code: 'NOT_ALLOWED_TO_DECIDE', reason: refusal.reason };
};

/** A tool of an external MCP server (issue 39): `<server>__<tool>`; none of Skyflo's own tools has the separator. */
const isExternalTool = isExternalToolName;

/** An approver limited to some clusters or namespaces approves only there (issue 22); anyone who sees it may deny. */
export const clusterScopeRule: DecideRule = (facts) => {
  const { call } = facts;
  if (!approving(facts) || !call) return undefined;
  // Issue 74 item 3: an external server's tool acts where its admin declared (recorded as the call's cluster and
  // namespace, and judged below like any call); one declared nowhere could act anywhere, so only someone whose scope
  // is not limited approves it.
  if (!call.cluster) {
    if (!isExternalTool(call.tool) || (!facts.deciderScope?.clusters && !facts.deciderScope?.namespaces)) return undefined;
    const server = externalServerOf(call.tool);
    return {
      status: 403,
      code: 'OUT_OF_SCOPE',
      reason: `Tool call ${call.callId} runs ${call.tool}, a tool of the external MCP server "${server}", for which no cluster or namespace is declared (an admin sets where its tools act in Integrations → MCP servers); it could act anywhere, so only an approver whose scope is not limited may approve it.`,
    };
  }
  // Every namespace the call writes counts (issue 31: a chart's objects beyond its release namespace), and
  // cluster-scoped objects are outside a scope limited to namespaces.
  const written = call.namespaces ?? (call.namespace !== undefined ? [call.namespace] : []);
  const outside = written.filter((namespace) => !namespaceInScope(facts.deciderScope, namespace));
  const clusterWide = call.clusterScopedWrites === true && !!facts.deciderScope?.namespaces;
  // an external tool declared for a cluster but no namespace may act in any namespace of it
  const anyNamespace = isExternalTool(call.tool) && written.length === 0 && !!facts.deciderScope?.namespaces;
  const clusterAllowed = clusterInScope(facts.deciderScope, call.cluster.name);
  if (clusterAllowed && outside.length === 0 && !clusterWide && !anyNamespace) return undefined;
  const where = !clusterAllowed
    ? call.namespace !== undefined ? [`namespace ${call.namespace}`] : []
    : [...(outside.length > 0 ? [`namespace ${outside.join(', ')}`] : []), ...(clusterWide ? ['cluster-scoped objects'] : []), ...(anyNamespace ? ['any namespace (none is declared for this external tool)'] : [])];
  return {
    status: 403,
    code: 'OUT_OF_SCOPE',
    reason: `Tool call ${call.callId} changes cluster ${call.cluster.name}${where.length > 0 ? `, ${where.join(' and ')}` : ''}, which is outside your scope; someone whose scope includes it must approve it.`,
  };
};

/**
 * Issue 35: a call whose cluster asks for a passkey is approved only with the approver's passkey assertion over its
 * facts — never by a plain click (Command Center, Slack) or an API token, whatever its scopes. The assertion itself is
 * verified right after these rules (passkeys/passkey-service.ts verifyApproval). The pending list (no request) offers
 * the call to a person in a browser and says `passkey_required`; to an API token it is not offered.
 */
export const passkeyRule: DecideRule = ({ passkey, actor, request, callId }) => {
  if (!passkey) return undefined;
  if (request !== undefined && !request.approve) return undefined;
  const refusal = (how: string) => ({ status: 403 as const, code: 'PASSKEY_REQUIRED', reason: `Approving tool call ${callId} needs your passkey (${passkey.required}); ${how}. Approve it in the Command Center with your passkey: ${passkey.approveAt}` });
  // A confirmed device key's signature over the call's facts stands for the person (`skyflo chat`, whatever its
  // credential): the token's scope is still checked by tokenScopeRule.
  if (request?.deviceSignature) return undefined;
  if (actor.apiToken) return refusal(`an API token ("${actor.apiToken.name}") cannot approve it`);
  if (request !== undefined && !request.webauthn) return refusal('a click alone does not approve it');
  return undefined;
};

export const argsHashRule: DecideRule = ({ request, call, callId }) =>
  request?.argsHash !== undefined && call && request.argsHash !== call.argsHash
    ? { status: 409, code: 'ARGS_MISMATCH', reason: `Tool call ${callId} is not the call you were shown (its arguments hash differs); reload the conversation and decide again.` }
    : undefined;

export const diffHashRule: DecideRule = ({ request, call, callId }) =>
  request?.diffHash !== undefined && call && request.diffHash !== call.diffHash
    ? {
        status: 409,
        code: 'PREVIEW_MISMATCH',
        reason: `PREVIEW_MISMATCH: the preview you were shown for ${callId} is not the one this approval is bound to (diff_hash differs); reload the conversation and decide on the current preview.`,
      }
    : undefined;

/**
 * Calls run in the model's order: an approval of a later call while an earlier one of its turn still waits would
 * outlive the run it starts (which stops at the earlier call) and be closed unrun.
 */
export const orderRule: DecideRule = (facts) => {
  const { earlierAwaiting, callId } = facts;
  // asked as if approving, by the queue too (issue 74 item 9: it offered the second call the decision refused)
  return approving(facts) && earlierAwaiting
    ? {
        status: 409,
        code: 'DECIDE_IN_ORDER',
        reason: `Tool call ${callId} runs after ${earlierAwaiting.callId} (${earlierAwaiting.tool}), which is still waiting; decide ${earlierAwaiting.callId} first (calls run in the order the model proposed them).`,
      }
    : undefined;
};

/**
 * Issue 73 item 6: a call whose dry-run preview failed on a cluster that enforces approvals is never approved, not
 * even with "approve without a preview": the cluster's executor runs only what it computes from an approved preview,
 * so the approval could only end in NOT_EXECUTED. The pending list says so (can_decide false, this reason) and still
 * offers Deny (a denial is not refused here). Read from the risk the gate recorded when it saw the failure.
 */
export const previewRequiredRule: DecideRule = (facts) => {
  const { call, callId } = facts;
  if (!approving(facts) || !call || !approvalNeedsPreview(call)) return undefined;
  const flag = call.risks.find((risk) => risk.code === previewRequiredRiskCode);
  return { status: 409, code: 'PREVIEW_REQUIRED', reason: `Tool call ${callId} cannot be approved. ${flag?.message ?? 'Its dry-run preview failed on a cluster that enforces approvals, which runs only a change whose preview was approved; fix the cause and ask for the change again, or deny it.'}` };
};

/**
 * Issue 31 item 10: a call whose dry-run preview failed (for a reason other than a missing target, which the gate
 * refuses outright) is approved only by someone who says so: "approve without a preview", recorded in the audit trail.
 */
export const previewAcknowledgedRule: DecideRule = ({ request, call, callId }) =>
  request?.approve && !request.withoutPreview && call && hasFailedPreview(call)
    ? {
        status: 400,
        code: 'PREVIEW_NOT_ACKNOWLEDGED',
        reason: `Tool call ${callId} has no dry-run preview (it failed), so nobody has seen what it would change; approve it only by ticking "approve without a preview" (approve_without_preview: true, recorded in the audit trail), or deny it and ask for a call that can be previewed.`,
      }
    : undefined;

/** Issue 21: automatic revert runs the inverse shown on the card; a call without one cannot be approved that way. */
export const autoRevertAvailableRule: DecideRule = ({ request, call, callId }) =>
  request?.autoRevert && call && !call.undo
    ? { status: 400, code: 'AUTO_REVERT_UNAVAILABLE', reason: `Tool call ${callId} has no recorded inverse (no before-state could be captured for ${call.tool}), so it cannot be approved with automatic revert; approve it without auto_revert.` }
    : undefined;

/**
 * Issue 31 item 6 (decision time): under four-eyes, the requester approving their own call with automatic revert
 * would pre-approve its inverse; when that inverse would need a second person, the requester may not.
 */
export const autoRevertFourEyesRule: DecideRule = (facts) => {
  const { request, call, conversation, actor } = facts;
  // The recorded requester, even for an alert's call: choosing automatic revert pre-approves an inverse nobody else
  // reviewed, and the revert path (verify/auto-revert.ts) judges the chooser against the same id.
  if (!request?.autoRevert || !call || actor.id !== (call.requestedBy ?? conversation?.ownerId)) return undefined;
  const deciding = decidingPolicy(facts);
  if (!deciding.fourEyes && deciding.otherPersonRequired === undefined) return undefined;
  if (facts.inverseNeedsSecondPerson === false) return undefined;
  return {
    status: 403,
    code: 'AUTO_REVERT_NEEDS_SECOND_PERSON',
    reason: `Four-eyes: the automatic revert of ${call.callId} (${call.undo?.summary ?? 'its inverse'}) would itself need someone other than you to approve it, so you cannot approve it with auto_revert; approve it without, or ask another approver.`,
  };
};

/**
 * Issue 74 item 2: a click whose clicker the channel does not authenticate (Teams) never stands for a second person.
 * With one captured Bot Framework token, an activity naming another approver as its sender approved a scale to 0:
 * four-eyes was bypassed by choosing the clicker. So such a click approves only a call the person it names asked for
 * themselves (and every rule before this one still applies to them: role, four-eyes, scope, passkey); a call that
 * needs someone else's approval is approved in the Command Center, where that person signs in. Denying stays open:
 * it never runs anything.
 */
export const unverifiedClickerRule: DecideRule = ({ request, call, conversation, actor, callId }) => {
  if (!request?.approve || !request.unverifiedClicker || !call) return undefined;
  if (actor.id === askedBy(call, conversation?.ownerId)) return undefined;
  return {
    status: 403,
    code: 'APPROVE_IN_COMMAND_CENTER',
    reason: `${request.unverifiedClicker} does not prove who clicked, so an approval there counts only for the person who asked for the call; tool call ${callId} was asked for by someone else, so approve it in the Command Center (denying in ${request.unverifiedClicker} still works).`,
  };
};

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
