import { describe, expect, it } from 'vitest';
import { approverProofOf } from './enforced-approval.ts';

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
