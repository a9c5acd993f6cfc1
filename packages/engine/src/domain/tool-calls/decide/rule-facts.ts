/**
 * What the decision rules read and answer (decide.ts lists them): the facts the caller gathers, the request, the
 * refusal, and the readings several rules share. A module of its own, below the rules, so each rule file imports these
 * types instead of decide.ts (which imports the rules: the engine keeps no import cycle, type-only ones included).
 */
import type { ApiTokenScope, MemberScope } from '@skyflo/protocol';
import type { ApprovalPolicyName } from './decision-authority.ts';
import type { FreezeHit } from '@skyflo/safety/freezes';
import type { EmergencyStopState } from '../../emergency-stop/emergency-stop.ts';
import { decisionPolicyOf } from '../../clusters/cluster-policies.ts';
import type { ConfiguredCluster } from '../../clusters/stale-binding.ts';
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
export const decidingPolicy = (facts: DecisionFacts) => decisionPolicyOf(facts.call?.policy, facts.environment);
/** The pending list asks as if approving: the Approve button is what `can_decide` governs. */
export const approving = (facts: DecisionFacts) => facts.request === undefined || facts.request.approve;
/** Who may reach the conversation, as conversation-access.ts says (scope included): what every rule assumes. */
export const reachOf = (facts: DecisionFacts) => ({ actorScope: facts.deciderScope, conversationCluster: facts.conversation?.cluster });
