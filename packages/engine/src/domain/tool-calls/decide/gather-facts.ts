/**
 * Every fact `decide` (decide.ts) reads, gathered in ONE place (issue 74 item 9). The decision (POST
 * /agent/approvals/:call_id, the agent service's prepareDecision), the queue (GET /approvals/pending), the passkey
 * options of a call and the team notifications all ask here, so none of them can leave a fact out: the queue once
 * said `can_decide: true` for the second call of a turn because only the decision read the turn's order.
 *
 * What a decision reads that the queue does not is only the request itself (its hashes, auto-revert's inverse): the
 * queue asks as if approving. Each fact is read the same way on both paths:
 *   - the conversation's owner and pinned cluster, and the call's record;
 *   - the decider's cluster/namespace scope (the users table, as it is now);
 *   - the clusters configured now (a call bound to an API server that is gone is stale);
 *   - the earlier call of the same paused turn still awaiting a decision (calls run in the model's order);
 *   - whether approving needs the approver's passkey (the cluster's passkey policy);
 *   - with auto-revert only: whether the inverse would need a second person.
 */
import type { MemberScope } from '@skyflo/protocol';
import type { ConfiguredCluster } from '../../clusters/stale-binding.ts';
import { approvalPageUrl, passkeyFactsOf, type PasskeyApprovals } from '../../passkeys/passkey-approvals.ts';
import { demandsOf } from '@skyflo/safety/policies';
import type { EmergencyStopState } from '../../emergency-stop/emergency-stop.ts';
import type { FreezeHit } from '@skyflo/safety/freezes';
import type { ApprovalRecord, ApprovalStore, ConversationStore, PendingApprovalRecord } from '../../../platform/ports/index.ts';
import type { ToolCallInspector } from '../core/tool-call-inspector.ts';
import type { ApprovalPolicyName } from './decision-authority.ts';
import { inverseNeedsSecondPerson } from './decision-facts.ts';
import type { DecisionFacts, DecisionRequest } from './decide.ts';

export interface DecisionFactSources {
  /** APPROVAL_POLICY and APPROVAL_FOUR_EYES */
  environment: { policy: ApprovalPolicyName; fourEyes: boolean };
  approvals: Pick<ApprovalStore, 'get' | 'listForConversation'> & Partial<Pick<ApprovalStore, 'getWithConversation'>>;
  conversations: Pick<ConversationStore, 'get'> & Partial<Pick<ConversationStore, 'access'>>;
  /** a person's scope as it is now; absent: nobody is limited */
  scopeOf?: ((userId: string) => Promise<MemberScope | undefined>) | undefined;
  /** the clusters configured now; absent, or when it throws (the MCP server is loading), nothing is called stale */
  configuredClusters?: (() => Promise<ReadonlyArray<ConfiguredCluster>>) | undefined;
  /** the call ids of the turn the conversation is paused at, in the model's order (its checkpoint) */
  pausedCallIds: (conversationId: string) => Promise<string[]>;
  passkeys?: PasskeyApprovals | undefined;
  /** issue 76: the emergency stop as the database holds it now; absent: there is none */
  emergencyStop?: (() => Promise<EmergencyStopState | undefined>) | undefined;
  /** issue 76: the change freeze holding now for a call's cluster and namespaces; absent: none */
  activeFreeze?: ((call: { cluster?: string | undefined; namespaces: readonly string[] }) => Promise<FreezeHit | undefined>) | undefined;
  /** for the auto-revert rule: how risky the recorded inverse is (a row from before it was stored) */
  inspector?: Pick<ToolCallInspector, 'risks' | 'destructive'> | undefined;
}

/** Who asks: the person (and the API token they used, whose scopes limit what it may decide). */
export type DecisionActor = DecisionFacts['actor'];

/** A conversation as the facts need it: its owner and the cluster it is pinned to. */
interface ConversationReach {
  userId: string;
  cluster?: string | undefined;
}

/** How the calls of a conversation's paused turn are read: its recorded calls, and the turn's order (its checkpoint). */
export interface TurnReads {
  recorded(): Promise<ApprovalRecord[]>;
  order(): Promise<string[]>;
}

/** Reads each once, however many calls of the conversation ask (the queue lists several calls of one turn). */
function turnReads(sources: Pick<DecisionFactSources, 'approvals' | 'pausedCallIds'>, conversationId: string, order?: Promise<string[]>): TurnReads {
  let recorded: Promise<ApprovalRecord[]> | undefined;
  let ordered = order;
  return {
    recorded: () => (recorded ??= sources.approvals.listForConversation(conversationId)),
    order: () => (ordered ??= sources.pausedCallIds(conversationId)),
  };
}

/**
 * The earliest call of the paused turn that comes before `callId` (the model's order) and still awaits a decision.
 * The conversation's recorded calls are read first: with no other one awaiting, the turn's order is not needed (the
 * common case reads no checkpoint).
 */
export async function earlierAwaitingCall(turn: TurnReads, callId: string): Promise<{ callId: string; tool: string } | undefined> {
  const others = (await turn.recorded()).filter((other) => other.status === 'awaiting' && other.callId !== callId);
  if (others.length === 0) return undefined;
  const pending = await turn.order();
  const position = pending.indexOf(callId);
  if (position <= 0) return undefined;
  const earliest = pending.slice(0, position).find((id) => others.some((other) => other.callId === id));
  const found = earliest === undefined ? undefined : others.find((other) => other.callId === earliest);
  return found ? { callId: found.callId, tool: found.tool } : undefined;
}

/** Every namespace a recorded call writes (its own first), as freezes judge it. */
export const writtenNamespaces = (record: Pick<ApprovalRecord, 'namespace' | 'namespaces'>): string[] => record.namespaces ?? (record.namespace !== undefined ? [record.namespace] : []);

/** Issue 76: a policy that matched the call asks for the approver's passkey (the cluster's own policy did not). */
function policyPasskey(record: ApprovalRecord, passkeys: PasskeyApprovals | undefined): { required: string; approveAt: string } | undefined {
  const by = demandsOf(record.policyVerdicts).passkeyBy;
  return by ? { required: `policy "${by.name}" (v${by.version}) asks for it${by.message ? `: ${by.message}` : ''}`, approveAt: passkeys ? passkeys.approvalPage(record.conversationId, record.callId) : approvalPageUrl('', record.conversationId, record.callId) } : undefined;
}

/** Issue 76 item 6: the passkey requirement of a break-glass approval (the cluster's policy asked for none). */
function breakGlassPasskey(record: ApprovalRecord, passkeys: PasskeyApprovals | undefined): { required: string; approveAt: string } {
  return { required: 'breaking a change freeze always asks for it', approveAt: passkeys ? passkeys.approvalPage(record.conversationId, record.callId) : approvalPageUrl('', record.conversationId, record.callId) };
}

export type DecisionFactsGatherer = ReturnType<typeof createDecisionFactsGatherer>;

export function createDecisionFactsGatherer(sources: DecisionFactSources) {
  const configured = async (): Promise<ReadonlyArray<ConfiguredCluster> | undefined> => (sources.configuredClusters ? sources.configuredClusters().catch(() => undefined) : undefined);
  const scopeOf = async (userId: string) => sources.scopeOf?.(userId);

  /** The facts of one call once its conversation, record and the shared facts are known; the same for every path. */
  async function assemble(input: {
    actor: DecisionActor;
    conversationId: string;
    callId: string;
    conversation: ConversationReach | undefined;
    record: ApprovalRecord | undefined;
    deciderScope: MemberScope | undefined;
    configuredClusters: ReadonlyArray<ConfiguredCluster> | undefined;
    request?: DecisionRequest | undefined;
    turn: TurnReads;
  }): Promise<DecisionFacts> {
    const { record, conversation, request } = input;
    const approving = request === undefined || request.approve;
    // The turn's order and the passkey policy matter only for an approval of an awaiting call in a conversation that exists.
    const [earlier, passkey, emergencyStop, freeze] = await Promise.all([
      approving && conversation && record?.status === 'awaiting' ? earlierAwaitingCall(input.turn, input.callId) : undefined,
      approving && conversation && record ? passkeyFactsOf(sources.passkeys, record).then((facts) => facts ?? policyPasskey(record, sources.passkeys)) : undefined,
      approving && record?.status === 'awaiting' ? sources.emergencyStop?.() : undefined,
      approving && record?.status === 'awaiting' ? sources.activeFreeze?.({ cluster: record.cluster?.name, namespaces: writtenNamespaces(record) }) : undefined,
    ]);
    return {
      conversationId: input.conversationId,
      callId: input.callId,
      environment: sources.environment,
      actor: input.actor,
      conversation: conversation ? { ownerId: conversation.userId, ...(conversation.cluster !== undefined ? { cluster: conversation.cluster } : {}) } : undefined,
      call: record,
      deciderScope: input.deciderScope,
      ...(request ? { request } : {}),
      ...(input.configuredClusters ? { configuredClusters: input.configuredClusters } : {}),
      ...(earlier ? { earlierAwaiting: earlier } : {}),
      ...(request?.autoRevert && record?.undo && sources.inspector ? { inverseNeedsSecondPerson: inverseNeedsSecondPerson({ record: { ...record, undo: record.undo }, environment: sources.environment, inspector: sources.inspector }) } : {}),
      // Issue 76 item 6: a break-glass approval always needs the approver's passkey, whatever the cluster asks.
      ...(passkey ? { passkey } : approving && request?.breakGlass && freeze && record ? { passkey: breakGlassPasskey(record, sources.passkeys) } : {}),
      ...(emergencyStop ? { emergencyStop } : {}),
      ...(freeze ? { freeze } : {}),
    };
  }

  /** The conversation (owner and cluster, never its timeline) and the record, in one round trip where the store can. */
  const readCall = async (conversationId: string, callId: string): Promise<{ conversation: ConversationReach | undefined; record: ApprovalRecord | undefined }> =>
    sources.approvals.getWithConversation
      ? sources.approvals.getWithConversation(conversationId, callId)
      : Promise.all([sources.conversations.access ? sources.conversations.access(conversationId) : sources.conversations.get(conversationId), sources.approvals.get(conversationId, callId)]).then(([conversation, record]) => ({ conversation, record }));

  return {
    /**
     * A decision: the request, and everything the rules read about it. `pausedCallIds`: the paused turn as the caller
     * already reads it (the decision hands the same checkpoint read to the run it starts).
     */
    async forDecision(input: { actor: DecisionActor; conversationId: string; callId: string; request: DecisionRequest; pausedCallIds?: Promise<string[]> }) {
      const [{ conversation, record }, deciderScope, configuredClusters] = await Promise.all([readCall(input.conversationId, input.callId), scopeOf(input.actor.id), input.request.approve ? configured() : undefined]);
      const facts = await assemble({ ...input, conversation, record, deciderScope, configuredClusters, turn: turnReads(sources, input.conversationId, input.pausedCallIds) });
      return { facts, conversation, record };
    },

    /** One call as the queue asks about it (as if approving): for the passkey options and the notifications. */
    async forCall(input: { actor: DecisionActor; conversationId: string; callId: string }): Promise<DecisionFacts> {
      const [{ conversation, record }, deciderScope, configuredClusters] = await Promise.all([readCall(input.conversationId, input.callId), scopeOf(input.actor.id), configured()]);
      return assemble({ ...input, conversation, record, deciderScope, configuredClusters, turn: turnReads(sources, input.conversationId) });
    },

    /** A reader's cluster scope, as the rules read it: what the queue's store filter narrows to (issue 79). */
    readerScope: (userId: string): Promise<MemberScope | undefined> => scopeOf(userId),

    /** The queue (GET /approvals/pending): each listed call's facts, the shared ones read once. */
    async forQueue(actor: DecisionActor, records: readonly PendingApprovalRecord[]): Promise<DecisionFacts[]> {
      if (records.length === 0) return [];
      const [deciderScope, configuredClusters] = await Promise.all([scopeOf(actor.id), records.some((record) => record.cluster) ? configured() : undefined]);
      const turns = new Map<string, TurnReads>();
      const turnOf = (conversationId: string) => turns.get(conversationId) ?? turns.set(conversationId, turnReads(sources, conversationId)).get(conversationId)!;
      return Promise.all(
        records.map((record) =>
          assemble({
            actor,
            conversationId: record.conversationId,
            callId: record.callId,
            conversation: { userId: record.conversationOwnerId, ...(record.conversationCluster !== undefined ? { cluster: record.conversationCluster } : {}) },
            record,
            deciderScope,
            configuredClusters,
            turn: turnOf(record.conversationId),
          }),
        ),
      );
    },
  };
}
