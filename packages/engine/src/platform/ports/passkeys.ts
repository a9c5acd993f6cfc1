/** Passkeys (issue 35): the WebAuthn credentials a user registered to sign risky approvals. */
export interface PasskeyRecord {
  id: string;
  userId: string;
  name: string;
  /** base64url */
  credentialId: string;
  /** base64url COSE public key */
  publicKey: string;
  counter: number;
  transports: string[];
  createdAt: Date;
  lastUsedAt?: Date;
}

export interface PasskeyStore {
  insert(input: { userId: string; name: string; credentialId: string; publicKey: string; counter: number; transports: string[] }): Promise<PasskeyRecord>;
  listForUser(userId: string): Promise<PasskeyRecord[]>;
  findByCredentialId(credentialId: string): Promise<PasskeyRecord | undefined>;
  /** deletes the user's passkey; undefined when it is not theirs or does not exist */
  remove(input: { id: string; userId: string }): Promise<PasskeyRecord | undefined>;
  /**
   * Moves the signature counter forward (compare-and-set): false when the stored counter is not `expected` any more
   * or `next` does not move it forward (a replayed or cloned authenticator). Authenticators that never count (0 → 0)
   * are accepted.
   */
  advanceCounter(input: { id: string; expected: number; next: number; at: Date }): Promise<boolean>;
}
