import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalChallengeFacts, approvalChallengeInput, type ApproverProof, type SkyfloApprovalDocument } from '@skyflo/protocol';
import { approvalObjectName } from '@skyflo/protocol/approval-hashes';
import { signApproval, type RunningExecutor } from '../../src/executor/index.ts';
import { installNamespace, spec, startExecutorHarness, type ApprovedCall, type ExecutorHarness } from './executor-harness.ts';
import { createSoftwarePasskey, type SoftwarePasskey } from './software-passkey.ts';

/*
 * Issue 35 item 5, checked where the write happens: an executor told to require the approver's passkey signature on
 * destructive approvals mints a credential only for an approval carrying a valid WebAuthn assertion, by the decider's
 * registered key, over the facts of that very call. An approval the engine signed without one (a row written straight
 * into the database, or a compromised engine) mints nothing, nor does an assertion made for another call, by an
 * unregistered key, replayed, past its expiry on the executor's clock, or used a second time (issue 73). Whether an
 * approval is destructive is judged on what the executor computed the call writes.
 */

const rp = { rpId: 'skyflo.example.com', origin: 'https://skyflo.example.com' };
const approver = { id: 'user-bob', email: 'bob@example.com' };
/** The call approved in most cases: a delete of deployments/api in staging (destructive). */
const deleteApi = (callId: string): ApprovedCall => ({ tool: 'k8s_delete', args: { name: 'api', resource_type: 'deployment', namespace: 'staging' }, callId });

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

/** The engine's side: an approval of `call`, signed with the engine's key, with the approver's proof when given. */
async function approval(call: ApprovedCall, options: { diffHash?: string; proof?: ApproverProof } = {}): Promise<SkyfloApprovalDocument> {
  const documentSpec = spec(call, { diffHash: options.diffHash ?? 'd'.repeat(64) });
  const name = approvalObjectName(documentSpec.conversationId, documentSpec.callId);
  const status = {
    decision: 'approved' as const,
    decidedBy: approver,
    decidedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ...(options.proof ? { approverProof: options.proof } : {}),
  };
  return { name, spec: documentSpec, status: { ...status, signature: await signApproval(h.enginePrivateKeyPem, name, documentSpec, status) } };
}
const calls = new Map<string, ApprovedCall>();
const remember = (document: SkyfloApprovalDocument, call: ApprovedCall) => (calls.set(document.name, call), document);

/** The approver touching the passkey for `call` with `diffHash`. */
function proofFor(key: SoftwarePasskey, call: ApprovedCall, facts: { diffHash?: string } = {}): ApproverProof {
  const challengeExpiresAt = new Date(Date.now() + 5 * 60_000).toISOString();
  const challenge = challengeFor({ spec: spec(call, { diffHash: facts.diffHash ?? 'd'.repeat(64) }) }, challengeExpiresAt);
  return { challengeExpiresAt, assertion: key.assert(challenge, { ...rp, userId: approver.id }) };
}

const accountExists = async (name: string) =>
  (await h.kubectl(['get', 'serviceaccounts', '-n', installNamespace, '-o', 'jsonpath={.items[*].metadata.name}'])).split(/\s+/).includes(`skyflo-approval-${name}`);

async function mirrorAndMint(document: SkyfloApprovalDocument, to = executor) {
  expect(await h.api(to, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
  return h.mint(to, document, calls.get(document.name)!.args);
}

/** An approval of `call` with options, remembered so mirrorAndMint sends its arguments. */
const approved = async (call: ApprovedCall, options: Parameters<typeof approval>[1] = {}) => remember(await approval(call, options), call);

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
    const call = deleteApi('call-del-signed');
    const document = await approved(call, { proof: proofFor(passkey, call) });
    const minted = await mirrorAndMint(document);
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    expect(minted.body.username).toBe(`system:serviceaccount:${installNamespace}:skyflo-approval-${document.name}`);
    expect(await accountExists(document.name)).toBe(true);
    // The proof is kept on the cluster's object, for a reviewer.
    const stored = JSON.parse(await h.kubectl(['get', 'skyfloapproval', document.name, '-n', installNamespace, '-o', 'json']));
    expect(stored.status.approverProof.assertion.credentialId).toBe(passkey.credentialId);
    // the key's status: the counter, and (issue 73) the signature recorded as used until it expires
    const key = JSON.parse(await h.kubectl(['get', 'skyfloapproverkeys', '-n', installNamespace, '-o', 'json'])).items[0];
    expect(key.status).toMatchObject({ counter: passkey.counter, lastApproval: document.name, usedSignatures: [{ approval: document.name, expiresAt: document.status.approverProof!.challengeExpiresAt }] });
  });

  it('refuses the same approval engine-signed without an assertion (a row inserted by hand): nothing minted', async () => {
    const document = await approved(deleteApi('call-del-by-hand'));
    const refused = await mirrorAndMint(document);
    expect(refused).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(refused.body.message).toContain('carries no approver passkey signature');
    expect(await accountExists(document.name)).toBe(false);
  });

  it('refuses an assertion made for another call (another diff_hash, another call id)', async () => {
    const forOtherDiff = proofFor(passkey, deleteApi('call-del-diff'), { diffHash: 'e'.repeat(64) });
    const diffDocument = await approved(deleteApi('call-del-diff'), { diffHash: 'f'.repeat(64), proof: forOtherDiff });
    const otherDiff = await mirrorAndMint(diffDocument);
    expect(otherDiff).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(otherDiff.body.message).toContain('does not sign this approval\'s facts');
    const forOtherCall = proofFor(passkey, deleteApi('call-something-else'));
    const callDocument = await approved(deleteApi('call-del-other-call'), { proof: forOtherCall });
    const otherCall = await mirrorAndMint(callDocument);
    expect(otherCall).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    for (const name of [diffDocument.name, callDocument.name]) expect(await accountExists(name)).toBe(false);
  });

  it('refuses an assertion by an unregistered key, and one by a key of another user', async () => {
    const stranger = createSoftwarePasskey();
    const strangerDocument = await approved(deleteApi('call-del-stranger'), { proof: proofFor(stranger, deleteApi('call-del-stranger')) });
    const unregistered = await mirrorAndMint(strangerDocument);
    expect(unregistered).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(unregistered.body.message).toContain('not registered with this executor');

    expect(await h.api(executor, 'POST', '/v1/approver-keys', { credentialId: stranger.credentialId, userId: 'user-eve', publicKey: stranger.publicKey })).toMatchObject({ status: 201 });
    const eveDocument = await approved(deleteApi('call-del-eve-key'), { proof: proofFor(stranger, deleteApi('call-del-eve-key')) });
    const otherUser = await mirrorAndMint(eveDocument);
    expect(otherUser).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(otherUser.body.message).toContain('another user than its approver');
    expect(await accountExists(strangerDocument.name)).toBe(false);
    expect(await accountExists(eveDocument.name)).toBe(false);
  });

  it('accepts each signature once: not again after its approval record is re-created, not past its expiry on the executor clock', async () => {
    const call = deleteApi('call-del-replay');
    const document = await approved(call, { proof: proofFor(passkey, call) });
    expect((await mirrorAndMint(document)).status).toBe(200);
    // the same approval minted again: refused, and the first credential lives on
    expect(await h.mint(executor, document, call.args)).toMatchObject({ status: 409, body: { code: 'ALREADY_MINTED' } });
    // a cluster admin deletes the approval record (with its grant) and the engine's document is mirrored anew:
    // the signature itself is spent (recorded on the approver's key, which survives restarts and replicas)
    await h.api(executor, 'DELETE', `/v1/approvals/${document.name}/credential`);
    await h.kubectl(['delete', 'skyfloapproval', document.name, '-n', installNamespace]);
    const replayed = await mirrorAndMint(document);
    expect(replayed).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(replayed.body.message).toMatch(/replayed|already used/);
    expect(await accountExists(document.name)).toBe(false);

    // a signature whose expiry passed on the executor's own clock (the engine cannot stretch it)
    const late = await h.startExecutor({ approverSignature: { require: 'destructive', ...rp }, now: () => new Date(Date.now() + 6 * 60_000) });
    const lateCall = deleteApi('call-del-late');
    const expired = await mirrorAndMint(await approved(lateCall, { proof: proofFor(passkey, lateCall) }), late);
    expect(expired).toMatchObject({ status: 403, body: { code: 'EXPIRED' } });
    expect(expired.body.message).toContain("the approver's signature");
    await late.close();
  });

  it('refuses a removed key', async () => {
    expect((await h.api(executor, 'DELETE', `/v1/approver-keys/${passkey.credentialId}`)).status).toBe(204);
    expect((await h.api(executor, 'GET', '/v1/approver-keys')).body.keys.map((key: { credentialId: string }) => key.credentialId)).not.toContain(passkey.credentialId);
    const afterRemoval = await mirrorAndMint(await approved(deleteApi('call-del-removed'), { proof: proofFor(passkey, deleteApi('call-del-removed')) }));
    expect(afterRemoval).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
    expect(afterRemoval.body.message).toContain('not registered');
  });

  it('with `destructive`, a scale in one namespace needs no passkey; a change in two namespaces does', async () => {
    const scale: ApprovedCall = { tool: 'k8s_scale', args: { name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'staging' }, callId: 'call-scale-plain' };
    expect((await mirrorAndMint(await approved(scale))).status).toBe(200);
    // judged on what the executor computed: an apply that writes in two namespaces
    const labels = (namespace: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flags', namespace }, data: { on: 'yes' } });
    const twoNamespaces: ApprovedCall = { tool: 'k8s_apply', args: { content: `${labels('staging')}\n---\n${labels('prod')}` }, callId: 'call-two-ns' };
    expect(await mirrorAndMint(await approved(twoNamespaces))).toMatchObject({ status: 403, body: { code: 'APPROVER_SIGNATURE' } });
  });
});
