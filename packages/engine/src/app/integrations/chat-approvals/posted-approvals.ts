/**
 * Which chat message (a Slack message, a Teams card) shows which call's approval request, kept in the database
 * (settings, one key per call) rather than in one process's memory: with several engine processes on one database,
 * the decision may be made on another process than the one that posted the request (a Command Center decision, a
 * click load-balanced elsewhere), or after a restart, and the message must still be updated to show who decided —
 * and a request re-announced after a restart must not be posted twice. Each chat keeps its own key prefix
 * (slack.message., teams.card.) and its own record of where the message is.
 */
import type { SettingsStore } from '../../../platform/ports/index.ts';
import type { TeamEvent } from '../../team-events/team-event.ts';

/** The facts a decided message repeats: no arguments, only their display form; the cluster the call changes. */
export type RequestFacts = Pick<TeamEvent, 'type' | 'at' | 'conversation_id' | 'conversation_url' | 'conversation_title' | 'call_id' | 'tool' | 'diff' | 'risks' | 'policy_reason' | 'requested_by'> & { cluster?: string };

/** what is remembered of a posted request: where it is (the chat's own fields), its facts, and whether it shows a decision */
export interface PostedApproval {
  request: RequestFacts;
  decided: boolean;
}

export interface PostedApprovals<Posted extends PostedApproval> {
  get(conversationId: string, callId: string): Promise<Posted | undefined>;
  /** remembers the message posted for a call (the first one remembered wins) */
  remember(conversationId: string, callId: string, posted: Posted): Promise<void>;
  /**
   * Marks the call's message decided; true for the caller that changed it from undecided, which then updates the
   * message. Two updates racing (a click and the decision's event on two processes) write the same outcome, so the
   * read-then-write needs no lock.
   */
  markDecided(conversationId: string, callId: string, posted: Posted): Promise<boolean>;
}

/** what is stored of a request: the fields the decided message shows (the arguments stay in the approvals table) */
export function requestFacts(event: TeamEvent): RequestFacts {
  const { type, at, conversation_id, conversation_url, conversation_title, call_id, tool, diff, risks, policy_reason, requested_by } = event;
  const facts = { type, at, conversation_id, conversation_url, conversation_title, call_id, tool, diff, risks, policy_reason, requested_by };
  return Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined)) as RequestFacts;
}

export function createPostedApprovals<Posted extends PostedApproval>(settings: Pick<SettingsStore, 'get' | 'put' | 'putIfAbsent'>, prefix: string): PostedApprovals<Posted> {
  const keyOf = (conversationId: string, callId: string) => `${prefix}${conversationId}:${callId}`;
  const get = async (conversationId: string, callId: string) => ((await settings.get(keyOf(conversationId, callId))) ?? undefined) as Posted | undefined;
  return {
    get,
    async remember(conversationId, callId, posted) {
      await settings.putIfAbsent(keyOf(conversationId, callId), posted);
    },
    async markDecided(conversationId, callId, posted) {
      const stored = await get(conversationId, callId);
      if (stored?.decided) return false;
      await settings.put(keyOf(conversationId, callId), { ...(stored ?? posted), decided: true });
      return true;
    },
  };
}
