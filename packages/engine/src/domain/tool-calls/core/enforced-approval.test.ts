import { describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../../platform/ports/index.ts';
import { approverProofOf, enforcedDecision } from './enforced-approval.ts';

describe('the approver proof mirrored to the executor', () => {
  const stored = {
    credential_id: 'cred',
    passkey_id: 'pk-1',
    user_handle: 'dXNlcg',
    authenticator_data: 'YXV0aA',
    client_data_json: 'Y2xpZW50',
    signature: 'c2ln',
    signed_facts: { callId: 'c', argsHash: 'a', diffHash: null, cluster: 'prod', expiresAt: '2026-11-23T20:00:00.000Z', conversationId: 'x' },
    challenge: 'ch',
  };

  it('carries the stored assertion and the expiry the approver signed', () => {
    expect(approverProofOf(stored)).toEqual({
      challengeExpiresAt: '2026-11-23T20:00:00.000Z',
      assertion: { credentialId: 'cred', authenticatorData: 'YXV0aA', clientDataJSON: 'Y2xpZW50', signature: 'c2ln', userHandle: 'dXNlcg' },
    });
  });

  it('carries a terminal device key signature as deviceSignature', () => {
    const device = { kind: 'device_key', device_key_id: 'key-1', public_key: 'MCow', fingerprint: 'fp', signature: 'ZWQ', signed_facts: stored.signed_facts, challenge: 'ch' };
    expect(approverProofOf(device)).toEqual({ challengeExpiresAt: '2026-11-23T20:00:00.000Z', deviceSignature: { keyId: 'key-1', signature: 'ZWQ' } });
  });

  it('is absent for a decision without a passkey, or a stored value of another shape', () => {
    expect(approverProofOf(undefined)).toBeUndefined();
    expect(approverProofOf({ credential_id: 'cred' })).toBeUndefined();
  });
});

describe("an admin's break-glass mirrored to the executor", () => {
  const record = {
    conversationId: 'conv-1',
    callId: 'call-1',
    tool: 'k8s_scale',
    argsHash: 'a'.repeat(64),
    requestedAt: new Date('2026-12-20T10:00:00Z'),
    destructive: false,
    risks: [],
    breakGlass: { reason: 'INC-42', freeze: 'year-end', freezeEndsAt: new Date('2027-01-02T08:00:00Z'), by: 'user-zoe' },
  } as unknown as ApprovalRecord;

  it('names the freeze and the reason (signed by the engine; the executor honours it only for a SkyfloFreeze naming the approver)', () => {
    expect(enforcedDecision(record, { decided_by: 'user-zoe' }).breakGlass).toEqual({ reason: 'INC-42', freeze: 'year-end' });
  });

  it("is not carried by the change's automatic revert, which breaks nothing", () => {
    expect(enforcedDecision(record, { decided_by: 'user-zoe' }, { approval: 'a-1', callId: 'call-1' }).breakGlass).toBeUndefined();
    expect(enforcedDecision({ ...record, breakGlass: undefined } as ApprovalRecord, { decided_by: 'user-zoe' }).breakGlass).toBeUndefined();
  });
});
