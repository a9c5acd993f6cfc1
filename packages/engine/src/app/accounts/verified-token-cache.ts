/**
 * Session tokens whose signature was already checked (issue 79: the run start's CPU profile on the shipped build put
 * the HS256 check — a WebCrypto job on libuv's pool per request — among its largest costs, paid again for the same
 * token on every request of a session). A token is an immutable string: once its signature checked out, the same
 * string checks out again until it expires, so its claims are kept until then. What may change — the user deactivated,
 * signed out everywhere (session version), their role — is not in here: the caller still reads the user's row on every
 * request. Only tokens that verified are kept, so nobody can fill it without valid tokens; it is bounded (the least
 * recently used goes first), so a burst of sessions costs at most `maxEntries` entries.
 */
export interface VerifiedTokenCache<Claims> {
  /** the claims of `token` when it was verified before and has not expired */
  get(token: string): Claims | undefined;
  /** keeps `claims` for `token` until `expiresAtMs` */
  set(token: string, claims: Claims, expiresAtMs: number): void;
  readonly size: number;
}

export function createVerifiedTokenCache<Claims>(options: { maxEntries: number; now?: () => number }): VerifiedTokenCache<Claims> {
  const { maxEntries, now = Date.now } = options;
  // a Map keeps insertion order: re-inserting on a hit makes its first key the least recently used
  const entries = new Map<string, { claims: Claims; expiresAtMs: number }>();
  return {
    get(token) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      entries.delete(token);
      if (entry.expiresAtMs <= now()) return undefined;
      entries.set(token, entry);
      return entry.claims;
    },
    set(token, claims, expiresAtMs) {
      if (expiresAtMs <= now() || maxEntries <= 0) return;
      entries.delete(token);
      entries.set(token, { claims, expiresAtMs });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    get size() {
      return entries.size;
    },
  };
}
