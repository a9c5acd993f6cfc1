/**
 * A WebAuthn authenticator in software for engine tests (issue 35): an ECDSA P-256 key from node:crypto that answers
 * registration options with a real attestationObject (fmt "none", COSE key) and authentication options with real
 * authenticatorData, clientDataJSON and an ES256 signature — the bytes a browser's passkey sends, so the engine's
 * SimpleWebAuthn verification runs exactly as it does for Chromium.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { [key: string]: Cbor };

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys: ints, strings, bytes, arrays, maps. */
function cbor(value: Cbor): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 256) return Buffer.from([(major << 5) | 24, length]);
    const buffer = Buffer.alloc(3);
    buffer[0] = (major << 5) | 25;
    buffer.writeUInt16BE(length, 1);
    return buffer;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([key, item]) => [cbor(key), cbor(item)])]);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

export interface SoftwareAuthenticator {
  credentialId: string;
  /** sets the signature counter the next assertion reports (to replay an old one) */
  counter: number;
  /** RegistrationResponseJSON for options from POST /auth/passkeys/registration-options */
  register(options: { challenge: string; rp: { id?: string }; user: { id: string } }, origin: string): Record<string, unknown>;
  /** AuthenticationResponseJSON for options from POST /approvals/:call_id/passkey-options */
  assert(options: { challenge: string; rpId?: string }, origin: string): Record<string, unknown>;
}

export function createSoftwareAuthenticator(): SoftwareAuthenticator {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  const credential = randomBytes(16);
  let userHandle = '';
  const coseKey = new Map<Cbor, Cbor>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.from(jwk.x, 'base64url')],
    [-3, Buffer.from(jwk.y, 'base64url')],
  ]);
  const state = { counter: 0 };
  const flags = (attested: boolean) => Buffer.from([0x01 | 0x04 | (attested ? 0x40 : 0)]); // UP | UV (| AT)
  const counterBytes = (counter: number) => {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(counter, 0);
    return buffer;
  };
  const signer: KeyObject = privateKey;
  return {
    credentialId: b64url(credential),
    get counter() {
      return state.counter;
    },
    set counter(value: number) {
      state.counter = value;
    },
    register(options, origin) {
      userHandle = options.user.id;
      const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false }));
      const lengthBytes = Buffer.alloc(2);
      lengthBytes.writeUInt16BE(credential.length, 0);
      const authData = Buffer.concat([sha256(options.rp.id ?? new URL(origin).hostname), flags(true), counterBytes(state.counter), Buffer.alloc(16), lengthBytes, credential, cbor(coseKey)]);
      const attestationObject = cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
      return { id: b64url(credential), rawId: b64url(credential), type: 'public-key', response: { clientDataJSON: b64url(clientData), attestationObject: b64url(attestationObject), transports: ['internal'] }, clientExtensionResults: {} };
    },
    assert(options, origin) {
      state.counter += 1;
      const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }));
      const authData = Buffer.concat([sha256(options.rpId ?? new URL(origin).hostname), flags(false), counterBytes(state.counter)]);
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), signer);
      return { id: b64url(credential), rawId: b64url(credential), type: 'public-key', response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature), userHandle }, clientExtensionResults: {} };
    },
  };
}
