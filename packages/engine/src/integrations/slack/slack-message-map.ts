/**
 * Which Slack message shows which call's approval request, kept in the database (settings, one key per call) rather
 * than in one process's memory: with several engine processes on one database, the decision may be made on another
 * process than the one that posted the request (a Command Center decision, a click load-balanced elsewhere), or after
 * a restart, and the message must still be updated to show who decided — and a request re-announced after a restart
 * must not be posted twice.
 */
import type { SettingsStore } from '../../ports/index.ts';
import type { TeamEvent } from '../../team-events/team-event.ts';

export const SLACK_MESSAGE_PREFIX = 'slack.message.';

/** The facts the decided message repeats (slack-messages.ts summaryBlocks): no arguments, only their display form. */
export type RequestFacts = Pick<TeamEvent, 'type' | 'at' | 'conversation_id' | 'conversation_url' | 'conversation_title' | 'call_id' | 'tool' | 'diff' | 'risks' | 'policy_reason' | 'requested_by'>;

export interface PostedMessage {
  channel: string;
  ts: string;
  request: RequestFacts;
  decided: boolean;
}

export interface SlackMessageMap {
  get(conversationId: string, callId: string): Promise<PostedMessage | undefined>;
  /** remembers the message posted for a call (the first one remembered wins) */
  remember(conversationId: string, callId: string, message: PostedMessage): Promise<void>;
  /**
   * Marks the call's message decided; true for the caller that changed it from undecided, which then updates the
   * message. Two updates racing (a click and the decision's event on two processes) write the same outcome, so the
   * read-then-write needs no lock.
   */
  markDecided(conversationId: string, callId: string, message: PostedMessage): Promise<boolean>;
}

/** what is stored of a request: the fields the decided message shows (the arguments stay in the approvals table) */
export function requestFacts(event: TeamEvent): RequestFacts {
  const { type, at, conversation_id, conversation_url, conversation_title, call_id, tool, diff, risks, policy_reason, requested_by } = event;
  const facts = { type, at, conversation_id, conversation_url, conversation_title, call_id, tool, diff, risks, policy_reason, requested_by };
  return Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined)) as RequestFacts;
}

export function createSlackMessageMap(settings: Pick<SettingsStore, 'get' | 'put' | 'putIfAbsent'>): SlackMessageMap {
  const keyOf = (conversationId: string, callId: string) => `${SLACK_MESSAGE_PREFIX}${conversationId}:${callId}`;
  return {
    async get(conversationId, callId) {
      return ((await settings.get(keyOf(conversationId, callId))) ?? undefined) as PostedMessage | undefined;
    },
    async remember(conversationId, callId, message) {
      await settings.putIfAbsent(keyOf(conversationId, callId), message);
    },
    async markDecided(conversationId, callId, message) {
      const stored = ((await settings.get(keyOf(conversationId, callId))) ?? undefined) as PostedMessage | undefined;
      if (stored?.decided) return false;
      await settings.put(keyOf(conversationId, callId), { ...(stored ?? message), decided: true });
      return true;
    },
  };
}
