import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalChallengeFacts, approvalChallengeInput, type ApprovedAccess, type ApproverProof, type SkyfloApprovalDocument } from '@skyflo/protocol';
import { signApproval, type RunningExecutor } from '../../src/executor/index.ts';
import { installNamespace, spec, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';
import { createSoftwarePasskey, type SoftwarePasskey } from './software-passkey.ts';

/*
 * Issue 35 item 5, checked where the write happens: an executor told to require the approver's passkey signature on
 * destructive approvals mints a credential only for an approval carrying a valid WebAuthn assertion, by the decider's
 * registered key, over the facts of that very call. An approval the engine signed without one (a row written straight
 * into the database, or a compromised engine) mints nothing, nor does an assertion made for another call, by an
 * unregistered key, or replayed.
 */

const rp = { rpId: 'skyflo.example.com', origin: 'https://skyflo.example.com' };
const approver = { id: 'user-bob', email: 'bob@example.com' };
const deleteApi: ApprovedAccess[] = [{ apiGroup: 'apps', resource: 'deployments', namespace: 'staging', name: 'api', verbs: ['delete'] }];

let h: ExecutorHarness;
let executor: RunningExecutor;
let passkey: SoftwarePasskey;

beforeAll(async () => {
  h = await startExecutorHarness();
  executor = await h.startExecutor({ approverSignature: { require: 'destructive', ...rp } });
  passkey = createSoftwarePasskey();
});

afterAll(async () => {
  await h?.close();
});

/** What the browser signs: base64url(sha256(canonical facts)), computed here from the call as the engine does. */
function challengeFor(document: Pick<SkyfloApprovalDocument, 'spec'>, challengeExpiresAt: string): string {
  return createHash('sha256').update(approvalChallengeInput(approvalChallengeFacts(document.spec, challengeExpiresAt))).digest('base64url');
}

/** The engine's side: an approval of `access`, signed with the engine's key, with the approver's proof when given. */
async function approval(name: string, access: ApprovedAccess[], options: { diffHash?: string; callId?: string; proof?: ApproverProof } = {}): Promise<SkyfloApprovalDocument> {
  const documentSpec = spec(access, { callId: options.callId ?? `call-${name}`, diffHash: options.diffHash ?? 'd'.repeat(64) });
  const status = {
    decision: 'approved' as const,
    decidedBy: approver,
    decidedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ...(options.proof ? { approverProof: options.proof } : {}),
  };
  return { name, spec: documentSpec, status: { ...status, signature: await signApproval(h.enginePrivateKeyPem, name, documentSpec, status) } };
}

/** The approver touching the passkey for the call `callId` with `diffHash`. */
function proofFor(key: SoftwarePasskey, facts: { callId: string; diffHash?: string }): ApproverProof {
  const challengeExpiresAt = new Date(Date.now() + 5 * 60_000).toISOString();
  const challenge = challengeFor({ spec: spec(deleteApi, { callId: facts.callId, diffHash: facts.diffHash ?? 'd'.repeat(64) }) }, challengeExpiresAt);
  return { challengeExpiresAt, assertion: key.assert(challenge, { ...rp, userId: approver.id }) };
}

const accountExists = async (name: string) =>
  (await h.kubectl(['get', 'serviceaccounts', '-n', installNamespace, '-o', 'jsonpath={.items[*].metadata.name}'])).split(/\s+/).includes(`skyflo-approval-${name}`);

async function mirrorAndMint(document: SkyfloApprovalDocument) {
  expect(await h.api(executor, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
  return h.api(executor, 'POST', `/v1/approvals/${document.name}/credential`);
}

describe('the approver\'s passkey signature, checked by the executor', () => {
  it('registers the approver\'s key as an immutable SkyfloApproverKey', async () => {
    const registered = await h.api(executor, 'POST', '/v1/approver-keys', { credentialId: passkey.credentialId, userId: approver.id, email: approver.email, publicKey: passkey.publicKey, counter: 0 });
    expect(registered).toMatchObject({ status: 201, body: { created: true } });
    const keys = JSON.parse(await h.kubectl(['get', 'skyfloapproverkeys', '-n', installNamespace, '-o', 'json']));
    expect(keys.items.map((item: { spec: { credentialId: string; userId: string } }) => [item.spec.credentialId, item.spec.userId])).toEqual([[passkey.credentialId, approver.id]]);
    // what the executor holds, listed for the engine to reconcile with its registry (the engine's bearer only)
    expect(await h.api(executor, 'GET', '/v1/approver-keys')).toEqual({ status: 200, body: { keys: [{ credentialId: passkey.credentialId, userId: approver.id, email: approver.email, publicKey: passkey.publicKey, counter: 0 }] } });
    expect((await h.api(executor, 'GET', '/v1/approver-keys', undefined, 'not-the-engine-token')).status).toBe(401);
    // The same credential id with another public key (an engine slipping in its own key under a known id) is refused.
    const other = createSoftwarePasskey();
    const swapped = await h.api(executor, 'POST', '/v1/approver-keys', { credentialId: passkey.credentialId, userId: approver.id, publicKey: other.publicKey });
    expect(swapped).toMatchObject({ status: 409, body: { code: 'IMMUTABLE' } });
  });

  it('mints for a delete approved with a valid assertion from the registered key, and records its counter', async () => {
    const document = await approval('del-signed', deleteApi, { proof: proofFor(passkey, { callId: 'call-del-signed' }) });
    const minted = await mirrorAndMint(document);
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    expect(minted.body.username).toBe(`system:serviceaccount:${installNamespace}:skyflo-approval-del-signed`);
    expect(await accountExists('del-signed')).toBe(true);
    // The proof is kept on the cluster's object, for a reviewer.
    const stored = JSON.parse(await h.kubectl(['get', 'skyfloapproval', 'del-signed', '-n', installNamespace, '-o', 'json']));
    expect(stored.status.approverProof.assertion.credentialId).toBe(passkey.credentialId);
    const key = JSON.parse(await h.kubectl(['get', 'skyfloapproverkeys', '-n', installNamespace, '-o', 'json'])).items[0];
    expect(key.status).toEqual({ counter: passkey.counter, lastApproval: 'del-signed' });
  });

  it('refuses the same approval engine-signed without an assertion (a row inserted by hand): nothing minted', async () => {
    const document = await approval('del-by-hand', deleteApi);
    const refused = await mirrorAndMint(document);
    expect(refused).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(refused.body.message).toContain('carries no approver passkey signature');
    expect(await accountExists('del-by-hand')).toBe(false);
  });

  it('refuses an assertion made for another call (another diff_hash, another call id)', async () => {
    const forOtherDiff = proofFor(passkey, { callId: 'call-del-diff', diffHash: 'e'.repeat(64) });
    const otherDiff = await mirrorAndMint(await approval('del-diff', deleteApi, { diffHash: 'f'.repeat(64), proof: forOtherDiff }));
    expect(otherDiff).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(otherDiff.body.message).toContain('does not sign this approval\'s facts');
    const forOtherCall = proofFor(passkey, { callId: 'call-something-else' });
    const otherCall = await mirrorAndMint(await approval('del-other-call', deleteApi, { proof: forOtherCall }));
    expect(otherCall).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(await accountExists('del-diff')).toBe(false);
    expect(await accountExists('del-other-call')).toBe(false);
  });

  it('refuses an assertion by an unregistered key, and one by a key of another user', async () => {
    const stranger = createSoftwarePasskey();
    const unregistered = await mirrorAndMint(await approval('del-stranger', deleteApi, { proof: proofFor(stranger, { callId: 'call-del-stranger' }) }));
    expect(unregistered).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(unregistered.body.message).toContain('not registered with this executor');

    expect(await h.api(executor, 'POST', '/v1/approver-keys', { credentialId: stranger.credentialId, userId: 'user-eve', publicKey: stranger.publicKey })).toMatchObject({ status: 201 });
    const otherUser = await mirrorAndMint(await approval('del-eve-key', deleteApi, { proof: proofFor(stranger, { callId: 'call-del-eve-key' }) }));
    expect(otherUser).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(otherUser.body.message).toContain('another user than its approver');
    expect(await accountExists('del-stranger')).toBe(false);
    expect(await accountExists('del-eve-key')).toBe(false);
  });

  it('refuses a replayed assertion (its counter did not move), and a removed key', async () => {
    const proof = proofFor(passkey, { callId: 'call-del-replay' });
    expect((await mirrorAndMint(await approval('del-replay-1', deleteApi, { callId: 'call-del-replay', proof }))).status).toBe(200);
    const replayed = await mirrorAndMint(await approval('del-replay-2', deleteApi, { callId: 'call-del-replay', proof }));
    expect(replayed).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(replayed.body.message).toContain('replayed');
    expect(await accountExists('del-replay-2')).toBe(false);

    expect((await h.api(executor, 'DELETE', `/v1/approver-keys/${passkey.credentialId}`)).status).toBe(204);
    expect((await h.api(executor, 'GET', '/v1/approver-keys')).body.keys.map((key: { credentialId: string }) => key.credentialId)).not.toContain(passkey.credentialId);
    const afterRemoval = await mirrorAndMint(await approval('del-removed', deleteApi, { proof: proofFor(passkey, { callId: 'call-del-removed' }) }));
    expect(afterRemoval).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(afterRemoval.body.message).toContain('not registered');
  });

  it('with `destructive`, a scale in one namespace needs no passkey; a change in two namespaces does', async () => {
    const scale: ApprovedAccess[] = [{ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'staging', name: 'web', verbs: ['patch'] }];
    expect((await mirrorAndMint(await approval('scale-plain', scale))).status).toBe(200);
    const twoNamespaces: ApprovedAccess[] = [...scale, { ...scale[0]!, namespace: 'prod' }];
    expect(await mirrorAndMint(await approval('scale-two-ns', twoNamespaces))).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
  });
});
