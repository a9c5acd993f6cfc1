/**
 * Device keys (issue 35 item 4): `skyflo chat` signs passkey-required approvals with an Ed25519 key of its own. The
 * CLI posts the public key (pending: it approves nothing yet); its owner confirms it in the Command Center with a
 * passkey whose challenge is derived from the key (deviceKeyChallengeInput: id, fingerprint, user), so the passkey —
 * a fresh user-verified factor — vouches for exactly that key. The confirmation is audited with the activation and
 * announced to the other admins, as a passkey registration is. A confirmed key's signature over a call's facts (the
 * same text a passkey signs: approvalChallengeInput) then counts as the approver's passkey for that call.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import type { AuthenticationResponseJSON, AuthenticatorTransportFuture, VerifiedAuthenticationResponse } from '@simplewebauthn/server';
import { webauthnLibrary } from './webauthn-library.ts';
import { approvalChallengeFacts, deviceKeyChallengeInput, type ApprovalChallengeFacts, type ConfirmDeviceKeyRequest, type DeviceKey, type DeviceKeyConfirmOptions, type DeviceSignature, type RegisterDeviceKeyRequest } from '@skyflo/protocol';
import type { ApprovalRecord, AuditLog, AuthenticatedUser, DeviceKeyRecord, DeviceKeyStore, PasskeyStore, TransactionalStores } from '../../platform/ports/index.ts';
import { approvalChallengeBytes } from './approval-challenge.ts';
import { PasskeyError } from './passkey-error.ts';
import type { ApproverKeyChange, ApproverKeyMirrorOutcome } from '../clusters/enforcement/cluster-enforcement.ts';
import { APPROVAL_ASSERTION_TTL_MS } from './passkey-service.ts';

/** What is stored with a decision approved by a device key (as a passkey's StoredAssertion is). */
export interface StoredDeviceSignature {
  kind: 'device_key';
  device_key_id: string;
  /** SPKI DER, base64url: with it anyone can check `signature` over sha256(canonicalJson(signed_facts)) */
  public_key: string;
  fingerprint: string;
  signature: string;
  signed_facts: ApprovalChallengeFacts;
  challenge: string;
}

export interface DeviceKeyServiceDeps {
  deviceKeys: DeviceKeyStore;
  passkeys: PasskeyStore;
  atomically<T>(work: (stores: TransactionalStores) => Promise<T>): Promise<T>;
  audit: AuditLog;
  relyingParty(): { id: string; origin: string };
  /** the Command Center's address ('' while unknown) */
  publicUrl(): string;
  announce(event: { userId: string; email: string; name: string }): Promise<void>;
  /**
   * Issue 35 item 5: mirrors a confirmed (or removed) device key to every cluster's executor as a SkyfloApproverKey
   * (kind device_key), so the executor can check a terminal approval's Ed25519 signature itself. Absent: no executor.
   */
  mirrorKey?(change: ApproverKeyChange): Promise<ApproverKeyMirrorOutcome[]>;
  now?: () => number;
}

export type DeviceKeyService = ReturnType<typeof createDeviceKeyService>;

const CONFIRM_TTL_MS = 5 * 60_000;
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export function createDeviceKeyService(deps: DeviceKeyServiceDeps) {
  const now = deps.now ?? Date.now;
  const confirmUrl = (id: string) => `${deps.publicUrl()}/settings?device_key=${encodeURIComponent(id)}`;
  const view = (key: DeviceKeyRecord): DeviceKey => ({ id: key.id, name: key.name, fingerprint: key.fingerprint, status: key.status, created_at: key.createdAt.toISOString(), confirmed_at: key.confirmedAt?.toISOString() ?? null, confirm_url: confirmUrl(key.id) });
  const challengeOf = (key: DeviceKeyRecord) => Uint8Array.from(sha256(deviceKeyChallengeInput({ id: key.id, fingerprint: key.fingerprint, userId: key.userId })));

  /** The executors' copies follow the engine's registry; each mirroring and its outcome per executor is audited. */
  async function mirrorToExecutors(actorId: string, keyId: string, change: ApproverKeyChange, ip?: string): Promise<void> {
    if (!deps.mirrorKey) return;
    const results = await deps.mirrorKey(change);
    if (!results.length) return;
    await deps.audit.record({ actorId, action: change.action === 'register' ? 'device_key.mirrored_to_executors' : 'device_key.removed_from_executors', subjectType: 'device_key', subjectId: keyId, details: { executors: results }, ...(ip ? { ip } : {}) });
  }

  async function ownKey(user: AuthenticatedUser, id: string): Promise<DeviceKeyRecord> {
    const key = await deps.deviceKeys.get(id);
    if (!key || key.userId !== user.id) throw new PasskeyError(404, 'DEVICE_KEY_NOT_FOUND', `No device key ${id} of yours.`);
    return key;
  }

  return {
    view,
    async list(user: AuthenticatedUser): Promise<DeviceKey[]> {
      return (await deps.deviceKeys.listForUser(user.id)).map(view);
    },
    async get(user: AuthenticatedUser, id: string): Promise<DeviceKey> {
      return view(await ownKey(user, id));
    },

    /** A new pending key: it approves nothing until its owner confirms it with a passkey. */
    async register(user: AuthenticatedUser, input: RegisterDeviceKeyRequest): Promise<DeviceKey> {
      let der: Buffer;
      try {
        const key = createPublicKey({ key: Buffer.from(input.public_key, 'base64url'), format: 'der', type: 'spki' });
        if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
        der = key.export({ format: 'der', type: 'spki' });
      } catch (error) {
        throw new PasskeyError(400, 'DEVICE_KEY_INVALID', `public_key is not an Ed25519 public key (SPKI DER, base64url): ${error instanceof Error ? error.message : String(error)}`);
      }
      const record = await deps.deviceKeys.insert({ userId: user.id, name: input.name, publicKey: der.toString('base64url'), fingerprint: sha256(der).toString('base64url') });
      return view(record);
    },

    /** Passkey options for confirming a pending key: the challenge is derived from the key (not random). */
    async confirmOptions(user: AuthenticatedUser, apiToken: boolean, id: string): Promise<DeviceKeyConfirmOptions> {
      if (apiToken) throw new PasskeyError(403, 'TOKEN_NOT_ALLOWED', 'A device key is confirmed in the Command Center with your passkey, not with an API token.');
      const key = await ownKey(user, id);
      if (key.status !== 'pending') throw new PasskeyError(409, 'DEVICE_KEY_CONFIRMED', 'This device key is already confirmed.');
      const rp = deps.relyingParty();
      const passkeys = await deps.passkeys.listForUser(user.id);
      if (passkeys.length === 0) throw new PasskeyError(409, 'NO_PASSKEY', 'You have no passkey registered: add one in Settings → Passkeys, then confirm the device key.');
      const options = await (await webauthnLibrary()).generateAuthenticationOptions({ rpID: rp.id, challenge: challengeOf(key), allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports as AuthenticatorTransportFuture[] })), userVerification: 'required', timeout: CONFIRM_TTL_MS });
      return { options: options as unknown as DeviceKeyConfirmOptions['options'], key: view(key) };
    },

    /** Verifies the passkey assertion over the key and activates it, audited together; the other admins are told. */
    async confirm(user: AuthenticatedUser, apiToken: boolean, id: string, input: ConfirmDeviceKeyRequest, ip?: string): Promise<DeviceKey> {
      if (apiToken) throw new PasskeyError(403, 'TOKEN_NOT_ALLOWED', 'A device key is confirmed in the Command Center with your passkey, not with an API token.');
      const key = await ownKey(user, id);
      if (key.status !== 'pending') throw new PasskeyError(409, 'DEVICE_KEY_CONFIRMED', 'This device key is already confirmed.');
      const rp = deps.relyingParty();
      const passkey = await deps.passkeys.findByCredentialId(input.assertion.id);
      if (!passkey || passkey.userId !== user.id) throw new PasskeyError(403, 'PASSKEY_INVALID', 'The assertion was not made with a passkey registered to you.');
      const challenge = Buffer.from(challengeOf(key)).toString('base64url');
      let result: VerifiedAuthenticationResponse;
      try {
        result = await (await webauthnLibrary()).verifyAuthenticationResponse({ response: input.assertion as AuthenticationResponseJSON, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.id, credential: { id: passkey.credentialId, publicKey: Uint8Array.from(Buffer.from(passkey.publicKey, 'base64url')), counter: passkey.counter, transports: passkey.transports as AuthenticatorTransportFuture[] }, requireUserVerification: true });
      } catch (error) {
        throw new PasskeyError(403, 'PASSKEY_INVALID', `The passkey assertion does not confirm this device key (${error instanceof Error ? error.message : String(error)}).`);
      }
      if (!result.verified) throw new PasskeyError(403, 'PASSKEY_INVALID', 'The passkey assertion could not be verified.');
      const at = new Date(now());
      if (!(await deps.passkeys.advanceCounter({ id: passkey.id, expected: passkey.counter, next: result.authenticationInfo.newCounter, at }))) throw new PasskeyError(403, 'PASSKEY_REPLAYED', "The passkey's signature counter did not move forward: a replayed assertion is refused.");
      const confirmedWith = { credential_id: passkey.credentialId, passkey_id: passkey.id, authenticator_data: input.assertion.response.authenticatorData, client_data_json: input.assertion.response.clientDataJSON, signature: input.assertion.response.signature, challenge, rp_id: rp.id };
      // the activation and its audit record commit together
      const active = await deps.atomically(async (stores) => {
        const activated = await stores.deviceKeys.activate({ id: key.id, userId: user.id, confirmedWith, at });
        if (!activated) throw new PasskeyError(409, 'DEVICE_KEY_CONFIRMED', 'This device key is already confirmed.');
        await stores.audit.record({ actorId: user.id, action: 'device_key.registered', subjectType: 'device_key', subjectId: key.id, details: { name: key.name, fingerprint: key.fingerprint, public_key: key.publicKey, confirmed_with: confirmedWith, role: user.role }, ...(ip ? { ip } : {}) });
        return activated;
      });
      await deps.announce({ userId: user.id, email: user.email, name: key.name });
      await mirrorToExecutors(user.id, key.id, { action: 'register', key: { credentialId: key.id, userId: user.id, email: user.email, publicKey: key.publicKey, counter: 0, kind: 'device_key' } }, ip);
      return view(active);
    },

    async remove(user: AuthenticatedUser, id: string, ip?: string): Promise<void> {
      const removed = await deps.atomically(async (stores) => {
        const removed = await stores.deviceKeys.remove({ id, userId: user.id });
        if (!removed) throw new PasskeyError(404, 'DEVICE_KEY_NOT_FOUND', `No device key ${id} of yours.`);
        await stores.audit.record({ actorId: user.id, action: 'device_key.removed', subjectType: 'device_key', subjectId: removed.id, details: { name: removed.name, fingerprint: removed.fingerprint }, ...(ip ? { ip } : {}) });
        return removed;
      });
      // a pending key was never mirrored
      if (removed.status === 'active') await mirrorToExecutors(user.id, removed.id, { action: 'remove', credentialId: removed.id }, ip);
    },

    /**
     * Checks a decision's device signature: an active key of `user`, an expiry the engine allows, and an Ed25519
     * signature over this call's facts with that expiry. Throws PasskeyError.
     */
    async verifyApproval(user: AuthenticatedUser, record: ApprovalRecord, signature: DeviceSignature): Promise<StoredDeviceSignature> {
      const expires = Date.parse(signature.expires_at);
      if (!Number.isFinite(expires) || new Date(expires).toISOString() !== signature.expires_at) throw new PasskeyError(400, 'DEVICE_SIGNATURE_INVALID', 'device_signature.expires_at must be an ISO 8601 instant (toISOString).');
      if (expires < now()) throw new PasskeyError(403, 'PASSKEY_EXPIRED', 'The device signature expired before it was sent; approve again.');
      if (expires > now() + APPROVAL_ASSERTION_TTL_MS + 60_000) throw new PasskeyError(403, 'DEVICE_SIGNATURE_INVALID', `device_signature.expires_at may be at most ${APPROVAL_ASSERTION_TTL_MS / 60_000} minutes ahead.`);
      const key = await deps.deviceKeys.get(signature.key_id);
      if (!key || key.userId !== user.id) throw new PasskeyError(403, 'DEVICE_KEY_NOT_FOUND', 'The device key is not registered to you (it may have been removed): register it again with `skyflo chat --register-device`.');
      if (key.status !== 'active') throw new PasskeyError(403, 'DEVICE_KEY_UNCONFIRMED', `The device key is not confirmed yet: confirm it with your passkey at ${confirmUrl(key.id)}`);
      const facts = approvalChallengeFacts(record, signature.expires_at);
      const challengeBytes = approvalChallengeBytes(facts);
      const publicKey = createPublicKey({ key: Buffer.from(key.publicKey, 'base64url'), format: 'der', type: 'spki' });
      let valid = false;
      try {
        valid = verifySignature(null, challengeBytes, publicKey, Buffer.from(signature.signature, 'base64url'));
      } catch {
        valid = false;
      }
      if (!valid) throw new PasskeyError(403, 'DEVICE_SIGNATURE_INVALID', "The device signature does not approve this call: it must be made over this call's facts (reload and approve again).");
      return { kind: 'device_key', device_key_id: key.id, public_key: key.publicKey, fingerprint: key.fingerprint, signature: signature.signature, signed_facts: facts, challenge: Buffer.from(challengeBytes).toString('base64url') };
    },
  };
}
