import { createHash, createPublicKey, verify } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { approvalChallengeInput } from '@skyflo/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { AwaitingApproval } from './approval-card.ts';
import { openDeviceKey } from './device-key.ts';

const dirs: string[] = [];
const configDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skyflo-device-key-'));
  dirs.push(dir);
  return path.join(dir, 'skyflo');
};
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the device key file', () => {
  it('is created on first use with 0600 in a 0700 folder, and reused afterwards', () => {
    const dir = configDir();
    const first = openDeviceKey(dir);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(first.file, 'utf8')).toContain('BEGIN PRIVATE KEY');
    first.rememberRegistration('http://engine.test:8080/', 'key-1');
    const again = openDeviceKey(dir);
    expect(again.publicKey).toBe(first.publicKey);
    expect(again.fingerprint).toBe(createHash('sha256').update(Buffer.from(first.publicKey, 'base64url')).digest('base64url'));
    expect(again.registrationAt('http://engine.test:8080')).toBe('key-1');
    expect(statSync(again.file).mode & 0o777).toBe(0o600);
  });

  it('is refused with a clear error when others can read it (the key may have been copied)', () => {
    const dir = configDir();
    const key = openDeviceKey(dir);
    chmodSync(key.file, 0o644);
    expect(() => openDeviceKey(dir)).toThrow(/readable by other users \(mode 644\).*remove the file/);
  });

  it("signs exactly the card's call: the signature verifies over its facts and not over another diff_hash", () => {
    const key = openDeviceKey(configDir());
    const card = { call_id: 'call_1', tool: 'k8s_scale', args_hash: 'a'.repeat(64), diff_hash: 'd'.repeat(64), cluster: { name: 'prod', server: 'https://prod' }, context: { conversation_id: 'c1' } } as unknown as AwaitingApproval;
    const signature = key.signApproval(card, 'key-1', Date.parse('2026-01-01T00:00:00.000Z'));
    expect(signature).toMatchObject({ key_id: 'key-1', expires_at: '2026-01-01T00:02:00.000Z' });
    const publicKey = createPublicKey({ key: Buffer.from(key.publicKey, 'base64url'), format: 'der', type: 'spki' });
    const digest = (diffHash: string) => createHash('sha256').update(approvalChallengeInput({ callId: 'call_1', tool: 'k8s_scale', server: 'https://prod', argsHash: 'a'.repeat(64), diffHash, cluster: 'prod', expiresAt: signature.expires_at, conversationId: 'c1' })).digest();
    expect(verify(null, digest('d'.repeat(64)), publicKey, Buffer.from(signature.signature, 'base64url'))).toBe(true);
    expect(verify(null, digest('e'.repeat(64)), publicKey, Buffer.from(signature.signature, 'base64url'))).toBe(false);
  });
});
