/**
 * Passkeys (issue 35 items 3 and 5): registering one (a fresh sign-in, audited with the insert and announced to the
 * other admins), listing and removing them, and the passkey side of an approval — the assertion options whose
 * challenge is the call's facts (approval-challenge.ts), and verifying the assertion a decision carries against the
 * approver's registered public key (SimpleWebAuthn), moving its signature counter forward.
 *
 * The relying party is the Command Center's public address: RP ID its host name, the expected origin its origin
 * (PUBLIC_URL, else the address the first admin's browser reported: public-url/).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuthenticationResponseJSON, AuthenticatorTransportFuture, RegistrationResponseJSON, VerifiedAuthenticationResponse, VerifiedRegistrationResponse } from '@simplewebauthn/server';
import { webauthnLibrary } from './webauthn-library.ts';
import { approvalChallengeFacts, type ApprovalChallengeFacts, type ApprovalPasskeyOptions, type Passkey, type PasskeyRegistrationOptions, type RegisterPasskeyRequest, type WebauthnAssertion } from '@skyflo/protocol';
import type { ApprovalRecord, AuditLog, AuthenticatedUser, PasskeyRecord, PasskeyStore, TransactionalStores } from '../../platform/ports/index.ts';
import { approvalChallenge, approvalChallengeBytes } from './approval-challenge.ts';
import { PasskeyError } from './passkey-error.ts';
import type { ApproverKeyChange, ApproverKeyMirrorOutcome } from '../clusters/enforcement/cluster-enforcement.ts';

/** How recent a sign-in must be to register a passkey. */
export const FRESH_SIGN_IN_SECONDS = 5 * 60;
/** How long an approver has to touch the passkey once the options were given (the expiry is part of the signed facts). */
export const APPROVAL_ASSERTION_TTL_MS = 5 * 60_000;
const REGISTRATION_TTL_MS = 5 * 60_000;

/** What is stored with the decision and its audit record: everything a verifier needs besides the public key. */
export interface StoredAssertion {
  credential_id: string;
  passkey_id: string;
  user_handle: string | null;
  authenticator_data: string;
  client_data_json: string;
  signature: string;
  /** the facts whose sha256 is the challenge, as signed */
  signed_facts: ApprovalChallengeFacts;
  challenge: string;
  rp_id: string;
  origin: string;
  counter: number;
  user_verified: boolean;
}

export interface PasskeyServiceDeps {
  passkeys: PasskeyStore;
  atomically<T>(work: (stores: TransactionalStores) => Promise<T>): Promise<T>;
  audit: AuditLog;
  /** the Command Center's address ('' while unknown) */
  publicUrl(): string;
  /** signs registration tokens (the engine's session secret) */
  secret: string;
  /** tells the other admins a passkey was registered (in-app notification); must not throw */
  announce(event: { userId: string; email: string; name: string }): Promise<void>;
  /**
   * Issue 35 item 5: mirrors a registered (or removed) key to every cluster's executor, which verifies approvers'
   * signatures against it before minting; answers one entry per executor (`error` when it failed, `attempts` when it was tried more than once). Absent: no executor.
   */
  mirrorKey?(change: ApproverKeyChange): Promise<ApproverKeyMirrorOutcome[]>;
  now?: () => number;
}

export type PasskeyService = ReturnType<typeof createPasskeyService>;

export const passkeyView = (record: PasskeyRecord): Passkey => ({ id: record.id, name: record.name, credential_id: record.credentialId, created_at: record.createdAt.toISOString(), last_used_at: record.lastUsedAt?.toISOString() ?? null });

export function createPasskeyService(deps: PasskeyServiceDeps) {
  const now = deps.now ?? Date.now;

  function relyingParty(): { id: string; origin: string } {
    const base = deps.publicUrl();
    if (!base) throw new PasskeyError(409, 'PUBLIC_URL_UNKNOWN', 'The Command Center\'s public address is not known yet, so passkeys cannot be bound to it: an admin sets it in Settings → Public address (or PUBLIC_URL).');
    const url = new URL(base);
    return { id: url.hostname, origin: url.origin };
  }

  const mac = (text: string) => createHmac('sha256', `skyflo:passkey-registration:${deps.secret}`).update(text).digest('base64url');
  const registrationToken = (userId: string, challenge: string, expires: number) => {
    const body = Buffer.from(JSON.stringify({ u: userId, c: challenge, e: expires })).toString('base64url');
    return `${body}.${mac(body)}`;
  };
  function openRegistrationToken(token: string, userId: string): string {
    const [body, tag] = token.split('.');
    const expected = body ? mac(body) : '';
    if (!body || !tag || tag.length !== expected.length || !timingSafeEqual(Buffer.from(tag), Buffer.from(expected))) throw new PasskeyError(400, 'REGISTRATION_INVALID', 'registration_token is not one this engine gave; ask for new registration options.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { u: string; c: string; e: number };
    if (claims.u !== userId) throw new PasskeyError(400, 'REGISTRATION_INVALID', 'registration_token was given to another user.');
    if (claims.e < now()) throw new PasskeyError(400, 'REGISTRATION_INVALID', 'The registration took too long; start it again.');
    return claims.c;
  }

  /** A new key for an approver or admin is a new way to approve: only right after the person proved who they are. */
  function assertFreshSignIn(user: AuthenticatedUser, apiToken: boolean): void {
    if (apiToken) throw new PasskeyError(403, 'TOKEN_NOT_ALLOWED', 'Passkeys are registered in the Command Center (Settings → Profile), not with an API token.');
    if (user.authTime === undefined || now() / 1000 - user.authTime > FRESH_SIGN_IN_SECONDS) {
      throw new PasskeyError(403, 'FRESH_SIGN_IN_REQUIRED', `Registering a passkey needs a fresh sign-in (within the last ${FRESH_SIGN_IN_SECONDS / 60} minutes): sign out, sign in again, and register it right away.`);
    }
  }

  /** The executors' copies follow the engine's registry; each mirroring and its outcome per executor is audited. */
  async function mirrorToExecutors(actorId: string, passkeyId: string, change: Parameters<NonNullable<PasskeyServiceDeps['mirrorKey']>>[0], ip?: string): Promise<void> {
    if (!deps.mirrorKey) return;
    const results = await deps.mirrorKey(change);
    if (!results.length) return;
    const credentialId = change.action === 'register' ? change.key.credentialId : change.credentialId;
    await deps.audit.record({ actorId, action: change.action === 'register' ? 'passkey.mirrored_to_executors' : 'passkey.removed_from_executors', subjectType: 'passkey', subjectId: passkeyId, details: { credential_id: credentialId, executors: results }, ...(ip ? { ip } : {}) });
  }

  return {
    relyingParty,

    async list(user: AuthenticatedUser): Promise<Passkey[]> {
      return (await deps.passkeys.listForUser(user.id)).map(passkeyView);
    },

    async registrationOptions(user: AuthenticatedUser, apiToken: boolean): Promise<PasskeyRegistrationOptions> {
      assertFreshSignIn(user, apiToken);
      const rp = relyingParty();
      const existing = await deps.passkeys.listForUser(user.id);
      const options = await (await webauthnLibrary()).generateRegistrationOptions({
        rpName: 'Skyflo',
        rpID: rp.id,
        userName: user.email,
        // the user handle every assertion carries: the Skyflo user id
        userID: new TextEncoder().encode(user.id),
        attestationType: 'none',
        excludeCredentials: existing.map((key) => ({ id: key.credentialId, transports: key.transports as AuthenticatorTransportFuture[] })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        timeout: REGISTRATION_TTL_MS,
      });
      return { options: options as unknown as PasskeyRegistrationOptions['options'], registration_token: registrationToken(user.id, options.challenge, now() + REGISTRATION_TTL_MS) };
    },

    async register(user: AuthenticatedUser, apiToken: boolean, input: RegisterPasskeyRequest, ip?: string): Promise<Passkey> {
      assertFreshSignIn(user, apiToken);
      const challenge = openRegistrationToken(input.registration_token, user.id);
      const rp = relyingParty();
      let verified: VerifiedRegistrationResponse;
      try {
        verified = await (await webauthnLibrary()).verifyRegistrationResponse({ response: input.response as RegistrationResponseJSON, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: true });
      } catch (error) {
        throw new PasskeyError(400, 'REGISTRATION_INVALID', `The passkey could not be registered: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!verified.verified || !verified.registrationInfo) throw new PasskeyError(400, 'REGISTRATION_INVALID', 'The passkey could not be verified; try again.');
      const { credential } = verified.registrationInfo;
      if (await deps.passkeys.findByCredentialId(credential.id)) throw new PasskeyError(409, 'REGISTRATION_INVALID', 'This passkey is already registered.');
      // The key and its audit record commit together.
      const record = await deps.atomically(async (stores) => {
        const inserted = await stores.passkeys.insert({ userId: user.id, name: input.name, credentialId: credential.id, publicKey: Buffer.from(credential.publicKey).toString('base64url'), counter: credential.counter, transports: credential.transports ?? input.response.response.transports ?? [] });
        await stores.audit.record({ actorId: user.id, action: 'passkey.registered', subjectType: 'passkey', subjectId: inserted.id, details: { name: input.name, credential_id: credential.id, public_key: inserted.publicKey, rp_id: rp.id, role: user.role }, ...(ip ? { ip } : {}) });
        return inserted;
      });
      await deps.announce({ userId: user.id, email: user.email, name: input.name });
      await mirrorToExecutors(user.id, record.id, { action: 'register', key: { credentialId: record.credentialId, userId: user.id, email: user.email, publicKey: record.publicKey, counter: record.counter, kind: 'passkey', rpId: rp.id, origin: rp.origin } }, ip);
      return passkeyView(record);
    },

    async remove(user: AuthenticatedUser, passkeyId: string, ip?: string): Promise<void> {
      const removed = await deps.atomically(async (stores) => {
        const removed = await stores.passkeys.remove({ id: passkeyId, userId: user.id });
        if (!removed) throw new PasskeyError(404, 'PASSKEY_NOT_FOUND', `No passkey ${passkeyId} of yours.`);
        await stores.audit.record({ actorId: user.id, action: 'passkey.removed', subjectType: 'passkey', subjectId: removed.id, details: { name: removed.name, credential_id: removed.credentialId }, ...(ip ? { ip } : {}) });
        return removed;
      });
      await mirrorToExecutors(user.id, removed.id, { action: 'remove', credentialId: removed.credentialId }, ip);
    },

    /** The options an approver's browser signs for `record`: the challenge is the call's facts with a fresh expiry. */
    async approvalOptions(user: AuthenticatedUser, record: ApprovalRecord): Promise<ApprovalPasskeyOptions> {
      const rp = relyingParty();
      const keys = await deps.passkeys.listForUser(user.id);
      if (keys.length === 0) throw new PasskeyError(409, 'NO_PASSKEY', 'You have no passkey registered: add one in Settings → Profile → Passkeys, then approve.');
      const expiresAt = new Date(now() + APPROVAL_ASSERTION_TTL_MS).toISOString();
      const options = await (await webauthnLibrary()).generateAuthenticationOptions({
        rpID: rp.id,
        challenge: approvalChallengeBytes(approvalChallengeFacts(record, expiresAt)),
        allowCredentials: keys.map((key) => ({ id: key.credentialId, transports: key.transports as AuthenticatorTransportFuture[] })),
        userVerification: 'required',
        timeout: APPROVAL_ASSERTION_TTL_MS,
      });
      return { options: options as unknown as ApprovalPasskeyOptions['options'], expires_at: expiresAt };
    },

    /**
     * Verifies an approval's assertion: signed by a passkey of `user`, over this call's facts with the expiry given,
     * not expired, user verified, and its counter moved forward (a replayed assertion is refused). Throws PasskeyError.
     */
    async verifyApproval(user: AuthenticatedUser, record: ApprovalRecord, webauthn: { expires_at: string; assertion: WebauthnAssertion }): Promise<StoredAssertion> {
      const expires = Date.parse(webauthn.expires_at);
      if (!Number.isFinite(expires) || new Date(expires).toISOString() !== webauthn.expires_at) throw new PasskeyError(400, 'PASSKEY_INVALID', 'webauthn.expires_at must be the expires_at the passkey options gave.');
      if (expires < now()) throw new PasskeyError(403, 'PASSKEY_EXPIRED', 'The passkey approval expired before it was sent; approve again.');
      // an expiry further out than the engine ever gives was not given by it
      if (expires > now() + APPROVAL_ASSERTION_TTL_MS + 60_000) throw new PasskeyError(403, 'PASSKEY_INVALID', 'webauthn.expires_at is later than the engine ever allows; ask for passkey options again.');
      const rp = relyingParty();
      const key = await deps.passkeys.findByCredentialId(webauthn.assertion.id);
      if (!key || key.userId !== user.id) throw new PasskeyError(403, 'PASSKEY_INVALID', 'The assertion was not made with a passkey registered to you.');
      const facts = approvalChallengeFacts(record, webauthn.expires_at);
      const challenge = approvalChallenge(facts);
      let result: VerifiedAuthenticationResponse;
      try {
        result = await (await webauthnLibrary()).verifyAuthenticationResponse({
          response: webauthn.assertion as AuthenticationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.id,
          credential: { id: key.credentialId, publicKey: Uint8Array.from(Buffer.from(key.publicKey, 'base64url')), counter: key.counter, transports: key.transports as AuthenticatorTransportFuture[] },
          requireUserVerification: true,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (/counter/i.test(message)) throw new PasskeyError(403, 'PASSKEY_REPLAYED', 'The passkey\'s signature counter did not move forward: a replayed (or cloned) assertion is refused.');
        throw new PasskeyError(403, 'PASSKEY_INVALID', `The passkey assertion does not approve this call (${message}): it must be signed over this call's facts — reload and approve again.`);
      }
      if (!result.verified) throw new PasskeyError(403, 'PASSKEY_INVALID', 'The passkey assertion could not be verified.');
      const userHandle = webauthn.assertion.response.userHandle;
      if (userHandle && Buffer.from(userHandle, 'base64url').toString('utf8') !== user.id) throw new PasskeyError(403, 'PASSKEY_INVALID', 'The assertion names another user.');
      const advanced = await deps.passkeys.advanceCounter({ id: key.id, expected: key.counter, next: result.authenticationInfo.newCounter, at: new Date(now()) });
      if (!advanced) throw new PasskeyError(403, 'PASSKEY_REPLAYED', 'The passkey\'s signature counter did not move forward: a replayed (or cloned) assertion is refused.');
      return {
        credential_id: key.credentialId,
        passkey_id: key.id,
        user_handle: userHandle ?? null,
        authenticator_data: webauthn.assertion.response.authenticatorData,
        client_data_json: webauthn.assertion.response.clientDataJSON,
        signature: webauthn.assertion.response.signature,
        signed_facts: facts,
        challenge,
        rp_id: rp.id,
        origin: rp.origin,
        counter: result.authenticationInfo.newCounter,
        user_verified: result.authenticationInfo.userVerified,
      };
    },
  };
}
