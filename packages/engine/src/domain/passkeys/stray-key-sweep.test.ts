import { describe, expect, it } from 'vitest';
import type { RegisteredApproverKey, StrayApproverKeysOutcome } from '../clusters/enforcement/cluster-enforcement.ts';
import type { DeviceKeyRecord, NewAuditEvent, PasskeyRecord, User } from '../../platform/ports/index.ts';
import { createStrayKeySweep } from './stray-key-sweep.ts';

const user = (id: string, isActive = true) => ({ id, email: `${id}@example.com`, isActive }) as User;
const passkey = (userId: string, credentialId: string) => ({ id: `pk-${credentialId}`, userId, name: 'laptop', credentialId, publicKey: `cose-${credentialId}`, counter: 3, transports: [], createdAt: new Date() }) as unknown as PasskeyRecord;
const deviceKey = (userId: string, id: string, status: 'pending' | 'active') => ({ id, userId, name: 'terminal', publicKey: `spki-${id}`, fingerprint: 'f', status, createdAt: new Date() }) as DeviceKeyRecord;

function sweepOver(outcomes: (keys: RegisteredApproverKey[]) => StrayApproverKeysOutcome[]) {
  const audited: NewAuditEvent[] = [];
  const seen: RegisteredApproverKey[][] = [];
  let passes = 0;
  const sweep = createStrayKeySweep({
    // as the user store answers: active accounts unless inactive ones are asked for
    users: { list: async (options?: { includeInactive?: boolean }) => [user('ann'), user('bob', false)].filter((each) => options?.includeInactive || each.isActive) },
    passkeys: { listForUser: async (id: string) => [passkey(id, `${id}-passkey`)] },
    deviceKeys: { listForUser: async (id: string) => [deviceKey(id, `${id}-confirmed`, 'active'), deviceKey(id, `${id}-pending`, 'pending')] },
    removeStrays: async (read) => {
      passes += 1;
      const keys = await read();
      seen.push(keys);
      return outcomes(keys);
    },
    audit: { record: async (event: NewAuditEvent) => void audited.push(event) },
    logger: { error: () => undefined },
  });
  return { sweep, audited, seen, passes: () => passes };
}

describe('the stray approver key sweep', () => {
  it("keeps each active user's passkeys and confirmed device keys; a deactivated user's keys and a pending key are strays", async () => {
    const { sweep, seen } = sweepOver(() => []);
    await sweep.sweepNow();
    expect(seen).toEqual([
      [
        { credentialId: 'ann-passkey', userId: 'ann', publicKey: 'cose-ann-passkey', kind: 'passkey' },
        { credentialId: 'ann-confirmed', userId: 'ann', publicKey: 'spki-ann-confirmed', kind: 'device_key' },
      ],
    ]);
  });

  it('audits each executor a pass took keys off or could not reach, nothing for one already clean; passes asked for at once are one pass', async () => {
    const { sweep, audited, passes } = sweepOver(() => [
      { executor: 'https://prod-eu:8443', removed: ['gone'] },
      { executor: 'https://prod-us:8443', removed: [] },
      { executor: 'https://staging:8443', removed: [], error: 'could not be reached' },
    ]);
    await Promise.all([sweep.sweepNow(), sweep.sweepNow()]);
    expect(passes()).toBe(1);
    expect(audited).toEqual([
      { action: 'approver_keys.strays_removed', subjectType: 'executor', subjectId: 'https://prod-eu:8443', details: { removed: ['gone'] } },
      { action: 'approver_keys.strays_removed', subjectType: 'executor', subjectId: 'https://staging:8443', details: { removed: [], error: 'could not be reached' } },
    ]);
    await sweep.sweepNow();
    expect(passes()).toBe(2);
  });
});
