/**
 * The browser side of passkeys (issue 35), through @simplewebauthn/browser: creating one (Settings → Profile) and
 * signing an approval's facts with one (the approvals page). Failures come back in words a person can act on: no
 * passkey support in this browser, the prompt cancelled or timed out, no passkey for this site on this device.
 */
import { browserSupportsWebAuthn, startAuthentication, startRegistration, WebAuthnError } from '@simplewebauthn/browser';
import type { ApprovalWebauthn, RegisterPasskeyRequest } from '@skyflo/protocol';
import { skyflo } from './api.ts';

export class PasskeyPromptError extends Error {}

function explain(error: unknown, doing: 'create' | 'use'): PasskeyPromptError {
  if (error instanceof PasskeyPromptError) return error;
  const name = error instanceof WebAuthnError ? (error.cause as Error | undefined)?.name ?? error.name : error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || (error instanceof WebAuthnError && error.code === 'ERROR_CEREMONY_ABORTED'))
    return new PasskeyPromptError(doing === 'use' ? 'The passkey prompt was cancelled or timed out, or this device has no passkey registered for Skyflo: nothing was approved. Try again, or register a passkey on this device in Settings → Profile.' : 'The passkey prompt was cancelled or timed out: no passkey was created.');
  if (name === 'InvalidStateError') return new PasskeyPromptError('This device already holds a passkey registered for you.');
  if (name === 'SecurityError') return new PasskeyPromptError('The browser refused passkeys for this address: open the Command Center at its public address (https, or http://localhost).');
  return new PasskeyPromptError(error instanceof Error ? error.message : String(error));
}

function assertSupported(): void {
  if (!browserSupportsWebAuthn()) throw new PasskeyPromptError('This browser cannot use passkeys (WebAuthn is not available here): approve from a browser that can, over https or http://localhost.');
}

/** Creates a passkey on this device and registers it (needs a sign-in within the last minutes). */
export async function registerPasskey(name: string) {
  assertSupported();
  const { options, registration_token } = await skyflo.passkeyRegistrationOptions();
  let response: RegisterPasskeyRequest['response'];
  try {
    response = (await startRegistration({ optionsJSON: options as unknown as Parameters<typeof startRegistration>[0]['optionsJSON'] })) as unknown as RegisterPasskeyRequest['response'];
  } catch (error) {
    throw explain(error, 'create');
  }
  return skyflo.registerPasskey({ name, registration_token, response });
}

/** Signs the call's facts (the engine's challenge) with one of your passkeys: the `webauthn` of the approval. */
export async function signApproval(callId: string, conversationId: string): Promise<ApprovalWebauthn> {
  assertSupported();
  const { options, expires_at } = await skyflo.approvalPasskeyOptions(callId, conversationId);
  try {
    const assertion = await startAuthentication({ optionsJSON: options as unknown as Parameters<typeof startAuthentication>[0]['optionsJSON'] });
    return { expires_at, assertion: assertion as unknown as ApprovalWebauthn['assertion'] };
  } catch (error) {
    throw explain(error, 'use');
  }
}

/**
 * Confirms a terminal's pending device key (issue 35 item 4) with one of your passkeys: the engine's challenge is
 * derived from the key (its id, fingerprint and owner), so the passkey vouches for exactly that key.
 */
export async function confirmDeviceKey(keyId: string) {
  assertSupported();
  const { options } = await skyflo.deviceKeyConfirmOptions(keyId);
  let assertion: ApprovalWebauthn['assertion'];
  try {
    assertion = (await startAuthentication({ optionsJSON: options as unknown as Parameters<typeof startAuthentication>[0]['optionsJSON'] })) as unknown as ApprovalWebauthn['assertion'];
  } catch (error) {
    throw explain(error, 'use');
  }
  return skyflo.confirmDeviceKey(keyId, { assertion });
}
