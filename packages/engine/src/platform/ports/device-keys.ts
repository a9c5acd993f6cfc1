/** Device keys (issue 35 item 4): the Ed25519 keys `skyflo chat` signs passkey-required approvals with. */
export interface DeviceKeyRecord {
  id: string;
  userId: string;
  name: string;
  /** SPKI DER, base64url */
  publicKey: string;
  /** sha256 of the SPKI DER, base64url */
  fingerprint: string;
  status: 'pending' | 'active';
  /** the passkey assertion over the key's fingerprint that made it active */
  confirmedWith?: Record<string, unknown>;
  createdAt: Date;
  confirmedAt?: Date;
}

export interface DeviceKeyStore {
  insert(input: { userId: string; name: string; publicKey: string; fingerprint: string }): Promise<DeviceKeyRecord>;
  get(id: string): Promise<DeviceKeyRecord | undefined>;
  listForUser(userId: string): Promise<DeviceKeyRecord[]>;
  /** pending → active (compare-and-set); undefined when it is not the user's pending key */
  activate(input: { id: string; userId: string; confirmedWith: Record<string, unknown>; at: Date }): Promise<DeviceKeyRecord | undefined>;
  /** deletes the user's key; undefined when it is not theirs */
  remove(input: { id: string; userId: string }): Promise<DeviceKeyRecord | undefined>;
}
