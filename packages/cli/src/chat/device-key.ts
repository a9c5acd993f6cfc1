/**
 * The terminal's device key (issue 35 item 4): an Ed25519 key `skyflo chat` signs passkey-required approvals with.
 * Created on first use beside the login (`<config dir>/device-key.json`, 0600 in a 0700 folder); the private key never
 * leaves this file. The engine knows only its public key, registered per engine URL and usable once its owner
 * confirmed it with a passkey in the Command Center. A key file that others can read is refused (not narrowed, as the
 * login file is): whoever could read it may have copied the key, so it must be removed and registered anew.
 *
 * A signature is over sha256(approvalChallengeInput(facts)) — the same bytes a passkey approval's challenge is — with
 * an expiry the CLI chooses (the engine accepts at most a few minutes ahead).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { approvalChallengeFacts, approvalChallengeInput, type DeviceSignature } from '@skyflo/protocol';
import { z } from 'zod';
import type { AwaitingApproval } from './approval-card.ts';
import { ChatError } from './chat-error.ts';

const keyFileSchema = z.object({
  version: z.literal(1),
  /** PKCS#8 PEM */
  private_key: z.string().min(1),
  /** the key's id at each engine (URL → key id), once posted */
  registrations: z.record(z.string(), z.string()).default({}),
});
type KeyFile = z.infer<typeof keyFileSchema>;

export interface DeviceKey {
  readonly file: string;
  /** SPKI DER, base64url (what POST /auth/device-keys takes) */
  readonly publicKey: string;
  /** sha256 of the SPKI DER, base64url (what the confirm page shows) */
  readonly fingerprint: string;
  /** the key id registered at `url`, if any */
  registrationAt(url: string): string | undefined;
  rememberRegistration(url: string, keyId: string): void;
  forgetRegistration(url: string): void;
  /** `device_signature` approving exactly `approval` */
  signApproval(approval: AwaitingApproval, keyId: string, now?: number): DeviceSignature;
}

/** How far ahead a signature's expiry is set (the engine refuses more than its assertion lifetime). */
export const DEVICE_SIGNATURE_TTL_MS = 2 * 60_000;

const keyOf = (url: string) => url.replace(/\/+$/, '');

/** Opens the device key in `configDir`, creating it (0600, folder 0700) on first use. Throws DEVICE_KEY_UNSAFE. */
export function openDeviceKey(configDir: string): DeviceKey {
  const file = path.join(configDir, 'device-key.json');
  let stored: KeyFile;
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    const { privateKey } = generateKeyPairSync('ed25519');
    stored = { version: 1, private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), registrations: {} };
    write(configDir, file, stored);
  } else {
    if (process.platform !== 'win32') {
      const mode = statSync(file).mode & 0o777;
      if (mode & 0o077) throw new ChatError('DEVICE_KEY_UNSAFE', `${file} is readable by other users (mode ${mode.toString(8)}), so its private key may have been copied: remove the file and its key (Settings → Device keys), then run \`skyflo chat --register-device\` again.`);
    }
    const parsed = keyFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new ChatError('DEVICE_KEY_UNSAFE', `${file} is not a Skyflo device key file; remove it to create a new key.`);
    stored = parsed.data;
  }
  const privateKey: KeyObject = createPrivateKey(stored.private_key);
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    file,
    publicKey: der.toString('base64url'),
    fingerprint: createHash('sha256').update(der).digest('base64url'),
    registrationAt: (url) => stored.registrations[keyOf(url)],
    rememberRegistration(url, keyId) {
      stored = { ...stored, registrations: { ...stored.registrations, [keyOf(url)]: keyId } };
      write(configDir, file, stored);
    },
    forgetRegistration(url) {
      const { [keyOf(url)]: _dropped, ...rest } = stored.registrations;
      stored = { ...stored, registrations: rest };
      write(configDir, file, stored);
    },
    signApproval(approval, keyId, now = Date.now()) {
      const expiresAt = new Date(now + DEVICE_SIGNATURE_TTL_MS).toISOString();
      const facts = approvalChallengeFacts({ callId: approval.call_id, conversationId: approval.context.conversation_id, tool: approval.tool, argsHash: approval.args_hash, diffHash: approval.diff_hash, cluster: approval.cluster }, expiresAt);
      const digest = createHash('sha256').update(approvalChallengeInput(facts)).digest();
      return { key_id: keyId, expires_at: expiresAt, signature: sign(null, digest, privateKey).toString('base64url') };
    },
  };
}

function write(configDir: string, file: string, content: KeyFile): void {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') chmodSync(configDir, 0o700);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
