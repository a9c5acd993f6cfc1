/**
 * Device keys (issue 35 item 4): the terminal's way to sign a passkey-required approval. `skyflo chat` creates an
 * Ed25519 key on first use, posts its public key (pending), and the user confirms it in the Command Center with a
 * passkey: the WebAuthn challenge is derived from the key's fingerprint (deviceKeyChallengeInput), so the passkey
 * vouches for exactly that key. A confirmed key then signs an approval's facts — the same text a passkey signs
 * (approvalChallengeInput) — and the signature goes with the decision as `device_signature`.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';
import { canonicalJson } from './skyflo-approval.ts';
import { webauthnAssertionSchema, webauthnOptionsSchema } from './passkeys.ts';

export const deviceKeyStatuses = ['pending', 'active'] as const;

/** POST /auth/device-keys: the public key as SPKI DER, base64url */
export const registerDeviceKeyRequestSchema = deferred(() => z.object({
  name: z.string().trim().min(1, 'name the device').max(100),
  public_key: z.string().min(40, 'public_key must be an Ed25519 public key (SPKI DER, base64url)').max(200),
}));
export type RegisterDeviceKeyRequest = z.infer<typeof registerDeviceKeyRequestSchema>;

export const deviceKeySchema = deferred(() => z.object({
  id: z.string(),
  name: z.string(),
  /** sha256 of the SPKI DER public key, base64url: what the confirm page shows and the passkey signs */
  fingerprint: z.string(),
  status: z.enum(deviceKeyStatuses),
  created_at: z.string(),
  confirmed_at: z.string().nullable(),
  /** where the owner confirms it with a passkey (the Command Center's Settings) */
  confirm_url: z.string(),
}));
export type DeviceKey = z.infer<typeof deviceKeySchema>;
export const deviceKeysResponseSchema = deferred(() => z.object({ data: z.array(deviceKeySchema) }));
export type DeviceKeysResponse = z.infer<typeof deviceKeysResponseSchema>;

/** POST /auth/device-keys/:id/confirm-options: passkey request options whose challenge is the key's fingerprint */
export const deviceKeyConfirmOptionsSchema = deferred(() => z.object({ options: webauthnOptionsSchema, key: deviceKeySchema }));
export type DeviceKeyConfirmOptions = z.infer<typeof deviceKeyConfirmOptionsSchema>;
/** POST /auth/device-keys/:id/confirm */
export const confirmDeviceKeyRequestSchema = deferred(() => z.object({ assertion: webauthnAssertionSchema }));
export type ConfirmDeviceKeyRequest = z.infer<typeof confirmDeviceKeyRequestSchema>;

/**
 * `device_signature` of POST /agent/approvals/:call_id: an Ed25519 signature (base64url) of
 * sha256(approvalChallengeInput(facts)) by the confirmed device key `key_id`, where facts carry `expires_at`.
 */
export const deviceSignatureSchema = deferred(() => z.object({ key_id: z.uuid('key_id must be a device key id'), expires_at: z.string().min(1), signature: z.string().min(1).max(200) }));
export type DeviceSignature = z.infer<typeof deviceSignatureSchema>;

/** The exact text hashed into a device key's confirmation challenge. */
export const deviceKeyChallengeInput = (key: { id: string; fingerprint: string; userId: string }): string => canonicalJson({ purpose: 'skyflo-device-key', keyId: key.id, fingerprint: key.fingerprint, userId: key.userId });
