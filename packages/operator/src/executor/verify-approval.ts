/**
 * The engine's signature over a SkyfloApproval: a compact JWS (alg EdDSA) whose payload, left out of the token
 * (detached), is approvalSigningInput(name, spec, status without the signature). The executor holds only public keys,
 * so nothing in the cluster — not the MCP server, not someone with `kubectl apply` on SkyfloApprovals — can make an
 * approval it will honour.
 */
import { CompactSign, compactVerify, importPKCS8, importSPKI, base64url } from 'jose';
import { approvalSigningInput, type SkyfloApprovalDocument, type SkyfloApprovalSpec, type SkyfloApprovalStatus } from '@skyflo/protocol';
import { ExecutorError } from './executor-options.ts';

const algorithm = 'EdDSA';
const encoder = new TextEncoder();

export interface ApprovalVerifier {
  /** Throws ExecutorError BAD_SIGNATURE unless one of the engine keys signed exactly this name, spec and status. */
  verify(document: SkyfloApprovalDocument): Promise<void>;
}

type VerifyKey = Awaited<ReturnType<typeof importSPKI>>;

export async function createApprovalVerifier(publicKeysPem: string[]): Promise<ApprovalVerifier> {
  if (!publicKeysPem.length) throw new Error('the executor needs at least one engine public key (SPKI PEM, Ed25519) to verify approvals');
  const keys: VerifyKey[] = [];
  for (const [index, pem] of publicKeysPem.entries()) {
    try {
      keys.push(await importSPKI(pem.trim(), algorithm));
    } catch (error) {
      throw new Error(`engine public key #${index + 1} is not an SPKI PEM Ed25519 key: ${(error as Error).message}`);
    }
  }
  return {
    async verify(document) {
      const { signature, ...unsigned } = document.status;
      const parts = signature.split('.');
      const payload = base64url.encode(approvalSigningInput(document.name, document.spec, unsigned));
      // Detached: the middle part is empty. A token carrying a payload must carry exactly this one.
      if (parts.length !== 3 || (parts[1] !== '' && parts[1] !== payload)) {
        throw new ExecutorError('BAD_SIGNATURE', `SkyfloApproval "${document.name}": status.signature is not a compact JWS with a detached payload`);
      }
      const token = `${parts[0]}.${payload}.${parts[2]}`;
      for (const key of keys) {
        try {
          await compactVerify(token, key, { algorithms: [algorithm] });
          return;
        } catch {
          // try the next key (rotation)
        }
      }
      throw new ExecutorError(
        'BAD_SIGNATURE',
        `SkyfloApproval "${document.name}" is not signed by the engine (its signature does not verify over the object's name, spec and status with any configured engine key); nothing is minted for it`,
      );
    },
  };
}

/** The engine side, here for tests and for anyone checking the format: signs name + spec + status as the executor verifies. */
export async function signApproval(privateKeyPem: string, name: string, spec: SkyfloApprovalSpec, status: Omit<SkyfloApprovalStatus, 'signature'>): Promise<string> {
  const key = await importPKCS8(privateKeyPem.trim(), algorithm);
  const jws = await new CompactSign(encoder.encode(approvalSigningInput(name, spec, status))).setProtectedHeader({ alg: algorithm }).sign(key);
  const [header, , signature] = jws.split('.');
  return `${header}..${signature}`;
}

/**
 * Whether an approval (already verified) may have a credential now: approved, not past its expiry, not used.
 * Returns the expiry as a Date.
 */
export function checkUsable(document: SkyfloApprovalDocument, now: Date, releasedAt?: string): Date {
  const { name, status } = document;
  if (status.decision !== 'approved') throw new ExecutorError('NOT_APPROVED', `SkyfloApproval "${name}" was ${status.decision}, not approved; nothing is minted for it`);
  const expiresAt = new Date(status.expiresAt);
  if (Number.isNaN(expiresAt.getTime())) throw new ExecutorError('INVALID', `SkyfloApproval "${name}": status.expiresAt "${status.expiresAt}" is not an ISO 8601 time`);
  if (expiresAt.getTime() <= now.getTime()) {
    throw new ExecutorError('EXPIRED', `SkyfloApproval "${name}" expired at ${status.expiresAt}; ask for the change again to get a new approval`);
  }
  if (releasedAt) {
    throw new ExecutorError('NOT_APPROVED', `SkyfloApproval "${name}" was already used (its credential was released at ${releasedAt}); one approval is good for one call`);
  }
  return expiresAt;
}
