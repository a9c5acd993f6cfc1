/** Past conversations like a new one (issue 81 item 4): the contract; storage/similar-conversations.ts answers it. */
export interface SimilarConversation {
  id: string;
  title: string | null;
  updatedAt: Date;
  /** distinct words of the message the conversation holds */
  shared: number;
}

export interface SimilarConversations {
  find(input: { userId: string; excludeConversationId: string; text: string; limit: number; minShared: number }): Promise<SimilarConversation[]>;
}
