/**
 * The approver keys every cluster's executor may hold (issue 35 item 5): each passkey and each confirmed device key of
 * an active user, as a SkyfloApproverKey. Registering and removing a key mirror it at once (passkey-service.ts,
 * device-keys.ts); a removal that failed after its retries — the executor down for longer than a few seconds — left
 * the executor with a key the engine removed, which would still verify approvals on that cluster. The sweep here takes
 * such keys off every executor, on start and then on a beat, and audits what it took off or could not reach; a
 * deactivated user's keys go too.
 *
 * It never adds a key. A key reaches an executor only through its registration — a fresh sign-in, a verified WebAuthn
 * ceremony, a signed audit record and an announcement to the other admins — so a passkey row written straight into the
 * database (the attack the executor's own signature check exists for) is never mirrored. A registration whose mirroring
 * failed says so in its audit record; removing the key and registering it again mirrors it.
 */
import type { DeviceKeyStore, AuditLog, PasskeyStore, UserStore } from '../../platform/ports/index.ts';
import type { ClusterEnforcement, RegisteredApproverKey, StrayApproverKeysOutcome } from '../clusters/enforcement/cluster-enforcement.ts';

export interface StrayKeySweepDeps {
  users: Pick<UserStore, 'list'>;
  passkeys: Pick<PasskeyStore, 'listForUser'>;
  deviceKeys: Pick<DeviceKeyStore, 'listForUser'>;
  removeStrays: ClusterEnforcement['removeStrayApproverKeys'];
  audit: Pick<AuditLog, 'record'>;
  logger: { error(object: Record<string, unknown>, message: string): void };
  /** between passes (default 5 minutes): how long a removed key may still verify on a cluster once its executor is back */
  intervalMs?: number;
}

export function createStrayKeySweep(deps: StrayKeySweepDeps) {
  const intervalMs = deps.intervalMs ?? 5 * 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<StrayApproverKeysOutcome[]> | undefined;

  async function registry(): Promise<RegisteredApproverKey[]> {
    // active accounts only (the store's default): a deactivated user's keys are strays
    const perUser = await Promise.all(
      (await deps.users.list()).map(async (user) => {
        const [passkeys, deviceKeys] = await Promise.all([deps.passkeys.listForUser(user.id), deps.deviceKeys.listForUser(user.id)]);
        return [
          ...passkeys.map((passkey) => ({ credentialId: passkey.credentialId, userId: user.id, publicKey: passkey.publicKey, kind: 'passkey' as const })),
          // a device key's credential id is its own id (device-keys.ts mirrors it so)
          ...deviceKeys.filter((key) => key.status === 'active').map((key) => ({ credentialId: key.id, userId: user.id, publicKey: key.publicKey, kind: 'device_key' as const })),
        ];
      }),
    );
    return perUser.flat();
  }

  async function pass(): Promise<StrayApproverKeysOutcome[]> {
    const outcomes = await deps.removeStrays(registry);
    // A pass that found nothing to take off writes nothing: the trail records removals and failures only.
    for (const outcome of outcomes.filter((each) => each.removed.length || each.error)) {
      await deps.audit.record({ action: 'approver_keys.strays_removed', subjectType: 'executor', subjectId: outcome.executor, details: { removed: outcome.removed, ...(outcome.error ? { error: outcome.error } : {}) } });
    }
    return outcomes;
  }

  /** One pass (a pass already under way is joined, not doubled); it throws only when the registry cannot be read. */
  const sweepNow = () => (running ??= pass().finally(() => (running = undefined)));

  const passInBackground = () =>
    void sweepNow().catch((error: unknown) => deps.logger.error({ err: error instanceof Error ? error.message : String(error) }, "could not take stray approver keys off the executors"));

  return {
    sweepNow,
    start() {
      passInBackground();
      timer = setInterval(passInBackground, intervalMs);
      timer.unref();
    },
    /** Stops the beat and waits for a pass under way. */
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
