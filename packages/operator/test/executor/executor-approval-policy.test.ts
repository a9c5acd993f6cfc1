import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalChallengeFacts, approvalChallengeInput, type ApproverProof, type SkyfloApprovalDocument } from '@skyflo/protocol';
import { approvalObjectName } from '@skyflo/protocol/approval-hashes';
import { signApproval, type RunningExecutor } from '../../src/executor/index.ts';
import { installNamespace, scaleWeb, spec, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';
import { createSoftwarePasskey } from './software-passkey.ts';
import { deviceKey, deviceProof as proofOver, type DeviceKey } from './device-key-proof.ts';

/*
 * Issue 35 item 5, the policy travels with the approval: an executor left at its default
 * (SKYFLO_EXECUTOR_REQUIRE_APPROVER_SIGNATURE=none, no WebAuthn settings of its own) still refuses to mint for an
 * approval the engine marked "the passkey policy asked for the approver's passkey" unless it carries a valid proof by
 * a registered key of the decider — a passkey assertion, or a terminal device key's Ed25519 signature (skyflo chat)
 * over the same facts. The setting can only add checks: `all` requires a proof on an unmarked approval too.
 */

const approver = { id: 'user-bob', email: 'bob@example.com' };
/** Each case approves the scale of staging/web as its own call (`call-<label>`), named as the engine names it. */
const nameFor = (label: string) => approvalObjectName('conv-1', `call-${label}`);
const rp = { rpId: 'skyflo.example.com', origin: 'https://skyflo.example.com' };

let h: ExecutorHarness;
let executor: RunningExecutor;

const bobDevice = deviceKey();
const eveDevice = deviceKey();

/** What the CLI signs for the scale of `call.callId` with that diff. */
const deviceProof = (key: DeviceKey, call: { callId: string; diffHash: string }): ApproverProof => proofOver(key, { ...spec(scaleWeb(call.callId)), diffHash: call.diffHash });

/** The engine's side: an approval signed with the engine's key, marked required when the policy asked for a passkey. */
async function approval(label: string, options: { required?: boolean; diffHash?: string; proof?: ApproverProof } = {}): Promise<SkyfloApprovalDocument> {
  const documentSpec = spec(scaleWeb(`call-${label}`), { diffHash: options.diffHash ?? 'd'.repeat(64) });
  const name = nameFor(label);
  const status = {
    decision: 'approved' as const,
    decidedBy: approver,
    decidedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    ...(options.proof ? { approverProof: options.proof } : {}),
    ...(options.required ? { approverSignatureRequired: true } : {}),
  };
  return { name, spec: documentSpec, status: { ...status, signature: await signApproval(h.enginePrivateKeyPem, name, documentSpec, status) } };
}

const accountExists = async (name: string) =>
  (await h.kubectl(['get', 'serviceaccounts', '-n', installNamespace, '-o', 'jsonpath={.items[*].metadata.name}'])).split(/\s+/).includes(`skyflo-approval-${name}`);

async function mirrorAndMint(target: RunningExecutor, document: SkyfloApprovalDocument) {
  expect(await h.api(target, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
  return h.mint(target, document, scaleWeb(document.spec.callId).args);
}

beforeAll(async () => {
  h = await startExecutorHarness();
  // the default: no approver-signature setting, no WebAuthn relying party configured
  executor = await h.startExecutor();
  for (const [key, user] of [[bobDevice, approver.id], [eveDevice, 'user-eve']] as const) {
    expect(await h.api(executor, 'POST', '/v1/approver-keys', { credentialId: key.id, userId: user, publicKey: key.publicKey, kind: 'device_key' })).toMatchObject({ status: 201 });
  }
});

afterAll(async () => {
  await h?.close();
});

describe('an approval whose passkey policy asked for the approver\'s signature, on an executor left at `none`', () => {
  it('mints nothing without an approver signature', async () => {
    const refused = await mirrorAndMint(executor, await approval('policy-no-proof', { required: true }));
    expect(refused).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(refused.body.message).toContain('the engine\'s passkey policy asked for the approver\'s passkey on this call');
    expect(await accountExists(nameFor('policy-no-proof'))).toBe(false);
    // the same call unmarked is today's behaviour at `none`: the engine's word is enough
    expect((await mirrorAndMint(executor, await approval('policy-unmarked'))).status).toBe(200);
  });

  it('mints for a terminal approval signed by the decider\'s device key over this call\'s facts', async () => {
    const minted = await mirrorAndMint(executor, await approval('policy-device', { required: true, proof: deviceProof(bobDevice, { callId: 'call-policy-device', diffHash: 'd'.repeat(64) }) }));
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    expect(minted.body.username).toBe(`system:serviceaccount:${installNamespace}:skyflo-approval-${nameFor('policy-device')}`);
    expect(await accountExists(nameFor('policy-device'))).toBe(true);
    const keys = JSON.parse(await h.kubectl(['get', 'skyfloapproverkeys', '-n', installNamespace, '-o', 'json']));
    expect(keys.items.map((item: { spec: { credentialId: string; kind?: string } }) => [item.spec.credentialId, item.spec.kind]).sort()).toEqual([[bobDevice.id, 'device_key'], [eveDevice.id, 'device_key']].sort());
  });

  it('mints nothing for a signature by another user\'s key, nor one over another call\'s facts (another diff_hash)', async () => {
    const eves = await mirrorAndMint(executor, await approval('policy-eve', { required: true, proof: deviceProof(eveDevice, { callId: 'call-policy-eve', diffHash: 'd'.repeat(64) }) }));
    expect(eves).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(eves.body.message).toContain('another user than its approver');
    const otherDiff = await mirrorAndMint(executor, await approval('policy-diff', { required: true, diffHash: 'f'.repeat(64), proof: deviceProof(bobDevice, { callId: 'call-policy-diff', diffHash: 'e'.repeat(64) }) }));
    expect(otherDiff).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(otherDiff.body.message).toContain('does not sign this approval\'s facts');
    expect(await accountExists(nameFor('policy-eve'))).toBe(false);
    expect(await accountExists(nameFor('policy-diff'))).toBe(false);
  });

  it('checks a passkey assertion against the relying party the key was registered for', async () => {
    const passkey = createSoftwarePasskey();
    expect(await h.api(executor, 'POST', '/v1/approver-keys', { credentialId: passkey.credentialId, userId: approver.id, publicKey: passkey.publicKey, kind: 'passkey', ...rp })).toMatchObject({ status: 201 });
    const assert = (callId: string, origin: string) => {
      const challengeExpiresAt = new Date(Date.now() + 5 * 60_000).toISOString();
      const challenge = createHash('sha256').update(approvalChallengeInput(approvalChallengeFacts(spec(scaleWeb(callId), { diffHash: 'd'.repeat(64) }), challengeExpiresAt))).digest('base64url');
      return { challengeExpiresAt, assertion: passkey.assert(challenge, { rpId: rp.rpId, origin, userId: approver.id }) };
    };
    expect((await mirrorAndMint(executor, await approval('policy-passkey', { required: true, proof: assert('call-policy-passkey', rp.origin) }))).status).toBe(200);
    // an assertion a look-alike site obtained (another origin) is not one for the Command Center
    const phished = await mirrorAndMint(executor, await approval('policy-phished', { required: true, proof: assert('call-policy-phished', 'https://skyflo.example.com.evil.test') }));
    expect(phished).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    // a device key's signature presented as a passkey's (or the reverse) is not accepted for the other kind
    const mislabelled = deviceProof({ ...bobDevice, id: passkey.credentialId }, { callId: 'call-policy-mislabelled', diffHash: 'd'.repeat(64) });
    const asPasskey = await mirrorAndMint(executor, await approval('policy-mislabelled', { required: true, proof: mislabelled }));
    expect(asPasskey).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(asPasskey.body.message).toContain('registered as a passkey');
  });
});

describe('the executor\'s own setting only makes it stricter', () => {
  it('`all` requires a signature on an approval the engine did not mark', async () => {
    const strict = await h.startExecutor({ approverSignature: { require: 'all', ...rp } });
    const refused = await mirrorAndMint(strict, await approval('strict-unmarked'));
    expect(refused).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(refused.body.message).toContain('this executor requires the approver\'s passkey signature on every approval');
    expect(await accountExists(nameFor('strict-unmarked'))).toBe(false);
    expect((await mirrorAndMint(strict, await approval('strict-device', { proof: deviceProof(bobDevice, { callId: 'call-strict-device', diffHash: 'd'.repeat(64) }) }))).status).toBe(200);
  });
});
