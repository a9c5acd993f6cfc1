/** API tokens for automation. */

export interface ApiTokenRecord {
  id: string;
  userId: string;
  name: string;
  /** sha-256 (hex) of the token; the token itself is never stored */
  tokenHash: string;
  prefix: string;
  scopes: string[];
  expiresAt: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
  createdAt: Date;
}

export interface ApiTokenStore {
  insert(input: { userId: string; name: string; tokenHash: string; prefix: string; scopes: string[]; expiresAt: Date }): Promise<ApiTokenRecord>;
  findByHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  listForUser(userId: string): Promise<ApiTokenRecord[]>;
  /** Revokes one of the user's live tokens; false when it is not theirs or already revoked. */
  revoke(input: { id: string; userId: string }): Promise<ApiTokenRecord | undefined>;
  touch(id: string, at: Date): Promise<void>;
}
