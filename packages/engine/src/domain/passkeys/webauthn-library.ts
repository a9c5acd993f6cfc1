/**
 * @simplewebauthn/server, loaded at the first passkey ceremony rather than at start: with its ASN.1 and X.509
 * dependencies it is ~20 MiB of resident memory that a server whose users never register a passkey does not need
 * (P7, idle RSS ≤ 250 MiB on PGlite). Shared by passkey sign-up/approval and device-key confirmation.
 */
type WebAuthnLibrary = typeof import('@simplewebauthn/server');

let loading: Promise<WebAuthnLibrary> | undefined;

export function webauthnLibrary(): Promise<WebAuthnLibrary> {
  loading ??= import('@simplewebauthn/server');
  return loading;
}
