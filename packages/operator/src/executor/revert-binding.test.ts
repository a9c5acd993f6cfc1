import type { ApprovedAccess, SkyfloApprovalDocument } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import type { ApprovalStore } from './approval-store.ts';
import { checkRevertBinding } from './revert-binding.ts';

const scale: ApprovedAccess = { apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'default', name: 'web', verbs: ['patch'] };
const cluster = { name: 'prod', server: 'https://prod:6443' };
const alice = { id: 'alice' };

function approval(name: string, spec: Partial<SkyfloApprovalDocument['spec']>, status: Partial<SkyfloApprovalDocument['status']>): SkyfloApprovalDocument {
  return {
    name,
    spec: { conversationId: 'c1', callId: 'call_1', tool: 'k8s_scale', cluster, argsHash: 'h', requestedAt: '2026-01-01T00:00:00Z', ...spec },
    status: { decision: 'approved', decidedBy: alice, decidedAt: '2026-01-01T00:00:01Z', expiresAt: '2026-01-01T00:10:00Z', signature: 'x..y', ...status },
  };
}

/**
 * The store as the executor reads it — `granted`: what the executor computed and recorded when it minted for the
 * original (issue 73); the verifier accepts whatever the test calls signed.
 */
function deps(original: SkyfloApprovalDocument | undefined, signed = true, granted: ApprovedAccess[] | null = [scale]) {
  const store = { read: async (name: string) => (original && name === original.name ? { object: {} as never, document: original, ...(granted ? { grant: granted } : {}) } : undefined) } as unknown as ApprovalStore;
  return { store, verifier: { verify: async () => (signed ? undefined : Promise.reject(new Error('bad'))) } };
}

const revert = (decidedBy = alice) => approval('r-1', { callId: 'call_1-revert', revertOf: { approval: 'a-1', callId: 'call_1' } }, { automatic: true, decidedBy });

describe('an automatic revert is minted for only because a human approved its change with automatic revert', () => {
  it('mints for the inverse of an approval with automatic revert, on the objects it named', async () => {
    await expect(checkRevertBinding(revert(), [scale], deps(approval('a-1', {}, { autoRevert: true })))).resolves.toBeUndefined();
  });

  it('refuses a revert of an approval without automatic revert, unsigned, denied, missing, or decided for someone else', async () => {
    await expect(checkRevertBinding(revert(), [scale], deps(approval('a-1', {}, {})))).rejects.toThrow(/not approved with automatic revert/);
    await expect(checkRevertBinding(revert(), [scale], deps(approval('a-1', {}, { autoRevert: true }), false))).rejects.toThrow(/signature does not verify/);
    await expect(checkRevertBinding(revert(), [scale], deps(approval('a-1', {}, { autoRevert: true, decision: 'denied' })))).rejects.toThrow(/was denied/);
    await expect(checkRevertBinding(revert(), [scale], deps(undefined))).rejects.toThrow(/no such SkyfloApproval/);
    await expect(checkRevertBinding(revert({ id: 'mallory' }), [scale], deps(approval('a-1', {}, { autoRevert: true })))).rejects.toThrow(/someone else/);
  });

  it('refuses an inverse that writes an object the change did not touch', async () => {
    const other = { ...scale, name: 'payments' };
    // the inverse as the executor computed it; the original's as it recorded it when it minted
    await expect(checkRevertBinding(revert(), [scale, other], deps(approval('a-1', {}, { autoRevert: true })))).rejects.toThrow(/payments, which the approved change did not touch/);
    await expect(checkRevertBinding(revert(), [scale], deps(approval('a-1', {}, { autoRevert: true }), true, null))).rejects.toThrow(/never had a credential minted/);
  });

  it("refuses an `r-` approval that names no change; a plain approval needs no binding", async () => {
    await expect(checkRevertBinding(approval('r-2', {}, { automatic: true }), [scale], deps(undefined))).rejects.toThrow(/names no approved change/);
    await expect(checkRevertBinding(approval('a-2', {}, {}), [scale], deps(undefined))).resolves.toBeUndefined();
  });
});
