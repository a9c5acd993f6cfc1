/**
 * The engine's signature over a SkyfloApproval (issue 34): a compact JWS, alg EdDSA, with a detached payload —
 * approvalSigningInput(name, spec, status without the signature) from @skyflo/protocol, the exact bytes the executor
 * verifies with the engine's public key. Only the engine holds the private key (SKYFLO_APPROVAL_SIGNING_KEY), so
 * nothing in the cluster can write an approval the executor honours.
 */
import { CompactSign, importPKCS8 } from 'jose';
import { approvalSigningInput, type SkyfloApprovalSpec, type SkyfloApprovalStatus } from '@skyflo/protocol';

const algorithm = 'EdDSA';

export interface ApprovalSigner {
  /** The detached compact JWS (`header..signature`) over name + spec + status. */
  sign(name: string, spec: SkyfloApprovalSpec, status: Omit<SkyfloApprovalStatus, 'signature'>): Promise<string>;
}

export async function createApprovalSigner(privateKeyPem: string): Promise<ApprovalSigner> {
  const key = await importPKCS8(privateKeyPem.trim(), algorithm);
  const encoder = new TextEncoder();
  return {
    async sign(name, spec, status) {
      const jws = await new CompactSign(encoder.encode(approvalSigningInput(name, spec, status))).setProtectedHeader({ alg: algorithm }).sign(key);
      const [header, , signature] = jws.split('.');
      return `${header}..${signature}`;
    },
  };
}
