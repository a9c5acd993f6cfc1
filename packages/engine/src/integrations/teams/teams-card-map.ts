/**
 * Which Teams activity shows which call's approval card, kept in the database (settings, one key per call) for the
 * same reasons as Slack's message map (slack-message-map.ts): the decision may be made on another engine process or
 * after a restart and the card must still be updated, and a request re-announced must not be posted twice.
 */
import type { SettingsStore } from '../../ports/index.ts';
import type { CardFacts } from './teams-cards.ts';

export const TEAMS_CARD_PREFIX = 'teams.card.';

export interface PostedCard {
  /** the conversation the card was posted to and its activity id there */
  conversation: string;
  activity_id: string;
  request: CardFacts;
  decided: boolean;
}

export interface TeamsCardMap {
  get(conversationId: string, callId: string): Promise<PostedCard | undefined>;
  remember(conversationId: string, callId: string, card: PostedCard): Promise<void>;
  /** true for the caller that changed it from undecided, which then updates the card */
  markDecided(conversationId: string, callId: string, card: PostedCard): Promise<boolean>;
}

export function createTeamsCardMap(settings: Pick<SettingsStore, 'get' | 'put' | 'putIfAbsent'>): TeamsCardMap {
  const keyOf = (conversationId: string, callId: string) => `${TEAMS_CARD_PREFIX}${conversationId}:${callId}`;
  const get = async (conversationId: string, callId: string) => ((await settings.get(keyOf(conversationId, callId))) ?? undefined) as PostedCard | undefined;
  return {
    get,
    async remember(conversationId, callId, card) {
      await settings.putIfAbsent(keyOf(conversationId, callId), card);
    },
    async markDecided(conversationId, callId, card) {
      const stored = await get(conversationId, callId);
      if (stored?.decided) return false;
      await settings.put(keyOf(conversationId, callId), { ...(stored ?? card), decided: true });
      return true;
    },
  };
}
