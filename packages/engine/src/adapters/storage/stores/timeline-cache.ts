/**
 * Each conversation's timeline as this process last wrote it (its JSON, exactly the text written to messages_json),
 * kept by a PGlite storage that owns its database, so that appending to a timeline costs one round trip to the
 * database thread instead of two (issue 38: the answer's timeline write on every run, the user's message on a chat in
 * an existing conversation).
 *
 * Why only there: its data dir is opened by exactly one process and its connection by exactly one storage, and every
 * writer of a timeline (conversation-store.ts's updateTimeline, start-chat.ts's insert of a new conversation) runs in
 * this process, the updates one at a time per conversation (its keyed mutex). On Postgres other engines write too.
 * An entry is dropped before each write and set again only once the write succeeded, so a failed write is read back
 * from the database next time. Bounded by a byte budget, least recently used first out.
 */
export interface TimelineCache {
  /** the timeline's JSON as last written here, or undefined: read it from the database */
  get(conversationId: string): string | undefined;
  set(conversationId: string, json: string): void;
  drop(conversationId: string): void;
}

export function createTimelineCache(options: { maxBytes?: number } = {}): TimelineCache {
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  /** insertion order is recency: the first entry is the least recently used */
  const entries = new Map<string, string>();
  let bytes = 0;
  const sizeOf = (json: string) => json.length * 2;
  const drop = (conversationId: string) => {
    const json = entries.get(conversationId);
    if (json === undefined) return;
    entries.delete(conversationId);
    bytes -= sizeOf(json);
  };
  return {
    get(conversationId) {
      const json = entries.get(conversationId);
      if (json === undefined) return undefined;
      entries.delete(conversationId);
      entries.set(conversationId, json);
      return json;
    },
    set(conversationId, json) {
      drop(conversationId);
      if (sizeOf(json) > maxBytes) return;
      entries.set(conversationId, json);
      bytes += sizeOf(json);
      for (const [oldest, kept] of entries) {
        if (bytes <= maxBytes) break;
        entries.delete(oldest);
        bytes -= sizeOf(kept);
      }
    },
    drop,
  };
}
