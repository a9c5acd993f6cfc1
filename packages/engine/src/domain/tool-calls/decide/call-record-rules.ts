/**
 * Rules of decide.ts's ordered list about the call itself: is there a call to decide, in a conversation this person
 * reaches, still waiting, and still bound to a configured cluster.
 */
import { conversationAccess } from './conversation-access.ts';
import { staleReasonOf } from '../../clusters/stale-binding.ts';
import { approving, decidingPolicy, reachOf, type DecideRule } from './rule-facts.ts';

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
