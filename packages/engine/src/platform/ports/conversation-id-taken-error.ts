import { SkyfloError } from '../errors/skyflo-error.ts';
/** A client asked for a conversation id that exists or once existed; ids are never reused (see ConversationStore.create). */
export class ConversationIdTakenError extends SkyfloError {
  readonly code = 'CONVERSATION_ID_TAKEN';
  constructor(readonly conversationId: string) {
    super(`Conversation id ${conversationId} is already in use or belonged to a deleted conversation; omit conversation_id to get a new one.`);
    this.name = 'ConversationIdTakenError';
  }
}
