/**
 * Device keys (issue 35 item 4), the whole engine (APPROVAL_POLICY=approver, PGlite, llm-sim) with a software passkey
 * (support/software-authenticator.ts) and an Ed25519 key made as `skyflo chat` makes it:
 * - a posted key is pending and approves nothing; confirming it needs the owner's passkey over the key's fingerprint
 *   (never an API token); the confirmation is audited with the activation and announced to the other admins;
 * - the key's signature of a call's facts approves that call (stored with the decision and its audit record);
 * - a chat-scope token without a signature, a signature made for another call (different diff_hash), and a removed
 *   key are refused, and the call keeps waiting.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { approvalChallengeFacts, approvalChallengeInput, deviceKeyChallengeInput } from '@skyflo/protocol';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { approveBody, recordProdCall, type ProdCall } from '../support/passkey-calls.ts';
import { createSoftwareAuthenticator, type SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { openNotificationStream, startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const ORIGIN = 'http://localhost:5173';
let sim: LlmSim;
let team: TeamEngine;
let admin: string;
let ann: string;
let authenticator: SoftwareAuthenticator;
let deviceKeyId: string;
const device = generateKeyPairSync('ed25519');
const hex = (digit: string) => digit.repeat(64);



/** What `skyflo chat` sends: the Ed25519 signature of sha256(the call's facts with an expiry it chose). */
function deviceSignature(call: ProdCall, keyId: string, privateKey: KeyObject = device.privateKey) {
  const expiresAt = new Date(Date.now() + 60_000).toISOString();
  const facts = approvalChallengeFacts({ callId: call.callId, conversationId: call.conversationId, tool: 'k8s_delete', argsHash: call.argsHash, diffHash: call.diffHash, cluster: { name: 'prod', server: 'https://prod.example.test' } }, expiresAt);
  const digest = createHash('sha256').update(approvalChallengeInput(facts)).digest();
  return { key_id: keyId, expires_at: expiresAt, signature: sign(null, digest, privateKey).toString('base64url') };
}

const statusOf = async (call: ProdCall) => (await team.engine.engine.storage.approvals.get(call.conversationId, call.callId))?.status;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [{ match: { always: true }, reply: 'Done.' }] });
  team = await startTeamEngine(sim, { APPROVAL_POLICY: 'approver', PUBLIC_URL: ORIGIN });
  admin = await team.engine.signUp('admin@example.com');
  await team.member(admin, 'mia@example.com', 'member');
  ann = await team.member(admin, 'ann@example.com', 'approver');
  authenticator = createSoftwareAuthenticator();
  const options = await team.call(ann, 'POST', '/auth/passkeys/registration-options');
  expect(options.statusCode, options.body).toBe(200);
  const { options: creation, registration_token } = options.json();
  const registered = await team.call(ann, 'POST', '/auth/passkeys', { name: 'Ann laptop', registration_token, response: authenticator.register(creation, ORIGIN) });
  expect(registered.statusCode, registered.body).toBe(201);
}, 120_000);

afterAll(async () => {
  await team?.close();
  await sim?.close();
});

describe('registering a device key', () => {
  it('is pending until its owner confirms it with a passkey over its fingerprint; audited and announced', async () => {
    const publicKey = device.publicKey.export({ format: 'der', type: 'spki' });
    const posted = await team.call(ann, 'POST', '/auth/device-keys', { name: 'ann terminal', public_key: publicKey.toString('base64url') });
    expect(posted.statusCode, posted.body).toBe(201);
    const key = posted.json();
    deviceKeyId = key.id;
    expect(key).toMatchObject({ status: 'pending', fingerprint: createHash('sha256').update(publicKey).digest('base64url'), confirm_url: `${ORIGIN}/settings?device_key=${key.id}` });
    // not an Ed25519 key: refused
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64url');
    expect((await team.call(ann, 'POST', '/auth/device-keys', { name: 'ec', public_key: ec })).json().code).toBe('DEVICE_KEY_INVALID');

    // a pending key approves nothing
    const early = await recordProdCall(team, 'early');
    const pending = await team.call(ann, 'POST', `/agent/approvals/${early.callId}`, approveBody(early, { device_signature: deviceSignature(early, key.id) }));
    expect(pending.statusCode).toBe(403);
    expect(pending.json()).toMatchObject({ code: 'DEVICE_KEY_UNCONFIRMED', detail: expect.stringContaining(key.confirm_url) });
    expect(await statusOf(early)).toBe('awaiting');

    // an API token cannot confirm it
    const token = (await team.call(ann, 'POST', '/auth/tokens', { name: 'ann cli', scopes: ['chat'] })).json().token as string;
    expect((await team.call(token, 'POST', `/auth/device-keys/${key.id}/confirm-options`)).statusCode).toBe(403);

    const adminStream = await openNotificationStream(team.baseUrl, admin);
    const options = await team.call(ann, 'POST', `/auth/device-keys/${key.id}/confirm-options`);
    expect(options.statusCode, options.body).toBe(200);
    const { options: requestOptions } = options.json();
    // the challenge is derived from the key, as documented
    const annId = (await team.engine.engine.storage.users.findByEmail('ann@example.com'))!.id;
    expect(requestOptions.challenge).toBe(createHash('sha256').update(deviceKeyChallengeInput({ id: key.id, fingerprint: key.fingerprint, userId: annId })).digest('base64url'));
    const confirmed = await team.call(ann, 'POST', `/auth/device-keys/${key.id}/confirm`, { assertion: authenticator.assert(requestOptions, ORIGIN) });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({ status: 'active', confirmed_at: expect.any(String) });
    expect((await team.call(ann, 'GET', `/auth/device-keys/${key.id}`)).json().status).toBe('active');
    const audit = (await team.lite.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_events WHERE action = 'device_key.registered'")).rows;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ name: 'ann terminal', fingerprint: key.fingerprint, public_key: publicKey.toString('base64url'), confirmed_with: { credential_id: authenticator.credentialId } });
    await vi.waitFor(() => expect(adminStream.notifications()).toEqual([expect.objectContaining({ kind: 'passkey.registered', summary: expect.stringContaining('ann@example.com confirmed a new device key "ann terminal"') })]));
    adminStream.close();
  });
});

describe('approving a passkey-required call from the terminal', () => {
  it('a chat-scope token without a device signature is refused; a signature made for another call is refused', async () => {
    const call = await recordProdCall(team, 'token');
    const token = (await team.call(ann, 'POST', '/auth/tokens', { name: 'ann chat', scopes: ['chat'] })).json().token as string;
    const bare = await team.call(token, 'POST', `/agent/approvals/${call.callId}`, approveBody(call));
    expect(bare.statusCode).toBe(403);
    expect(bare.json().code).toBe('PASSKEY_REQUIRED');
    const plain = await team.call(ann, 'POST', `/agent/approvals/${call.callId}`, approveBody(call));
    expect(plain.json().code).toBe('PASSKEY_REQUIRED');

    const other = await recordProdCall(team, 'other', { diffHash: hex('e') });
    const misused = await team.call(ann, 'POST', `/agent/approvals/${other.callId}`, approveBody(other, { device_signature: deviceSignature(call, deviceKeyId) }));
    expect(misused.statusCode).toBe(403);
    expect(misused.json()).toMatchObject({ code: 'DEVICE_SIGNATURE_INVALID', detail: expect.stringMatching(/does not approve this call/) });
    // another key's signature under this key's id
    const forged = await team.call(ann, 'POST', `/agent/approvals/${call.callId}`, approveBody(call, { device_signature: deviceSignature(call, deviceKeyId, generateKeyPairSync('ed25519').privateKey) }));
    expect(forged.json().code).toBe('DEVICE_SIGNATURE_INVALID');
    expect(await statusOf(call)).toBe('awaiting');
    expect(await statusOf(other)).toBe('awaiting');
  });

  it("the device key's signature of the call approves it; stored with the decision and in its audit record", async () => {
    const call = await recordProdCall(team, 'signed');
    const signature = deviceSignature(call, deviceKeyId);
    const approved = await team.call(ann, 'POST', `/agent/approvals/${call.callId}`, approveBody(call, { device_signature: signature }));
    expect(approved.statusCode, approved.body).toBe(200);
    const row = await team.engine.engine.storage.approvals.get(call.conversationId, call.callId);
    expect(row?.status).not.toBe('awaiting');
    const stored = { kind: 'device_key', device_key_id: deviceKeyId, signature: signature.signature, signed_facts: { callId: call.callId, argsHash: call.argsHash, diffHash: call.diffHash, cluster: 'prod', expiresAt: signature.expires_at, conversationId: call.conversationId } };
    expect(row?.passkeyAssertion).toMatchObject(stored);
    const audit = (await team.lite.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_events WHERE action = 'approval.approved' AND subject_id = $1", [call.callId])).rows;
    expect(audit[0]!.details['passkey_assertion']).toMatchObject(stored);
  });

  it('a removed key approves nothing (audited removal)', async () => {
    const removed = await team.call(ann, 'DELETE', `/auth/device-keys/${deviceKeyId}`);
    expect(removed.statusCode).toBe(204);
    expect((await team.lite.query("SELECT 1 FROM audit_events WHERE action = 'device_key.removed'")).rows).toHaveLength(1);
    const call = await recordProdCall(team, 'after_removal');
    const refused = await team.call(ann, 'POST', `/agent/approvals/${call.callId}`, approveBody(call, { device_signature: deviceSignature(call, deviceKeyId) }));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('DEVICE_KEY_NOT_FOUND');
    expect(await statusOf(call)).toBe('awaiting');
  });
});
