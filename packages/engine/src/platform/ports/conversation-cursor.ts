/** Pagination cursor `"<updated_at ISO>|<id>"` (spec §1), sorted by -updated_at then -id. */
export interface ConversationCursor {
  updatedAt: Date;
  id: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function formatConversationCursor(cursor: ConversationCursor): string {
  return `${cursor.updatedAt.toISOString()}|${cursor.id}`;
}

/** Returns undefined for anything that is not a cursor this server produced. */
export function parseConversationCursor(value: string): ConversationCursor | undefined {
  const separator = value.lastIndexOf('|');
  if (separator < 0) return undefined;
  const updatedAt = new Date(value.slice(0, separator));
  const id = value.slice(separator + 1);
  if (Number.isNaN(updatedAt.getTime()) || !uuidPattern.test(id)) return undefined;
  return { updatedAt, id };
}

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
