/**
 * A passkey in software for the executor tests (issue 35): an ECDSA P-256 key whose assertions carry real
 * authenticatorData, clientDataJSON and an ES256 signature — what a browser's passkey sends and the engine stores with
 * the decision — and whose public key is the COSE key the engine mirrors to the executor.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { ApproverAssertion } from '@skyflo/protocol';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

/** COSE_Key (RFC 9052) for an EC2 P-256 ES256 key, CBOR-encoded: a map of 5 small ints to ints and 32-byte strings. */
function coseKey(x: Buffer, y: Buffer): Buffer {
  const bytes = (value: Buffer) => Buffer.concat([Buffer.from([0x58, value.length]), value]);
  // {1: 2, 3: -7, -1: 1, -2: x, -3: y}
  return Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]), bytes(x), Buffer.from([0x22]), bytes(y)]);
}

export interface SoftwarePasskey {
  credentialId: string;
  /** base64url COSE public key (what POST /v1/approver-keys takes) */
  publicKey: string;
  counter: number;
  /** an assertion over `challenge` for `rpId`/`origin`, by user `userId` (its user handle) */
  assert(challenge: string, options: { rpId: string; origin: string; userId: string }): ApproverAssertion;
}

export function createSoftwarePasskey(): SoftwarePasskey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  const passkey: SoftwarePasskey = {
    credentialId: randomBytes(16).toString('base64url'),
    publicKey: coseKey(Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')).toString('base64url'),
    counter: 0,
    assert(challenge, { rpId, origin, userId }) {
      passkey.counter += 1;
      const counter = Buffer.alloc(4);
      counter.writeUInt32BE(passkey.counter, 0);
      const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false }));
      const authData = Buffer.concat([sha256(rpId), Buffer.from([0x01 | 0x04]), counter]); // user present + verified
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), privateKey);
      return {
        credentialId: passkey.credentialId,
        authenticatorData: authData.toString('base64url'),
        clientDataJSON: clientData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: Buffer.from(userId).toString('base64url'),
      };
    },
  };
  return passkey;
}
