import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SkyfloApprovalDocument } from '@skyflo/protocol';
import { checkUsable, createApprovalVerifier, signApproval } from './verify-approval.ts';

const keyPair = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
};
const engine = keyPair();
const other = keyPair();

const spec = { conversationId: 'c', callId: 'k', tool: 'k8s_scale', cluster: { name: 'a', server: '' }, argsHash: 'h', requestedAt: '2026-01-01T00:00:00Z' };
const status = { decision: 'approved' as const, decidedAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-01T00:10:00Z' };
const signed = async (privatePem = engine.privatePem): Promise<SkyfloApprovalDocument> => ({ name: 'a1', spec, status: { ...status, signature: await signApproval(privatePem, 'a1', spec, status) } });

describe('approval signatures', () => {
  it('accepts the engine signature (detached) and refuses any change, another key or an embedded other payload', async () => {
    const verifier = await createApprovalVerifier([other.publicPem, engine.publicPem]);
    const document = await signed();
    expect(document.status.signature).toMatch(/^[\w-]+\.\.[\w-]+$/);
    await expect(verifier.verify(document)).resolves.toBeUndefined();
    await expect(verifier.verify({ ...document, name: 'a2' })).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    await expect(verifier.verify({ ...document, status: { ...document.status, decision: 'denied' } })).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    await expect(verifier.verify({ ...document, status: { ...document.status, expiresAt: '2027-01-01T00:00:00Z' } })).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    await expect(verifier.verify({ ...document, spec: { ...spec, argsHash: 'other' } })).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    const [header, , signature] = document.status.signature.split('.');
    await expect(verifier.verify({ ...document, status: { ...document.status, signature: `${header}.eyJ4IjoxfQ.${signature}` } })).rejects.toThrow('not a compact JWS with a detached payload');
    const onlyOther = await createApprovalVerifier([other.publicPem]);
    await expect(onlyOther.verify(document)).rejects.toThrow('SkyfloApproval "a1" is not signed by the engine');
  });

  it('says which configured key is unusable', async () => {
    await expect(createApprovalVerifier([engine.publicPem, 'garbage'])).rejects.toThrow('engine public key #2 is not an SPKI PEM Ed25519 key');
    await expect(createApprovalVerifier([])).rejects.toThrow('at least one engine public key');
  });

  it('allows a credential only for an approved, unexpired, unused approval', async () => {
    const document = await signed();
    expect(checkUsable(document, new Date('2026-01-01T00:05:00Z')).toISOString()).toBe('2026-01-01T00:10:00.000Z');
    expect(() => checkUsable(document, new Date('2026-01-01T00:10:00Z'))).toThrow('SkyfloApproval "a1" expired at 2026-01-01T00:10:00Z');
    expect(() => checkUsable({ ...document, status: { ...document.status, decision: 'denied' } }, new Date('2026-01-01T00:05:00Z'))).toThrow('was denied, not approved');
    expect(() => checkUsable(document, new Date('2026-01-01T00:05:00Z'), '2026-01-01T00:06:00Z')).toThrow('was already used');
  });
});
